// The token Secret in either format the connection controller writes (docs/token-secret-format.md):
// `nested-jwe/v1` when spec.tokens.encryption is set (envelope.ts, format.ts), `plain/v1` otherwise,
// the payload's fields as ordinary data keys. Labels, annotations and the owner reference are the
// same in both; none holds a token. What the operator needs besides OAuth's fields (the account,
// the seed it took over, a refused refresh token) travels inside the payload, so it is as protected
// as the tokens.

import { TOKEN_SECRET_ANNOTATIONS, TOKEN_SECRET_LABELS, type TokenSecret, type TokenSecretOwner } from './format.ts';
import { readTokenSecret, tokenSecret } from './format.ts';
import type { SealedTokens, TokenPayload } from './envelope.ts';

export const PLAIN_FORMAT = 'plain/v1';

/** The payload with the operator's own fields; readers ignore fields they do not know. */
export interface StoredPayload extends TokenPayload {
  /** The iManage user id the tokens act as (GET /api), once known. */
  readonly account?: string;
  /** SHA-256 (base64url) of the seeded refresh token taken over: the seed is spent, never presented again. */
  readonly seed_sha256?: string;
  /** iManage refused refresh_token (invalid_grant) at this time: it is dead, a human must link again. */
  readonly refresh_token_refused_at?: string;
}

const PLAIN_KEYS = [
  'access_token',
  'refresh_token',
  'token_type',
  'scope',
  'access_token_expires_at',
  'refresh_token_expires_at',
  'obtained_at',
  'account',
  'seed_sha256',
  'refresh_token_refused_at',
] as const satisfies readonly (keyof StoredPayload)[];

/** What a token Secret holds, before decryption. */
export type ReadSecret =
  | { readonly format: 'plain'; readonly payload: StoredPayload }
  | { readonly format: 'encrypted'; readonly sealed: SealedTokens };

export class UnknownTokenSecret extends Error {
  override readonly name = 'UnknownTokenSecret';
}

export interface SecretLike {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
  readonly data?: Readonly<Record<string, string>>;
}

export function readStoredSecret(secret: SecretLike): ReadSecret {
  const format = secret.metadata?.annotations?.[TOKEN_SECRET_ANNOTATIONS.format];
  if (format === PLAIN_FORMAT) return { format: 'plain', payload: readPlain(secret.data ?? {}) };
  try {
    return { format: 'encrypted', sealed: readTokenSecret(secret) };
  } catch (error) {
    throw new UnknownTokenSecret(`not a token Secret the operator wrote: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function readPlain(data: Readonly<Record<string, string>>): StoredPayload {
  const fields: Record<string, string> = {};
  for (const key of PLAIN_KEYS) {
    const value = data[key];
    if (value !== undefined) fields[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  if (!fields['access_token'] || !fields['token_type']) {
    throw new UnknownTokenSecret('a plain/v1 token Secret needs data keys access_token and token_type');
  }
  return fields as unknown as StoredPayload;
}

/** The plain/v1 Secret: same metadata as nested-jwe/v1, the payload's fields as data keys. */
export function plainTokenSecret(
  namespace: string,
  name: string,
  owner: TokenSecretOwner,
  payload: StoredPayload,
): TokenSecret {
  const shell = tokenSecret(namespace, name, owner, { tokens: '', key: '', fingerprint: '' });
  const data: Record<string, string> = {};
  for (const key of PLAIN_KEYS) {
    const value = payload[key];
    if (value !== undefined) data[key] = Buffer.from(value).toString('base64');
  }
  const annotations = { [TOKEN_SECRET_ANNOTATIONS.format]: PLAIN_FORMAT };
  return { ...shell, metadata: { ...shell.metadata, annotations }, data };
}

export { tokenSecret as encryptedTokenSecret, TOKEN_SECRET_LABELS };
