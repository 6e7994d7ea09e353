// Every condition reason the operator writes, one catalogue per kind: what kstatus (Flux, `helm
// --wait`) reads it as, which conditions carry it, what it means, what to check and what fixes it.
// Decide looks up what happens next here (`recheck`), `link` whether to keep waiting (`linkWaits`),
// docs/troubleshooting.md is generated from it, and operator/reasons.test.ts checks that every
// reason a controller sets is here and that docs/operations.md and the Argo CD health check agree.

/**
 * What kstatus reads: `Failed` (Stalled=True: a person must act), `InProgress` (Reconciling=True:
 * work in progress, or a failure the operator retries by itself), `Current` (Ready=True; a reason
 * of a True condition, some of them warnings). A reason listed with both InProgress and Failed is
 * retried for some causes (an outage) and stalled for others (a wrong URL); its message says which.
 */
export type KStatus = 'Current' | 'InProgress' | 'Failed';

export interface ReasonEntry {
  readonly kstatus: readonly KStatus[];
  /** The condition types that carry it (Ready carries every failure of the chain). */
  readonly conditions: readonly string[];
  readonly means: string;
  readonly check: string;
  readonly fix: string;
  /**
   * Fixed by a change the operator is not told about (a Secret it reads on demand, an answer of
   * iManage): the controller looks again with backoff instead of waiting for the object to change.
   */
  readonly recheck?: true;
  /** `imanage-operator link` keeps waiting on it: the sign-in is still to be done, or retried. */
  readonly linkWaits?: true;
}

const entry = (
  kstatus: KStatus | readonly KStatus[],
  conditions: readonly string[],
  means: string,
  check: string,
  fix: string,
  flags: { recheck?: true; linkWaits?: true } = {},
): ReasonEntry => {
  const statuses = typeof kstatus === 'string' ? [kstatus] : kstatus;
  return { kstatus: statuses, conditions, means, check, fix, ...flags };
};

const READY = ['Ready'];
const REACHABLE = ['Ready', 'Reachable'];
const REGISTERED = ['Ready', 'Registered'];
const TOKENS = ['Ready', 'TokensReady'];
const EITHER: readonly KStatus[] = ['InProgress', 'Failed'];
const RECHECK = { recheck: true } as const;
const CERT = 'the certificate Secret named by spec.tokens.encryption.certificateSecretRef';

const SHARED = {
  Suspended: entry(
    'Current',
    ['Suspended'],
    'spec.suspend is true: the operator leaves the object alone and keeps Ready as it was.',
    'Whether the suspension is still wanted.',
    'Set spec.suspend to false to resume.',
  ),
  ProgressingWithRetry: entry(
    'InProgress',
    ['Reconciling'],
    "Reconciling's reason while a failure the operator retries by itself lasts; Ready=False names the failure.",
    "Ready's reason and message.",
    "What Ready's reason says; most of these clear by themselves.",
  ),
  InvalidSpec: entry(
    'Failed',
    READY,
    'The spec breaks a schema, CEL or product-profile rule (the same checks as `validate`).',
    'The field path at the head of the message; `imanage-operator validate` on the manifest.',
    'Correct the field the message names and apply again.',
  ),
} as const;

