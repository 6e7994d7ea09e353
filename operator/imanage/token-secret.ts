// Reading the access token out of a connection's token Secret (docs/token-secret-format.md).
// `plain/v1` holds the payload's fields as data keys; `nested-jwe/v1` needs the certificate key
// and the passphrase (operator/tokens/), which a command-line user does not hold, so it is
// refused with what to do instead. The token itself never appears in an error.

export const TOKEN_FORMAT_ANNOTATION = 'imanage.operator.dev/token-format';

export interface TokenSecretLike {
  readonly metadata?: { readonly name?: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly data?: Readonly<Record<string, string>>;
}

/** The Secret does not hold a usable plain access token; the message says why and what to do. */
export class TokenSecretUnusable extends Error {
  override readonly name = 'TokenSecretUnusable';
}

export function accessTokenFromSecret(secret: TokenSecretLike): string {
  const name = secret.metadata?.name ?? '(unnamed)';
  const format = secret.metadata?.annotations?.[TOKEN_FORMAT_ANNOTATION];
  if (format === 'nested-jwe/v1') {
    throw new TokenSecretUnusable(
      `Secret ${name} holds encrypted tokens (nested-jwe/v1); decrypting needs the connection's certificate key and ` +
        'passphrase: pass an access token with --token-file instead',
    );
  }
  if (format !== 'plain/v1') {
    throw new TokenSecretUnusable(
      `Secret ${name} has ${format === undefined ? 'no' : `an unknown (${format})`} ${TOKEN_FORMAT_ANNOTATION} ` +
        'annotation; the operator writes plain/v1 or nested-jwe/v1 (docs/token-secret-format.md)',
    );
  }
  const encoded = secret.data?.['access_token'];
  const token = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8').trim();
  if (token === '') {
    throw new TokenSecretUnusable(`Secret ${name} has no data.access_token; has the account been linked yet?`);
  }
  return token;
}
