// The facts about one connection that every stage reads, derived once per reconcile: which URL is
// probed, where registration is asked, how often, and each environment's effective redirect URI
// beside what status last said of it. Probes, decide and status take them from here rather than
// each re-deriving them from the spec.
//
// The operator's own sign-in callback (--callback-url) is a redirect URI like any other (issue 11):
// for an AuthorizationCode connection it is probed beside the environments and shown as one more
// row of status.environments, named CALLBACK_ROW. Environment names are DNS labels, so a name with
// a colon can never clash with one of them.

import { grantOf, probeIntervalMsOf, probeTimeoutMsOf, scopeOf } from '../../api/connection.ts';
import type { IManageConnection, IManageConnectionStatus } from '../../api/generated/types.ts';
import { effectiveRedirectUris } from '../../api/validation/index.ts';

export type PreviousEnvironment = NonNullable<IManageConnectionStatus['environments']>[number];

/** A URL the operator sends requests to, with the parts the probes and messages need. */
export interface Endpoint {
  /** The spec field it comes from, for messages: `spec.url` or `spec.apiUrl`. */
  readonly field: 'spec.url' | 'spec.apiUrl';
  readonly url: URL;
  readonly hostname: string;
  readonly port: number;
  /** `host:port`, the name of the host in cache keys, metrics and messages. */
  readonly hostPort: string;
}

export interface EnvironmentFact {
  readonly name: string;
  readonly redirectUri: string;
  /** What status said of this environment, when it was about the same redirect URI. */
  readonly previous?: PreviousEnvironment;
}

/** The status.environments row of the operator's sign-in callback. */
export const CALLBACK_ROW = 'operator:callback';

export interface ConnectionFacts {
  /** The REST base that the reachability probe asks: apiUrl when set apart (Legatics), else url. */
  readonly probed?: Endpoint;
  /** The server whose authorize endpoint says whether a redirect URI is registered: always url. */
  readonly authorization?: Endpoint;
  readonly environments: readonly EnvironmentFact[];
  /** The operator's sign-in callback, for an AuthorizationCode connection when the operator serves one. */
  readonly callback?: EnvironmentFact;
  /** The OAuth scope registration asks with. */
  readonly scope: string;
  /** Bounded: an interval over MAX_PROBE_DELAY_MS is probed every MAX_PROBE_DELAY_MS. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** Undefined only for a URL that fails validation; such a spec is reported, never probed. */
function endpoint(field: Endpoint['field'], value: string | undefined): Endpoint | undefined {
  const url = value === undefined ? null : URL.parse(value);
  if (!url) return undefined;
  const port = Number(url.port || 443);
  return { field, url, hostname: url.hostname, port, hostPort: `${url.hostname}:${port}` };
}

/**
 * The facts of a connection, read from its spec and its previous status; `callbackUrl` is the
 * operator's sign-in callback, when it serves one.
 */
export function connectionFacts(connection: IManageConnection, callbackUrl?: string): ConnectionFacts {
  const spec = connection.spec;
  const previous = new Map((connection.status?.environments ?? []).map((e) => [e.name, e]));
  const fact = (name: string, redirectUri: string): EnvironmentFact => {
    const before = previous.get(name);
    return { name, redirectUri, ...(before?.redirectUri === redirectUri ? { previous: before } : {}) };
  };
  const environments = effectiveRedirectUris(spec).map(({ name, redirectUri }) => fact(name, redirectUri));
  const linksInteractively = grantOf(connection) === 'AuthorizationCode';
  const callback = callbackUrl && linksInteractively ? fact(CALLBACK_ROW, callbackUrl) : undefined;
  const probed = spec.apiUrl ? endpoint('spec.apiUrl', spec.apiUrl) : endpoint('spec.url', spec.url);
  const authorization = endpoint('spec.url', spec.url);
  return {
    ...(probed ? { probed } : {}),
    ...(authorization ? { authorization } : {}),
    environments,
    ...(callback ? { callback } : {}),
    scope: scopeOf(connection),
    intervalMs: probeIntervalMsOf(connection),
    timeoutMs: probeTimeoutMsOf(connection),
  };
}

/** Every redirect URI the registration probe asks about: the environments', then the operator's callback. */
export function registrationTargets(facts: ConnectionFacts): readonly EnvironmentFact[] {
  return facts.callback ? [...facts.environments, facts.callback] : facts.environments;
}