const CONNECTION_SPEC_AND_SECRETS = {
  Configured: entry(
    'Current',
    READY,
    'The spec and its Secrets are valid; probes are off (--probes=false), so iManage was not asked.',
    'Nothing, unless the operator should probe: its --probes flag.',
    'Nothing to fix.',
  ),
  Connected: entry(
    'Current',
    READY,
    'Every check passed: iManage is reachable, every redirect URI is registered, tokens are held.',
    'Nothing.',
    'Nothing to fix.',
  ),
  SecretNotFound: entry(
    'Failed',
    READY,
    'A Secret the spec names does not exist in the namespace.',
    'The field path in the message (clientSecretRef, credentialsSecretRef, the encryption Secrets, caBundleSecretRef).',
    'Create the Secret with the keys the message lists, or correct the name; the operator looks again with backoff.',
    RECHECK,
  ),
  SecretMissingKey: entry(
    'Failed',
    READY,
    'A Secret the spec names lacks a key the operator needs.',
    '`kubectl get secret <name> -o jsonpath={.data}`: the keys present.',
    'Add the key the message names.',
    RECHECK,
  ),
  PassphraseTooShort: entry(
    'Failed',
    [...READY, 'TokensReady'],
    'The token-encryption passphrase is shorter than 100 characters.',
    'The Secret and key named by spec.tokens.encryption.passphraseSecretRef.',
    "Generate one: `openssl rand -base64 96 | tr -d '\\n'`, before any tokens are stored.",
    RECHECK,
  ),
  PassphraseTooWeak: entry(
    'Failed',
    [...READY, 'TokensReady'],
    'The token-encryption passphrase is predictable (one character repeated, a short pattern).',
    'The Secret and key named by spec.tokens.encryption.passphraseSecretRef.',
    'Set a random one; keep the old one as previousPassphraseSecretRef so stored tokens are re-encrypted.',
    RECHECK,
  ),
  CertificateInvalid: entry(
    'Failed',
    READY,
    'tls.crt of the token-encryption certificate Secret is not a PEM certificate.',
    `${CERT}: tls.crt and tls.key.`,
    'Store a valid kubernetes.io/tls certificate and key (cert-manager issues one).',
    RECHECK,
  ),
  CertificateExpired: entry(
    'Failed',
    READY,
    'The token-encryption certificate has expired.',
    `The notAfter of ${CERT}.`,
    'Renew it; tokens already stored stay readable when the key is kept (cert-manager: rotationPolicy Never).',
    RECHECK,
  ),
} as const;

const CONNECTION_REACHABILITY = {
  Reachable: entry(
    'Current',
    ['Reachable'],
    'DNS, TCP, verified TLS and GET /api all worked.',
    'Nothing.',
    'Nothing to fix.',
  ),
  CertificateExpiring: entry(
    'Current',
    ['Reachable'],
    "iManage's server certificate expires soon (a warning; the connection stays Ready).",
    'status.server.certificateNotAfter.',
    'Have the server certificate renewed (iManage Cloud: iManage does it; on-premise: your administrator).',
  ),
  DnsFailed: entry(
    'InProgress',
    REACHABLE,
    "The host name in spec.url (or spec.apiUrl) does not resolve; retried with the host's backoff.",
    'The host name for a typo; DNS from the operator\'s pod (`nslookup`).',
    'Correct the URL, or fix the DNS record.',
  ),
  ConnectFailed: entry(
    'InProgress',
    REACHABLE,
    'No connection could be made to the host (refused, unreachable, or an address the operator does not probe).',
    "Firewalls and egress policies between the operator and iManage; the operator's debug log says which.",
    'Open the path to the host, or correct the URL; the operator retries by itself.',
  ),
  AddressNotProbed: entry(
    'Failed',
    REACHABLE,
    'The URL is an IP literal of a class the operator never probes (loopback, link-local, private).',
    'spec.url and spec.apiUrl.',
    'Use the host name iManage is published under, or ask the operator\'s administrator to allow the range.',
  ),
  TlsFailed: entry(
    'Failed',
    REACHABLE,
    "iManage's certificate does not verify (untrusted CA, wrong name, expired).",
    'The message; spec.caBundleSecretRef for an on-premise server signed by a private CA.',
    'Set spec.caBundleSecretRef to the CA that signed the server, or have the certificate fixed.',
  ),
  HttpError: entry(
    EITHER,
    REACHABLE,
    'GET /api answered with an HTTP error: 5xx is retried, a 404 or redirect means the URL is not iManage\'s API.',
    'The status code in the message; whether spec.url (or apiUrl) is the iManage Work host.',
    'For a 404 or redirect correct the URL; a 5xx clears when iManage recovers.',
  ),
  Timeout: entry(
    'InProgress',
    REACHABLE,
    'iManage did not answer within spec.probes.timeout.',
    'Latency to the host; a proxy in between.',
    'Nothing if it is an outage (retried); else raise spec.probes.timeout.',
  ),
  RateLimited: entry(
    'InProgress',
    REACHABLE,
    'iManage answered 429; the operator waits as Retry-After says.',
    'Other clients of the same host and application.',
    'Nothing: it clears by itself.',
  ),
} as const;

