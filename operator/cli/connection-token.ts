// The access token `preview` uses for a connection in a cluster: read from the connection's token
// Secret through the operator's own reader (operator/tokens/stored.ts), in either format the
// operator writes. An encrypted Secret (nested-jwe/v1) is opened with the connection's certificate
// key and passphrase, so only someone allowed to read those Secrets can use it, as RBAC intends.
// No value read here ever appears in an error.

import { encryptionRefsOf, tokenSecretNameOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { ForbiddenError } from '../runtime/kube/errors.ts';
import { EncryptionKeyChanged, Keyrings, TokensUnreadable } from '../tokens/envelope.ts';
import { EncryptionKeyError } from '../tokens/keys.ts';
import { readKeyMaterial } from '../tokens/store.ts';
import { readStoredSecret, type SecretLike, UnknownTokenSecret } from '../tokens/stored.ts';

/** No usable access token: the message says why and what to do instead. */
export class TokenSecretUnusable extends Error {
  override readonly name = 'TokenSecretUnusable';
}

/** Reads a Secret of the connection's namespace by name; undefined when it does not exist. */
export type ReadSecret = (name: string) => Promise<SecretLike | undefined>;

const INSTEAD = 'or pass an access token with --token-file';

export async function accessTokenFor(connection: IManageConnection, read: ReadSecret, now: Date): Promise<string> {
  const name = tokenSecretNameOf(connection);
  const secret = await readNamed(read, name, 'the token Secret');
  if (!secret) throw new TokenSecretUnusable(`Secret ${name} does not exist yet: has the account been linked?`);
  const stored = readOrRefuse(secret, name);
  const payload = stored.format === 'plain' ? stored.payload : await open(connection, stored.sealed, read);
  const expiresAt = payload.access_token_expires_at ? Date.parse(payload.access_token_expires_at) : Infinity;
  if (expiresAt <= now.getTime()) {
    throw new TokenSecretUnusable(
      `the access token in Secret ${name} expired at ${payload.access_token_expires_at}; ` +
        "the operator refreshes it ahead of expiry: check the connection's TokensReady condition",
    );
  }
  return payload.access_token;
}

function readOrRefuse(secret: SecretLike, name: string) {
  try {
    return readStoredSecret(secret);
  } catch (error) {
    if (!(error instanceof UnknownTokenSecret)) throw error;
    throw new TokenSecretUnusable(`Secret ${name} is ${error.message} (docs/token-secret-format.md)`);
  }
}

async function open(connection: IManageConnection, sealed: Parameters<Keyrings['open']>[0], read: ReadSecret) {
  const encryption = connection.spec.tokens?.encryption;
  if (!encryption) {
    throw new TokenSecretUnusable(`the token Secret is encrypted but spec.tokens.encryption is not set, ${INSTEAD}`);
  }
  const once = readingOnce(read);
  await requireSecret(once, encryption.certificateSecretRef.name, 'the encryption certificate');
  await requireSecret(once, encryptionRefsOf(connection)!.passphrase.name, 'the encryption passphrase');
  try {
    // The controller's own reader of the key material, over the Secrets just read (read once each).
    // A previous passphrase the CLI does not use may be unreadable to its user: not an error here.
    const get = (_r: unknown, ref: { name: string }) => once(ref.name).catch(() => undefined);
    const material = await readKeyMaterial({ get: get as never }, connection);
    return await new Keyrings().open(sealed, material!.certificate, material!.passphrase);
  } catch (error) {
    if (
      error instanceof EncryptionKeyChanged ||
      error instanceof TokensUnreadable ||
      error instanceof EncryptionKeyError
    ) {
      throw new TokenSecretUnusable(
        `the token Secret cannot be opened with the connection's key material ` +
          `(${error.name}): see the connection's TokensReady condition, ${INSTEAD}`,
      );
    }
    throw error;
  }
}

async function requireSecret(read: ReadSecret, name: string, what: string): Promise<SecretLike> {
  const secret = await readNamed(read, name, what);
  if (!secret) throw new TokenSecretUnusable(`Secret ${name} (${what}) does not exist, ${INSTEAD}`);
  return secret;
}

async function readNamed(read: ReadSecret, name: string, what: string): Promise<SecretLike | undefined> {
  try {
    return await read(name);
  } catch (error) {
    if (!(error instanceof ForbiddenError)) throw error;
    throw new TokenSecretUnusable(`you may not read Secret ${name} (${what}), ${INSTEAD}`);
  }
}

/** `read`, each Secret asked for once: the checks above and the key material read the same Secrets. */
function readingOnce(read: ReadSecret): ReadSecret {
  const reads = new Map<string, Promise<SecretLike | undefined>>();
  return (name) => {
    let secret = reads.get(name);
    if (!secret) reads.set(name, (secret = read(name)));
    return secret;
  };
}
