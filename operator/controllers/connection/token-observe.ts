// The token part of observe: the key material, the token pass (token-flow.ts), and with a token
// in hand GET /api, so that the reachability check completes (customer id, library, version).
// GET /api is asked once per probe interval per connection, or at once when the token changed.

import type { IManageConnection } from '../../api/generated/types.ts';
import { type Discovery, discover } from '../../imanage/discovery.ts';
import { WorkApiError } from '../../imanage/work-errors.ts';
import type { KubeClient } from '../../runtime/kube/client.ts';
import { EncryptionKeyError } from '../../tokens/keys.ts';
import type { ConnectionFacts } from './facts.ts';
import type { TokenObservation } from './observed.ts';
import { type KeyMaterial, readKeyMaterial } from './token-store.ts';
import { accessTokenValid, sha256 } from './token-schedule.ts';
import { maintainTokens, type TokenDeps, type TokenInputs } from './token-flow.ts';

export interface TokenContext extends TokenDeps {
  /** GET /api answers, per connection uid: asked again after the interval or with a new token. */
  readonly discoveries: Map<string, { readonly token: string; readonly at: number; readonly found: Discovery }>;
}

export interface TokenObserveInputs {
  readonly facts: ConnectionFacts;
  readonly application?: TokenInputs['application'];
  readonly ca?: string;
  readonly credentials: {
    readonly username?: string | undefined;
    readonly password?: string | undefined;
    readonly refreshToken?: string | undefined;
  };
}

export async function observeTokens(
  client: Pick<KubeClient, 'get'>,
  connection: IManageConnection,
  context: TokenContext,
  inputs: TokenObserveInputs,
): Promise<TokenObservation> {
  const material = await keyMaterialOrError(client, connection);
  const credentials = Object.fromEntries(Object.entries(inputs.credentials).filter(([, v]) => v !== undefined));
  const observed = await maintainTokens(context, {
    connection,
    credentials,
    material,
    timeoutMs: inputs.facts.timeoutMs,
    ...(inputs.application ? { application: inputs.application } : {}),
    ...(inputs.ca ? { ca: inputs.ca } : {}),
  });
  const fingerprint =
    material && !(material instanceof EncryptionKeyError)
      ? { fingerprint: await context.store.fingerprint(material) }
      : {};
  return { ...observed, ...fingerprint, ...(await discoveryOf(context, connection, observed, inputs)) };
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

async function discoveryOf(
  context: TokenContext,
  connection: IManageConnection,
  observed: TokenObservation,
  inputs: TokenObserveInputs,
): Promise<Pick<TokenObservation, 'discovery' | 'discoveryError'>> {
  const payload = observed.payload;
  const now = context.now();
  if (!payload || observed.failure || !accessTokenValid(payload, now)) return {};
  const uid = connection.metadata.uid ?? '';
  const token = sha256(payload.access_token);
  const cached = context.discoveries.get(uid);
  if (cached && cached.token === token && now.getTime() - cached.at < inputs.facts.intervalMs) {
    return { discovery: cached.found };
  }
  const apiBase = new URL(connection.spec.apiUrl ?? connection.spec.url);
  const network = { ...context.network, timeoutMs: inputs.facts.timeoutMs };
  try {
    const found = await discover(apiBase, payload.access_token, network, inputs.ca, context.now);
    context.discoveries.set(uid, { token, at: now.getTime(), found });
    return { discovery: found };
  } catch (error) {
    if (!(error instanceof WorkApiError)) throw error;
    return { discoveryError: { detail: error.message, retryable: error.retryable, failure: error.failure } };
  }
}