const CONNECTION_REGISTRATION = {
  AllRegistered: entry(
    'Current',
    ['Registered'],
    'iManage accepts the redirect URI of every environment.',
    'Nothing.',
    'Nothing to fix.',
  ),
  RegistrationPending: entry(
    'InProgress',
    REGISTERED,
    'A redirect URI is not registered yet, within 48 hours of spec.registration.requestedAt.',
    'status.environments: the time left.',
    'Wait: iManage registers URIs within 24–48 hours.',
  ),
  RegistrationOverdue: entry(
    'Failed',
    REGISTERED,
    'A redirect URI is still refused more than 48 hours after registration was requested.',
    'status.environments: which URI, and the customer id.',
    'Contact iManage support (support@imanage.com) with the URI and customer id the message gives.',
  ),
  RedirectUriNotRegistered: entry(
    'Failed',
    REGISTERED,
    'iManage refuses a redirect URI (invalid_redirect_uri) and no registration was requested.',
    'status.environments; the application\'s redirect URIs in Control Center.',
    'Register the URI (Control Center, or ask iManage for Cloud), then set spec.registration.requestedAt.',
  ),
  CallbackNotRegistered: entry(
    'Failed',
    REGISTERED,
    "The operator's own sign-in callback is not registered while an account must be linked.",
    'The callback URI in the message; --callback-url of the operator.',
    "Add the callback to the application's redirect URIs in Control Center.",
  ),
  InvalidClient: entry(
    'Failed',
    REGISTERED,
    'iManage does not know the client id used to ask about registration.',
    'clientId in the Secret named by spec.clientSecretRef (or the default application).',
    'Correct the client id.',
  ),
  RegistrationUnknown: entry(
    'InProgress',
    REGISTERED,
    'iManage could not be asked about registration (an error page, a 5xx, a 429, or no client id).',
    'status.environments: the message of each environment.',
    'Nothing if iManage is down (retried); with no client id, set spec.clientSecretRef.',
  ),
} as const;

