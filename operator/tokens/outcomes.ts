// What a token pass means: the TokensReady condition (reason, words, stalled or retried), the
// status.tokens block, and the checks that need a token (customer id, library). Pure. Never a
// token value: only times, the account, the Secret's name and the key fingerprint leave the payload.

import { specCustomerId } from '../api/customer-id.ts';
import type { KeyProblem } from './keys.ts';
import { grantOf } from '../api/connection.ts';
import type { IManageConnection, IManageConnectionStatus } from '../api/generated/types.ts';
import { applicationMismatches, mismatchWords } from './application-settings.ts';
import type { RecordedEvent } from '../runtime/events.ts';
import type { TokenObservation } from './observation.ts';
import { refreshTokenEndsSoon } from './schedule.ts';

export type TokensReason =
  | 'Linked'
  | 'NotLinked'
  | 'RefreshFailed'
  | 'AccessTokenExpiresAtOnce'
  | 'GrantNotSupported'
  | 'InvalidCredentials'
  | 'EncryptionKeyChanged'
  | 'EncryptionKeyUnsupported'
  | 'EncryptionKeyUnusable'
  | 'PassphraseTooShort'
  | 'PassphraseTooWeak'
  | 'TokenSecretUnreadable'
  | 'TokenEncryptionRemoved'
  | 'TokenSecretNotOwned'
  | 'TokenEncryptionRequired'
  | 'RefreshTokenExpiring'
  | 'RefreshTokenRevoked'
  | 'ApplicationSettingsMismatch';

export interface TokensVerdict {
  readonly ready: boolean;
  readonly reason: TokensReason;
  readonly message: string;
  /** For a failure: stalled (a human must act) or retried by the operator. */
  readonly retried: boolean;
  readonly fieldPath?: string;
}

const CERT_FIELD = 'spec.tokens.encryption';

/** Each problem of the key material has its own reason: an Ed25519 key is not a changed key. */
const KEY_PROBLEM_REASON: Readonly<Record<KeyProblem, TokensReason>> = {
  KeyUnsupported: 'EncryptionKeyUnsupported',
  CertificateUnreadable: 'EncryptionKeyUnusable',
  KeyDoesNotMatchCertificate: 'EncryptionKeyUnusable',
  PassphraseTooShort: 'PassphraseTooShort',
  PassphraseTooWeak: 'PassphraseTooWeak',
};

/** `application`: where the client id is kept, in words (never the id). */
export function tokensVerdict(
  t: TokenObservation,
  connection: IManageConnection,
  now: Date,
  application = 'the client Secret',
): TokensVerdict {
  if (t.failure) return failureVerdict(t, connection);
  if (t.notLinked) return notLinkedVerdict(t, connection);
  const payload = t.payload;
  const stored = t.encrypted ? `Secret '${t.secretName}' (encrypted, nested-jwe/v1)` : plainWords(t.secretName);
  const mismatches = payload ? applicationMismatches(connection, payload) : [];
  const blocking = mismatches.filter((m) => m.blocking);
  if (blocking.length > 0) {
    const again = `then link the account again (imanage-operator link ${connection.metadata.name})`;
    const message = `${mismatchWords(blocking, application)}; ${again}`;
    return { ready: false, retried: false, reason: 'ApplicationSettingsMismatch', fieldPath: 'spec.auth', message };
  }
  if (payload && payload.refresh_token && refreshTokenEndsSoon(payload, now)) {
    return {
      ready: true,
      retried: false,
      reason: 'RefreshTokenExpiring',
      message:
        `the refresh token ends at ${payload.refresh_token_expires_at}; link the account again before then ` +
        `(imanage-operator link ${connection.metadata.name}), because refreshing cannot extend it`,
    };
  }
  const seed = seedWords(connection);
  if (mismatches.length > 0) {
    const message = `tokens are held in ${stored}; ${mismatchWords(mismatches, application)}`;
    return { ready: true, retried: false, reason: 'ApplicationSettingsMismatch', message };
  }
  const relink = t.relinkSignIn
    ? `; a new sign-in was asked for (imanage-operator link ${connection.metadata.name} --relink): the account ` +
      `stays linked until it succeeds (the sign-in URL is valid until ${t.relinkSignIn.expiresAt.toISOString()})`
    : '';
  return { ready: true, retried: false, reason: 'Linked', message: `tokens are held in ${stored}${seed}${relink}` };
}

function seedWords(connection: IManageConnection): string {
  const ref = connection.spec.auth?.credentialsSecretRef?.name;
  if (grantOf(connection) !== 'AuthorizationCode' || !ref) return '';
  return (
    `; the refresh token seeded in Secret '${ref}' key refreshToken was taken over and rotated: it no longer ` +
    'works, and the only live copy is in the token Secret'
  );
}

