// The one way the operator reads a Secret it is pointed at: a GET on demand (never a cache, so memory
// does not grow with the Secrets in the cluster), a missing Secret as undefined, values decoded.

import type { KubeClient } from './client.ts';
import { NotFoundError } from './errors.ts';
import { type Secret, secrets } from './resources.ts';

export type SecretReader = Pick<KubeClient, 'get'>;

/** A Secret by namespace and name. */
export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

/** The Secret, or undefined when it does not exist; other failures are thrown. */
export async function readSecret(
  client: SecretReader,
  ref: SecretRef,
  signal?: AbortSignal,
): Promise<Secret | undefined> {
  try {
    return await client.get(secrets, { namespace: ref.namespace, name: ref.name }, signal ? { signal } : {});
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** One value of a Secret, decoded as UTF-8; undefined when the Secret or the key is missing. */
export function secretValue(secret: Pick<Secret, 'data'> | undefined, key: string): string | undefined {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** One value of one Secret: `readSecret` then `secretValue`. */
export async function readSecretKey(
  client: SecretReader,
  ref: {
    readonly namespace: string;
    readonly name: string;
    readonly key: string;
  },
  signal?: AbortSignal,
): Promise<string | undefined> {
  return secretValue(await readSecret(client, ref, signal), ref.key);
}