const CONNECTION_TOKENS = {
  Linked: entry('Current', ['TokensReady'], 'Tokens are held in the token Secret.', 'Nothing.', 'Nothing to fix.'),
  RefreshTokenExpiring: entry(
    'Current',
    ['TokensReady'],
    'The refresh token ends within 30 days; refreshing cannot extend it (a warning).',
    'status.tokens.refreshTokenExpiresAt.',
    'Link the account again before then: `imanage-operator link <connection>`.',
  ),
  ApplicationSettingsMismatch: entry(
    ['Current', 'Failed'],
    TOKENS,
    "The application's settings in iManage differ from what the product's guide expects; False when the " +
      'tokens cannot work (no refresh token issued), True as a warning otherwise.',
    'The setting the message names, in Control Center (Settings → Applications).',
    'Change the setting in Control Center, then link the account again if the message says so.',
  ),
  NotLinked: entry(
    'Failed',
    TOKENS,
    'No account is linked yet (AuthorizationCode grant).',
    'status.tokens.signInUrl.',
    'Open the sign-in URL as the fall-back account, or run `imanage-operator link <connection>`.',
    { linkWaits: true },
  ),
  RefreshFailed: entry(
    'InProgress',
    TOKENS,
    'A token request failed on the way (an outage, a 5xx, a 429); the operator retries.',
    'Reachable; the message.',
    'Nothing: it clears when iManage answers.',
    { recheck: true, linkWaits: true },
  ),
  AccessTokenExpiresAtOnce: entry(
    'InProgress',
    TOKENS,
    'The token endpoint issued an access token too short-lived to use; asked again with growing backoff.',
    "The application's Access Token Expiry in Control Center; a proxy that rewrites token responses.",
    'Set a sensible Access Token Expiry.',
    RECHECK,
  ),
  GrantNotSupported: entry(
    'Failed',
    TOKENS,
    'iManage does not allow spec.auth.grant for this application.',
    'spec.auth.grant; the application\'s allowed grants in Control Center.',
    'Use another grant, or have the iManage administrator allow it.',
  ),
  InvalidCredentials: entry(
    'Failed',
    TOKENS,
    'iManage refused the user name and password, the client id or secret, or there are none to ask with.',
    'The Secret the field path names (credentialsSecretRef or clientSecretRef).',
    'Correct the credentials in that Secret.',
    RECHECK,
  ),
  RefreshTokenRevoked: entry(
    'Failed',
    TOKENS,
    'iManage no longer accepts the refresh token: revoked, expired, issued to another application, or used.',
    'Whether someone revoked the account\'s tokens; whether the operator stopped between a refresh and its store.',
    'Link the account again (`imanage-operator link <connection>`), or seed a new refresh token.',
    RECHECK,
  ),
  EncryptionKeyChanged: entry(
    'Failed',
    TOKENS,
    'The token Secret was encrypted under another certificate key or passphrase than the spec names now.',
    `Whether ${CERT} or the passphrase Secret was replaced.`,
    'Restore the previous key or passphrase, or name the old passphrase as previousPassphraseSecretRef.',
    RECHECK,
  ),
  EncryptionKeyUnsupported: entry(
    'Failed',
    TOKENS,
    "The certificate's key type cannot encrypt tokens (Ed25519, RSA under 2048 bits, another EC curve).",
    `The key algorithm of ${CERT}.`,
    'Issue the certificate with an RSA (2048 bits or more) or EC P-256/P-384/P-521 key.',
    RECHECK,
  ),
  EncryptionKeyUnusable: entry(
    'Failed',
    TOKENS,
    'The certificate Secret cannot be read as a certificate and its key, or the key is not the certificate\'s.',
    `${CERT}: tls.crt and tls.key belong together.`,
    "Restore the Secret's matching certificate and key, or re-issue the certificate.",
    RECHECK,
  ),
  TokenSecretUnreadable: entry(
    'Failed',
    TOKENS,
    'The token Secret is damaged or not in a format the operator reads.',
    'The token Secret (status.tokens.secretName): who else writes it.',
    'Restore it from a backup, or delete it to obtain new tokens (AuthorizationCode: link again).',
    RECHECK,
  ),
  TokenEncryptionRemoved: entry(
    'Failed',
    TOKENS,
    'The token Secret holds encrypted tokens but spec.tokens.encryption was removed.',
    'The last applied spec.tokens.encryption.',
    'Put spec.tokens.encryption back, or delete the token Secret to store tokens unencrypted.',
    RECHECK,
  ),
  TokenEncryptionRequired: entry(
    'Failed',
    TOKENS,
    'The operator runs with --require-token-encryption and the spec sets no spec.tokens.encryption.',
    'spec.tokens.encryption.',
    'Set spec.tokens.encryption (a kubernetes.io/tls Secret and a passphrase Secret).',
  ),
  TokenSecretNotOwned: entry(
    'Failed',
    TOKENS,
    'A Secret of the token Secret\'s name exists but this connection did not create it.',
    'spec.tokens.secretName and the Secret\'s owner.',
    'Choose another spec.tokens.secretName, or delete the Secret if it is stale.',
    RECHECK,
  ),
} as const;

