// The token part of observe: the key material, the token pass (flow.ts), and with a token
// in hand GET /api, so that the reachability check completes (customer id, library, version).
// GET /api is asked once per probe interval per connection, or at once when the token changed.
// It also names the user the tokens act as, which no token response does: the payload records it
// (status.tokens.account, and the consuming product reads it from the Secret), written after a
// link, a take-over or a fresh grant, and again only when the user changes.

import type { IManageConnection } from '../api/generated/types.ts';
import { type Discovery, discover } from '../imanage/discovery.ts';
import { WorkApiError } from '../imanage/work-errors.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { ConflictError } from '../runtime/kube/errors.ts';
import { EncryptionKeyError } from './keys.ts';
import type { TokenObservation } from './observation.ts';
import { type KeyMaterial, readKeyMaterial } from './store.ts';
import { accessTokenValid, sha256 } from './schedule.ts';
import { maintainTokens, type TokenDeps, type TokenInputs } from './flow.ts';

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
}

export async function observeTokens(
  client: Pick<KubeClient, 'get'>,
  connection: IManageConnection,
  context: TokenContext,
  inputs: TokenObserveInputs,
): Promise<TokenObservation> {
  const material = await keyMaterialOrError(client, connection);
  const credentials = Object.fromEntries(Object.entries(inputs.credentials).filter(([, v]) => v !== undefined));
  const accountOf = async (accessToken: string) => (await discoverWith(context, connection, inputs, accessToken)).userId;
  const observed = await maintainTokens({ ...context, accountOf }, {
    connection,
    credentials,
    material,
    timeoutMs: inputs.facts.timeoutMs,
    ...(inputs.application ? { application: inputs.application } : {}),
    ...(inputs.ca ? { ca: inputs.ca } : {}),
  });
  const usable = material instanceof EncryptionKeyError ? undefined : material;
  const discovered = { ...observed, ...(await discoveryOf(context, connection, observed, inputs)) };
  return recordAccount(context, connection, usable, discovered);
}

/** The user GET /api named, into the payload when it is not there yet or has changed; else nothing is written. */
async function recordAccount(
  context: TokenContext,
  connection: IManageConnection,
  material: KeyMaterial | undefined,
  observed: TokenObservation,
): Promise<TokenObservation> {
  const { payload, discovery, resourceVersion } = observed;
  if (!payload || !discovery || !resourceVersion || observed.failure) return observed;
  if (payload.account === discovery.userId) return observed;
  const updated = { ...payload, account: discovery.userId };
  try {
    const saved = await context.store.save(connection, updated, material, resourceVersion);
    return { ...observed, ...saved, payload: updated };
  } catch (error) {
    // Another writer came first (a sign-in stored new tokens): theirs stand, and the next pass asks GET /api again.
    if (error instanceof ConflictError) return observed;
    throw error;
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

/** GET /api with `accessToken`, remembered for the connection (discoveryOf reuses it). */
async function discoverWith(context: TokenContext, connection: IManageConnection, inputs: TokenObserveInputs, accessToken: string) {
  const apiBase = new URL(connection.spec.apiUrl ?? connection.spec.url);
  const network = { ...context.network, timeoutMs: inputs.facts.timeoutMs };
  const at = context.now().getTime();
  const found = await discover(apiBase, accessToken, network, inputs.ca, context.now);
  context.discoveries.set(connection.metadata.uid ?? '', { token: sha256(accessToken), at, found });
  return found;
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
  try {
    return { discovery: await discoverWith(context, connection, inputs, payload.access_token) };
  } catch (error) {
    if (!(error instanceof WorkApiError)) throw error;
    return { discoveryError: { detail: error.message, retryable: error.retryable, failure: error.failure } };
  }
}