function notLinkedVerdict(t: TokenObservation, connection: IManageConnection): TokensVerdict {
  const name = connection.metadata.name;
  const how = t.notLinked?.signIn
    ? `run imanage-operator link ${name}, which prints the sign-in URL (kept in Secret ` +
      `'${t.notLinked.signIn.secretName ?? `${name}-sign-in`}', valid until ${t.notLinked.signIn.expiresAt.toISOString()}), ` +
      'and sign in with it as the fall-back account'
    : 'the operator serves no sign-in callback (--callback-url is not set); put a refresh token in the Secret named ' +
      'by spec.auth.credentialsSecretRef, key refreshToken, or give the operator a callback URL';
  return {
    ready: false,
    retried: false,
    reason: 'NotLinked',
    fieldPath: 'spec.auth',
    message: `no account is linked yet: ${how}`,
  };
}

function failureVerdict(t: TokenObservation, connection: IManageConnection): TokensVerdict {
  const f = t.failure!;
  const credentials = connection.spec.auth?.credentialsSecretRef?.name;
  const stall = (reason: TokensReason, fieldPath: string | undefined, message: string): TokensVerdict => ({
    ready: false,
    retried: false,
    reason,
    message,
    ...(fieldPath ? { fieldPath } : {}),
  });
  switch (f.kind) {
    case 'Transient':
      return { ready: false, retried: true, reason: 'RefreshFailed', message: `${f.detail}; the operator retries` };
    case 'InvalidCredentials':
      return stall(
        'InvalidCredentials',
        'spec.auth.credentialsSecretRef',
        `iManage refused the user name and password in Secret '${credentials}' (${f.detail}); correct them`,
      );
    case 'InvalidClient':
      return stall(
        'InvalidCredentials',
        'spec.clientSecretRef',
        `iManage refused the application's client id or secret (${f.detail}); check them`,
      );
    case 'GrantNotSupported':
      return stall('GrantNotSupported', 'spec.auth.grant', grantNotSupported(connection, f.detail));
    case 'Refused':
      return stall('InvalidCredentials', 'spec.auth', `iManage refused the token request: ${f.detail}`);
    case 'RefreshTokenRevoked':
      return stall('RefreshTokenRevoked', 'spec.auth', revokedWords(t, connection));
    case 'EncryptionKeyChanged':
      return stall('EncryptionKeyChanged', CERT_FIELD, `${f.detail}; Secret '${t.secretName}' is left as it is`);
    case 'EncryptionRemoved':
      return stall('TokenEncryptionRemoved', CERT_FIELD, encryptionRemovedWords(t));
    case 'KeyUnusable':
      return stall(KEY_PROBLEM_REASON[f.problem ?? 'CertificateUnreadable'], f.field ?? CERT_FIELD, f.detail);
    case 'Unreadable':
      return stall(
        'TokenSecretUnreadable',
        CERT_FIELD,
        `Secret '${t.secretName}' cannot be read (${f.detail}); delete it to obtain new tokens, or restore it`,
      );
    case 'EncryptionRequired':
      return stall('TokenEncryptionRequired', CERT_FIELD, encryptionRequiredWords(t));
    case 'NotOwned':
      return stall('TokenSecretNotOwned', 'spec.tokens.secretName', f.detail);
    case 'ExpiresAtOnce':
      return {
        ready: false,
        retried: true,
        reason: 'AccessTokenExpiresAtOnce',
        fieldPath: 'spec.url',
        message:
          `the token endpoint issued an access token that lives ${f.detail} (expires_in), too short to use; ` +
          "the operator asks again with growing backoff. Check the application's Access Token Expiry in iManage " +
          'Control Center, or a proxy in front of iManage that rewrites the token response',
      };
    case 'NoApplication':
      return stall(
        'InvalidCredentials',
        'spec.clientSecretRef',
        'no client id and secret to ask iManage for tokens with: set spec.clientSecretRef (keys clientId, clientSecret)',
      );
  }
}

function grantNotSupported(connection: IManageConnection, detail: string): string {
  const grant = grantOf(connection);
  const words =
    grant === 'ClientCredentials'
      ? 'this iManage server or application does not allow the client credentials grant; use Password or ' +
        'AuthorizationCode, or ask your iManage administrator to allow it for the application'
      : `iManage does not allow the ${grant} grant for this application; ask your iManage administrator to allow it`;
  return `${words} (${detail})`;
}

/** Why unencrypted tokens matter, and the fix: in the condition, and once per connection as a Warning Event. */
function plainWords(secretName: string): string {
  return (
    `Secret '${secretName}' (not encrypted, plain/v1: whoever may read Secrets in this namespace, or holds a ` +
    'backup of etcd, can act as the linked account; set spec.tokens.encryption to encrypt them, see ' +
    'docs/token-secret-format.md)'
  );
}

export function plainTokensEvent(secretName: string): RecordedEvent {
  return {
    type: 'Warning',
    reason: 'TokensNotEncrypted',
    action: 'StoreTokens',
    note: `tokens are held in ${plainWords(secretName)}`,
  };
}