const CONNECTION_API = {
  ApiUnavailable: entry(
    'InProgress',
    READY,
    'GET /api with a fresh access token failed on the way; retried.',
    'Reachable; the message.',
    'Nothing: it clears when iManage answers.',
    RECHECK,
  ),
  ApiAccessDenied: entry(
    'Failed',
    READY,
    'The Work API refused the account the tokens act as, or is not at the URL.',
    "The account's rights in iManage; spec.apiUrl.",
    'Allow the account to use the Work API, link another account, or correct the URL.',
  ),
  CustomerIdMismatch: entry(
    'Failed',
    READY,
    "The token's user belongs to another customer than spec.customerId.",
    'spec.customerId against status.server.customerId.',
    'Correct spec.customerId, or link an account of that customer.',
  ),
  LibraryNotFound: entry(
    'Failed',
    READY,
    'spec.library is not among the libraries the account sees.',
    'status.server.libraries.',
    'Correct spec.library, or give the account access to the library.',
  ),
} as const;

export const CONNECTION_REASONS = {
  ...SHARED,
  ...CONNECTION_SPEC_AND_SECRETS,
  ...CONNECTION_REACHABILITY,
  ...CONNECTION_REGISTRATION,
  ...CONNECTION_TOKENS,
  ...CONNECTION_API,
} as const satisfies Record<string, ReasonEntry>;

export type ConnectionReason = keyof typeof CONNECTION_REASONS;

const REPOSITORY_CONNECTION = ['Ready', 'ConnectionReady'];
const RESOLVED = ['Ready', 'Resolved'];

