// The token part of observe: reads, never writes and never asks iManage. It reads the key material
// and the token Secret, which is what the planner (plan.ts) needs; the connection controller then
// plans and has execute.ts carry the plan out.

import type { IManageConnection } from '../api/generated/types.ts';
import type { Discovery } from '../imanage/discovery.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import type { TokenDeps, TokenInputs, TokenStart } from './flow.ts';
import { EncryptionKeyError } from './keys.ts';
import { type KeyMaterial, readKeyMaterial } from './store.ts';

export interface TokenContext extends TokenDeps {
  /** GET /api answers, per connection uid: asked again after the interval or with a new token. */
  readonly discoveries: Map<string, { readonly token: string; readonly at: number; readonly found: Discovery }>;
}

/** How often GET /api is asked again, and how long a request to iManage may take. */
export interface TokenTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export interface TokenObserveInputs {
  readonly facts: TokenTiming;
  readonly application?: TokenInputs['application'];
  readonly ca?: string;
  readonly credentials: {
    readonly username?: string | undefined;
    readonly password?: string | undefined;
    readonly refreshToken?: string | undefined;
  };
  /**
   * false (a reconcile, which holds a worker): a key not derived yet is not waited for in the line
   * of derivations; loadError is then KeyDerivationPending. @default true
   */
  readonly waitForKey?: boolean;
}

/** What observe read of one connection's tokens: where a pass starts. Holds secrets: never logged. */
export interface TokenReading extends TokenStart {
  readonly facts: TokenTiming;
}

/** Reads the key material and the token Secret (through `context.store`); writes nothing. */
export async function readTokens(
  client: Pick<KubeClient, 'get'>,
  connection: IManageConnection,
  context: Pick<TokenContext, 'store' | 'requireEncryption'>,
  inputs: TokenObserveInputs,
): Promise<TokenReading> {
  const material = await keyMaterialOrError(client, connection);
  const credentials = Object.fromEntries(Object.entries(inputs.credentials).filter(([, v]) => v !== undefined));
  const reading: TokenReading = {
    connection,
    credentials,
    material,
    facts: inputs.facts,
    timeoutMs: inputs.facts.timeoutMs,
    ...(inputs.application ? { application: inputs.application } : {}),
    ...(inputs.ca ? { ca: inputs.ca } : {}),
  };
  // Unusable key material, or plain tokens where encryption is required: the pass stops before the Secret.
  const encrypted = connection.spec.tokens?.encryption !== undefined;
  if (material instanceof EncryptionKeyError || (context.requireEncryption && !encrypted)) return reading;
  try {
    return {
      ...reading,
      loaded: await context.store.load(connection, material, { waitForKey: inputs.waitForKey ?? true }),
    };
  } catch (error) {
    return { ...reading, loadError: error };
  }
}

async function keyMaterialOrError(
  client: Pick<KubeClient, 'get'>,
  connection: IManageConnection,
): Promise<KeyMaterial | EncryptionKeyError | undefined> {
  try {
    return await readKeyMaterial(client, connection);
  } catch (error) {
    if (error instanceof EncryptionKeyError) return error;
    throw error;
  }
}
