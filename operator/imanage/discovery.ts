// GET /api with an access token: who the token acts as, its customer, its libraries, and the
// server version where the server reports one. The reachability probe asks the same path without
// a token (a 401 proves iManage is there); with one, the connection controller completes its
// checks: the customer id matches, the library exists. Same transport as the OAuth client and
// the Work API client (pinnedFetch): the SSRF guard, host overrides and the CA bundle.
//
// The answer's shape differs between the clients that publish code (shared/imanage-api.md,
// Discovery): the preferred library under data.work or data.user, the user's name as name or
// full_name, the version as data.dms_version or data.versions (an object or an array), the
// customer id a number or a string. Every shape seen is read; what none of them carries is unknown.

import { type OAuthNetwork, pinnedFetch } from './oauth.ts';
import { errorFromResponse, errorFromTransport, ServerError } from './work-errors.ts';

export interface Discovery {
  /** data.user.customer_id, a number at some servers and a string at others: always a string here. */
  readonly customerId: string;
  /** The signed-in user's id (e.g. JSMITH): the account the tokens act as. */
  readonly userId: string;
  /** data.user.name, or data.user.full_name where a server uses that instead. */
  readonly userName?: string;
  /** data.work.preferred_library (public clients read it there), else data.user.preferred_library. */
  readonly preferredLibrary?: string;
  readonly libraries: readonly string[];
  /** The server version where the answer names one (see versionOf); absent = unknown. */
  readonly version?: string;
}

export async function discover(
  apiBase: URL,
  accessToken: string,
  network: OAuthNetwork,
  ca: string | undefined,
  now: () => Date = () => new Date(),
): Promise<Discovery> {
  const url = new URL(`${apiBase.href.replace(/\/$/, '')}/api`);
  const operation = `GET /api at ${apiBase.host}`;
  let response: Response;
  try {
    response = await pinnedFetch(network, ca)(url.href, {
      method: 'GET',
      body: undefined,
      headers: { 'x-auth-token': accessToken, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(network.timeoutMs),
    });
  } catch (error) {
    throw errorFromTransport(error, operation);
  }
  const text = await response.text();
  if (!response.ok) {
    throw errorFromResponse(response.status, response.headers, text, operation, 'object', now(), [accessToken]);
  }
  return parseDiscovery(text, operation);
}

function parseDiscovery(text: string, operation: string): Discovery {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ServerError(`${operation}: the answer is not JSON`);
  }
  const data = field(body, 'data');
  const user = field(data, 'user');
  const work = field(data, 'work');
  const customerId = scalar(user?.['customer_id']);
  const userId = scalar(user?.['id']);
  if (customerId === undefined || userId === undefined) {
    throw new ServerError(`${operation}: the answer has no data.user.customer_id and id`);
  }
  const listed = work?.['libraries'];
  const libraries = Array.isArray(listed)
    ? listed.slice(0, MAX_LIBRARIES).flatMap((l) => (typeof l?.alias === 'string' ? [l.alias as string] : []))
    : [];
  const userName = scalar(user?.['name']) ?? scalar(user?.['full_name']);
  const preferredLibrary = scalar(work?.['preferred_library']) ?? scalar(user?.['preferred_library']);
  const version = versionOf(data);
  return {
    customerId,
    userId,
    libraries,
    ...(userName !== undefined ? { userName } : {}),
    ...(preferredLibrary !== undefined ? { preferredLibrary } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}

/** More libraries than any firm has; a longer list is cut so that status stays small. */
const MAX_LIBRARIES = 256;

/**
 * The server version, in the shapes public clients read: `data.dms_version` (a C# client), or
 * `data.versions` as an object naming the Work version (`{work: "10.4.1"}`), or as an array of
 * `{name, url}` (a TypeScript client, which looks up the API version it needs by name). An array
 * names API versions, not the server's, so its newest entry is reported as "API v2"-style text.
 */
export function versionOf(data: Record<string, unknown> | undefined): string | undefined {
  const dms = scalar(data?.['dms_version']);
  if (dms !== undefined) return dms;
  const versions = data?.['versions'];
  if (Array.isArray(versions)) {
    const names = versions.slice(0, 16).flatMap((v) => {
      const name = scalar((v as Record<string, unknown> | null)?.['name']);
      return name === undefined ? [] : [name];
    });
    return names.length === 0 ? undefined : `API ${names.join(', ')}`;
  }
  return scalar(field(data, 'versions')?.['work']);
}

/** A short string or a finite number, as a string; anything else (objects, long text) is not read. */
function scalar(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value === '' || value.length > 128) return undefined;
  return value;
}

function field(value: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'object' && found !== null ? (found as Record<string, unknown>) : undefined;
}