export const REPOSITORY_REASONS = {
  ...SHARED,
  InvalidSpec: { ...SHARED.InvalidSpec, conditions: ['Ready', 'ResolverValid'] },
  Configured: entry(
    'Current',
    READY,
    'The resolvers parse and the connection is Ready; resolution is off, so iManage was not asked.',
    'Nothing.',
    'Nothing to fix.',
  ),
  Resolved: entry(
    'Current',
    RESOLVED,
    'Every static resolver found its workspace and folder; dynamic ones resolve per work item.',
    'status.resolvers[].resolution and status.previews.',
    'Nothing to fix.',
  ),
  ConnectionReady: entry('Current', ['ConnectionReady'], 'The connection is Ready.', 'Nothing.', 'Nothing to fix.'),
  Parsed: entry('Current', ['ResolverValid'], 'Every resolver parses.', 'Nothing.', 'Nothing to fix.'),
  AccessVerified: entry(
    'Current',
    ['AccessVerified'],
    "The connection's account created and deleted a probe folder and document in each resolved place.",
    'Nothing.',
    'Nothing to fix.',
  ),
  NotChecked: entry(
    'InProgress',
    ['Resolved', 'AccessVerified'],
    'Not resolved or checked yet (an earlier check failed, or no static resolver names a place).',
    "Ready's reason.",
    'Fix what Ready names; nothing if it is only waiting.',
  ),
  ConnectionNotFound: entry(
    'Failed',
    REPOSITORY_CONNECTION,
    'spec.connectionRef names no IManageConnection in this namespace.',
    '`kubectl get imanageconnections`.',
    'Create the connection, or correct spec.connectionRef.name.',
  ),
  ConnectionSuspended: entry(
    'Failed',
    REPOSITORY_CONNECTION,
    'The connection is suspended.',
    "The connection's spec.suspend.",
    'Resume the connection (spec.suspend: false).',
  ),
  WaitingForConnection: entry(
    'InProgress',
    REPOSITORY_CONNECTION,
    'The connection has not been reconciled yet, or has not reported its customer id.',
    "The connection's status.",
    'Nothing: it resolves once the connection is Ready.',
  ),
  WaitingForAccessToken: entry(
    'InProgress',
    REPOSITORY_CONNECTION,
    'The connection is Ready but this process holds no access token for it yet.',
    "The connection's TokensReady.",
    'Nothing: it resolves once the connection holds a token.',
  ),
  LibraryUnknown: entry(
    'Failed',
    REPOSITORY_CONNECTION,
    'Neither the repository nor its connection names a library, and the server reported none.',
    'spec.library of both.',
    'Set spec.library (for example ACTIVE_US).',
  ),
  InvalidResolver: entry(
    'Failed',
    ['Ready', 'ResolverValid'],
    'A resolver cannot be turned into a search.',
    'The resolver the field path names.',
    'Correct the resolver string.',
  ),
  AccessTokenRejected: entry(
    'InProgress',
    RESOLVED,
    "iManage refused the connection's access token; it is retried after the connection's refresh.",
    "The connection's TokensReady.",
    'Nothing, unless the connection fails too.',
  ),
  RateLimited: entry('InProgress', RESOLVED, 'iManage answered 429.', 'Other clients.', 'Nothing: retried.'),
  IManageUnavailable: entry(
    'InProgress',
    RESOLVED,
    'iManage did not answer a search (an outage, a 5xx); retried.',
    "The connection's Reachable.",
    'Nothing: it clears when iManage answers.',
  ),
  NotFound: entry(
    'Failed',
    RESOLVED,
    'iManage answered 404 for a search: the Work API is not where the connection says.',
    "The connection's spec.apiUrl.",
    'Correct the connection\'s URL.',
  ),
  InvalidRequest: entry(
    'Failed',
    RESOLVED,
    'iManage refused a search as invalid.',
    'The resolver and the message.',
    'Correct the resolver.',
  ),
  TargetForbidden: entry(
    'Failed',
    RESOLVED,
    'The account may not read the workspace or folder found.',
    "The account's rights on the place named.",
    'Grant the account access, or point the resolver elsewhere.',
  ),
  Forbidden: entry(
    'Failed',
    RESOLVED,
    'The account may not search the library.',
    "The account's rights in the library.",
    'Grant the account access, or link another account.',
  ),
  LibraryNotFound: entry(
    'Failed',
    RESOLVED,
    'The library searched does not exist for the account.',
    'spec.library against the connection\'s status.server.libraries.',
    'Correct spec.library.',
  ),
  NoMatch: entry(
    'Failed',
    RESOLVED,
    'No workspace matches a static resolver: the product has nowhere to file.',
    'The search in status.resolvers[].resolution.',
    'Create the workspace, or correct the resolver (or add fallbacks).',
  ),
  AmbiguousMatch: entry(
    'Failed',
    RESOLVED,
    'Several workspaces match and onMultipleMatches is Fail.',
    'The candidates in status.resolvers[].resolution.',
    'Make the resolver narrower, or set onMultipleMatches: First.',
  ),
  FolderMissing: entry(
    'Failed',
    RESOLVED,
    'The workspace was found but the folder is not in it.',
    'The workspace and spec.resolvers[].folder.',
    'Create the folder, or correct its name.',
  ),
  AccessCheckFailed: entry(
    EITHER,
    ['Ready', 'AccessVerified'],
    'Creating or deleting the probe folder or document failed: retried for an outage, stalled when refused.',
    "The account's rights in the place named.",
    'Grant the account the right to create and delete there, or set accessCheck: false.',
  ),
} as const satisfies Record<string, ReasonEntry>;

/**
 * A repository whose connection is not Ready carries the connection's reason with this prefix
 * (ConnectionNotLinked, ConnectionDnsFailed, …), and its kstatus.
 */
export const CONNECTION_PREFIX = 'Connection';

export type RepositoryReason = keyof typeof REPOSITORY_REASONS;