function encryptionRequiredWords(t: TokenObservation): string {
  return (
    'the operator runs with --require-token-encryption and stores no token unencrypted, so none was obtained: ' +
    'set spec.tokens.encryption (a kubernetes.io/tls Secret and a passphrase Secret, see docs/token-secret-format.md)' +
    `; an existing plain/v1 Secret '${t.secretName}' is left as it is until then, and re-encrypted after`
  );
}

function encryptionRemovedWords(t: TokenObservation): string {
  return (
    `Secret '${t.secretName}' holds tokens encrypted under the certificate and passphrase that ` +
    'spec.tokens.encryption named, but spec.tokens.encryption was removed, so the operator cannot read them; the ' +
    'Secret is left as it is. Put spec.tokens.encryption back as it was (the tokens are kept encrypted), or, to ' +
    'store tokens unencrypted from now on, delete the Secret and obtain new tokens (AuthorizationCode: link again)'
  );
}

function revokedWords(t: TokenObservation, connection: IManageConnection): string {
  const name = connection.metadata.name;
  const credentials = connection.spec.auth?.credentialsSecretRef?.name;
  if (t.failure?.seed) {
    return (
      `iManage refused the refresh token in Secret '${credentials}' key refreshToken (${t.failure.detail}): ` +
      'it was revoked, it expired, it was issued to another application, or it was already used. Link the account ' +
      `again: run imanage-operator link ${name}, or put a new refresh token in that Secret`
    );
  }
  return (
    `iManage no longer accepts the refresh token in Secret '${t.secretName}': it was revoked, it expired, or ` +
    'a refresh was answered but the answer was never stored (the operator stopped in between; with strict rotation ' +
    `that loses the token). Link the account again: run imanage-operator link ${name}, or put a new refresh token ` +
    'in the Secret named by spec.auth.credentialsSecretRef, key refreshToken'
  );
}

/** status.tokens: where and until when; kept as it was when this pass did not run. */
export function tokensStatus(
  t: TokenObservation | undefined,
  previous: IManageConnectionStatus['tokens'],
): IManageConnectionStatus['tokens'] {
  if (!t) return previous;
  const p = t.payload;
  const signIn = t.notLinked?.signIn ?? t.relinkSignIn;
  return {
    secretName: t.secretName,
    encrypted: t.encrypted,
    ...(t.fingerprint ? { keyFingerprint: t.fingerprint } : {}),
    ...((p?.account ?? t.discovery?.userId) ? { account: p?.account ?? t.discovery?.userId } : {}),
    ...(p?.access_token_expires_at ? { accessTokenExpiresAt: p.access_token_expires_at } : {}),
    ...(p?.refresh_token_expires_at ? { refreshTokenExpiresAt: p.refresh_token_expires_at } : {}),
    ...(p?.obtained_at ? { lastRefreshAt: p.obtained_at } : {}),
    ...(signIn?.secretName ? { signInSecret: signIn.secretName } : {}),
    ...(signIn ? { signInUrlExpiresAt: signIn.expiresAt.toISOString() } : {}),
  };
}

/** GET /api with a token just held: the Work API did not answer, or refused the account. */
export function apiProblem(
  t: TokenObservation | undefined,
  connection: IManageConnection,
): { reason: string; fieldPath: string; message: string; retried: boolean } | undefined {
  const error = t?.discoveryError;
  if (!error) return undefined;
  const fieldPath = connection.spec.apiUrl ? 'spec.apiUrl' : 'spec.url';
  const asked = `GET /api with the access token just obtained (${error.detail})`;
  if (error.retryable) {
    return { reason: 'ApiUnavailable', fieldPath, retried: true, message: `${asked} failed; the operator retries` };
  }
  const what =
    error.failure === 'Forbidden'
      ? 'the account the tokens act as may not use the Work API: allow it in iManage, or link another account'
      : error.failure === 'NotFound' || error.failure === 'LibraryNotFound'
        ? `the Work API is not at ${fieldPath}: correct it`
        : 'iManage refused the request';
  return { reason: 'ApiAccessDenied', fieldPath, retried: false, message: `${asked}: ${what}` };
}

/** With a token: the customer id matches (Cloud) and the library exists. */
export function serverMatchProblem(
  t: TokenObservation | undefined,
  connection: IManageConnection,
): { reason: string; fieldPath: string; message: string } | undefined {
  const found = t?.discovery;
  if (!found) return undefined;
  const { library } = connection.spec;
  const customerId = specCustomerId(connection.spec);
  if (customerId !== undefined && customerId !== found.customerId) {
    return {
      reason: 'CustomerIdMismatch',
      fieldPath: 'spec.customerId',
      message:
        `the token's user belongs to customer ${found.customerId}, not ${customerId}; correct spec.customerId ` +
        'or link an account of that customer',
    };
  }
  if (library !== undefined && !found.libraries.some((l) => l.toLowerCase() === library.toLowerCase())) {
    return {
      reason: 'LibraryNotFound',
      fieldPath: 'spec.library',
      message: `library ${library} is not among the libraries the account sees (${found.libraries.join(', ') || 'none'})`,
    };
  }
  return undefined;
}
