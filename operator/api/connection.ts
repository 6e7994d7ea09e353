// What a connection says, derived once from its spec with the schema's defaults applied: the
// grant, the OAuth endpoints, how often it is looked at, the Secrets it names with the keys read
// from them, its token Secret, and what a repository takes from it. Pure: every controller, the
// CLI and the token part read these here instead of re-typing a default with `??` (issue 20; a
// test greps for re-typed defaults outside operator/api/).
//
// Its endpoints come last: which URL is probed, where registration is asked, how often, and each
// environment's effective redirect URI beside what status last said of it. The operator's own
// sign-in callback (--callback-url) is a redirect URI like any other (issue 11): for an
// AuthorizationCode connection it is probed beside the environments and shown as one more row of
// status.environments, named CALLBACK_ROW. Environment names are DNS labels, so a name with a
// colon can never clash with one of them.

import { specCustomerId } from './customer-id.ts';
import { boundedDelay, goDurationMs, MAX_PROBE_DELAY_MS, MAX_PROBE_TIMEOUT_MS } from './duration.ts';
import type { IManageConnection, IManageConnectionStatus } from './generated/types.ts';
import { effectiveRedirectUris } from './validation/semantic.ts';

export type Grant = 'AuthorizationCode' | 'Password' | 'ClientCredentials';

/** A Secret the connection names, and the key read from it. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** `namespace/name`: how the operator keys what it holds per connection (access tokens, metrics). */
export const connectionKey = (namespace: string | undefined, name: string | undefined): string =>
  `${namespace ?? 'default'}/${name ?? ''}`;

export const connectionKeyOf = (c: IManageConnection): string => connectionKey(c.metadata.namespace, c.metadata.name);

export const grantOf = (c: IManageConnection): Grant => c.spec.auth?.grant ?? 'AuthorizationCode';
export const scopeOf = (c: IManageConnection): string => c.spec.auth?.scope ?? 'user';
export const pkceOf = (c: IManageConnection): boolean => c.spec.auth?.pkce !== 'Disabled';
export type Profile = NonNullable<IManageConnection['spec']['profile']>;
export const profileOf = (c: IManageConnection): Profile => c.spec.profile ?? 'Generic';
/** The Work API's base: apiUrl when set apart (Legatics), else url. */
export const apiBaseOf = (c: IManageConnection): string => c.spec.apiUrl ?? c.spec.url;
export const refreshBeforeMsOf = (c: IManageConnection): number => goDurationMs(c.spec.tokens?.refreshBefore ?? '5m');

/**
 * Bounded: an interval over MAX_PROBE_DELAY_MS is probed every MAX_PROBE_DELAY_MS. The schema's
 * minimums (10s, and a timeout under the interval) hold for a valid spec.
 */
export const probeIntervalMsOf = (c: IManageConnection): number =>
  boundedDelay(goDurationMs(c.spec.probes?.interval ?? '5m'), MAX_PROBE_DELAY_MS, 10_000);
export const probeTimeoutMsOf = (c: IManageConnection): number =>
  boundedDelay(goDurationMs(c.spec.probes?.timeout ?? '10s'), MAX_PROBE_TIMEOUT_MS, 1_000);

/** The CA bundle iManage's certificate is checked against, when the connection names one. */
export function caBundleRefOf(c: IManageConnection): SecretKeyRef | undefined {
  const ref = c.spec.caBundleSecretRef;
  return ref ? { name: ref.name, key: ref.key ?? 'ca.crt' } : undefined;
}

/** The Secrets of spec.tokens.encryption with their keys; undefined when tokens are stored plain. */
export function encryptionRefsOf(c: IManageConnection):
  | {
      passphrase: SecretKeyRef;
      certificate: { name: string };
      previousPassphrase?: SecretKeyRef;
    }
  | undefined {
  const encryption = c.spec.tokens?.encryption;
  if (!encryption) return undefined;
  const previous = encryption.previousPassphraseSecretRef;
  return {
    passphrase: {
      name: encryption.passphraseSecretRef.name,
      key: encryption.passphraseSecretRef.key ?? 'passphrase',
    },
    certificate: { name: encryption.certificateSecretRef.name },
    ...(previous
      ? {
          previousPassphrase: {
            name: previous.name,
            key: previous.key ?? 'passphrase',
          },
        }
      : {}),
  };
}

/** The Secret the tokens are written to: spec.tokens.secretName, else `<connection name>-tokens`. */
export const tokenSecretNameOf = (c: IManageConnection): string =>
  c.spec.tokens?.secretName ?? `${c.metadata.name}-tokens`;

/**
 * Where the connection's application (keys clientId and clientSecret) is kept: its own
 * clientSecretRef, else for Cloud the operator's default application (--default-client-secret),
 * else nowhere. `operators`: the default, whose secret is sent only over TLS the system's roots vouch for.
 */
export function applicationSourceOf(
  c: IManageConnection,
  operatorDefault: { readonly namespace: string; readonly name: string } | undefined,
):
  | {
      readonly namespace: string;
      readonly name: string;
      readonly operators: boolean;
    }
  | undefined {
  const ref = c.spec.clientSecretRef;
  if (ref)
    return {
      namespace: c.metadata.namespace ?? 'default',
      name: ref.name,
      operators: false,
    };
  if (c.spec.connectionType !== 'Cloud' || !operatorDefault) return undefined;
  return { ...operatorDefault, operators: true };
}

/**
 * The customer id and library a repository's requests name: the repository's library, else the
 * connection's, else the first library the server listed; the customer id the connection was given,
 * else the one the server said. `tokenCustomerId` (what the access token was issued for) wins when known.
 */
export function targetOf(
  c: IManageConnection,
  options: { readonly library?: string | undefined; readonly tokenCustomerId?: string | undefined } = {},
): { readonly customerId?: string; readonly library?: string } {
  const customerId = options.tokenCustomerId ?? specCustomerId(c.spec) ?? c.status?.server?.customerId;
  const library = options.library ?? c.spec.library ?? c.status?.server?.libraries?.[0];
  return { ...(customerId ? { customerId } : {}), ...(library ? { library } : {}) };
}

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