/** A repository reason's entry, `Connection<reason>` included; undefined when it is not in the catalogue. */
export function repositoryReason(reason: string): ReasonEntry | undefined {
  if (Object.hasOwn(REPOSITORY_REASONS, reason)) return (REPOSITORY_REASONS as Record<string, ReasonEntry>)[reason];
  if (!reason.startsWith(CONNECTION_PREFIX)) return undefined;
  const carried = connectionReason(reason.slice(CONNECTION_PREFIX.length));
  if (!carried) return undefined;
  return { ...carried, conditions: REPOSITORY_CONNECTION, fix: `Fix the connection: ${carried.fix}` };
}

export function connectionReason(reason: string): ReasonEntry | undefined {
  if (!Object.hasOwn(CONNECTION_REASONS, reason)) return undefined;
  return (CONNECTION_REASONS as Record<string, ReasonEntry>)[reason];
}

/** Whether `imanage-operator link` keeps waiting on a TokensReady=False reason. */
export function linkWaitsOn(reason: string | undefined): boolean {
  return reason !== undefined && connectionReason(reason)?.linkWaits === true;
}

/** A reason `imanage-operator link` ends with that is no condition's: the sign-in page's, or the CLI's own. */
export interface LinkReasonEntry {
  readonly means: string;
  readonly check: string;
  readonly fix: string;
}

/**
 * Why a link did not happen, as the callback's page and `imanage-operator link` name it (beside a
 * TokensReady=False reason, which link prints as it is). None of these is a condition's reason.
 */
export const LINK_REASONS = {
  Expired: {
    means: 'The sign-in URL expired (they last 10 minutes; the operator issues a new one when one ends).',
    check: 'Whether `imanage-operator link` is still running: it prints the new URL.',
    fix: 'Open the new sign-in URL.',
  },
  StateMismatch: {
    means: 'The sign-in was not started by this operator, was altered on the way, or its sign-in key was replaced.',
    check: "The address opened: the operator's current sign-in URL, in full.",
    fix: 'Open the current sign-in URL again.',
  },
  Denied: {
    means: 'iManage did not let the account link: the sign-in was declined, or the account may not use the app.',
    check: "The account's access to the application in Control Center.",
    fix: 'Sign in again as the fall-back account.',
  },
  AlreadyUsed: {
    means: 'The sign-in URL was used in another tab or window, which is finishing or has finished it.',
    check: "What `imanage-operator link` says, or the connection's TokensReady.",
    fix: 'Nothing, if the other tab linked; else run link again.',
  },
  WrongAccount: {
    means: 'The account signed in is not spec.auth.expectedAccount.',
    check: 'spec.auth.expectedAccount and the account signed in to iManage.',
    fix: 'Sign out of iManage, open the same URL again and sign in as the expected account.',
  },
  ExchangeFailed: {
    means: 'iManage did not accept the sign-in when the operator asked for the tokens, or the application is not set.',
    check: "spec.clientSecretRef and its keys; the operator's log for the OAuth error.",
    fix: 'Correct the client Secret if the message names it, then sign in again with the same URL while it is valid.',
  },
  StoreFailed: {
    means: 'The operator could not store the tokens (another sign-in may have finished first).',
    check: 'Run `imanage-operator link` to see where the connection stands.',
    fix: 'Run link again if the connection is still not linked.',
  },
  NotFound: {
    means: 'The connection named does not exist.',
    check: 'The namespace and name given to link.',
    fix: 'Correct them.',
  },
  Recreated: {
    means: 'The connection was deleted and created again while link waited.',
    check: 'Who re-created it.',
    fix: 'Run link again.',
  },
  NotInteractive: {
    means: 'The connection uses a grant other than AuthorizationCode, which has no interactive sign-in.',
    check: 'spec.auth.grant.',
    fix: 'Nothing to link: the operator obtains tokens by itself with that grant.',
  },
  Timeout: {
    means: 'Nobody finished the sign-in before --timeout, or the operator showed no sign-in URL.',
    check: 'Whether the operator runs with --callback-url, and the connection\'s TokensReady.',
    fix: 'Run link again and finish the sign-in in time.',
  },
} as const satisfies Record<string, LinkReasonEntry>;
