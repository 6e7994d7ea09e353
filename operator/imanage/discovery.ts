// GET /api with an access token: who the token acts as, its customer, its libraries, and the
// server version where the server reports one. The reachability probe asks the same path without
// a token (a 401 proves iManage is there); with one, the connection controller completes its
// checks: the customer id matches, the library exists. Same transport as the OAuth client and
// the Work API client (pinnedFetch): the SSRF guard, host overrides and the CA bundle.

import { type OAuthNetwork, pinnedFetch } from './oauth.ts';
import { errorFromResponse, errorFromTransport, ServerError } from './work-errors.ts';

export interface Discovery {
  readonly customerId: string;
  /** The signed-in user's id (e.g. JSMITH): the account the tokens act as. */
  readonly userId: string;
  readonly libraries: readonly string[];
  /** data.versions.work, when the server reports it (not every server does). */
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
  const customerId = user?.['customer_id'];
  const userId = user?.['id'];
  if ((typeof customerId !== 'string' && typeof customerId !== 'number') || typeof userId !== 'string') {
    throw new ServerError(`${operation}: the answer has no data.user.customer_id and id`);
  }
  const listed = field(data, 'work')?.['libraries'];
  const libraries = Array.isArray(listed)
    ? listed.flatMap((l) => (typeof l?.alias === 'string' ? [l.alias as string] : []))
    : [];
  const version = field(data, 'versions')?.['work'];
  return { customerId: String(customerId), userId, libraries, ...(typeof version === 'string' ? { version } : {}) };
}

function field(value: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'object' && found !== null ? (found as Record<string, unknown>) : undefined;
}
