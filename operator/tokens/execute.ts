// The token executor: carries out the plan the connection controller made from what observe read
// (flow.ts, in its crash-safe order), then with a token in hand asks GET /api, so that the
// reachability check completes (customer id, library, version). GET /api is asked once per probe
// interval per connection, or at once when the token changed. It also names the user the tokens
// act as, which no token response does: the payload records it (status.tokens.account, and the
// consuming product reads it from the Secret), written after a link, a take-over or a fresh grant,
// and again only when the user changes.

import type { IManageConnection } from '../api/generated/types.ts';
import { WorkApiError } from '../imanage/work-errors.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { ConflictError } from '../runtime/kube/errors.ts';
import { discoverConnection } from './connection-secrets.ts';
import { executeTokenPlan, planTokenPass } from './flow.ts';
import { EncryptionKeyError } from './keys.ts';
import type { TokenObservation } from './observation.ts';
import { type TokenContext, type TokenObserveInputs, type TokenReading, readTokens } from './observe.ts';
import type { TokenPlan } from './plan.ts';
import { sha256 } from './digest.ts';
import { accessTokenValid } from './schedule.ts';
import type { KeyMaterial } from './store.ts';

/** Carries out `plan` and what follows from it, then GET /api and the account: the pass's outcome for decide. */
export async function executeTokens(
  context: TokenContext,
  reading: TokenReading,
  plan: TokenPlan | undefined,
): Promise<TokenObservation> {
  const { connection } = reading;
  const accountOf = async (accessToken: string) => (await discoverWith(context, reading, accessToken)).userId;
  const observed = await executeTokenPlan({ ...context, accountOf }, reading, plan);
  const usable = reading.material instanceof EncryptionKeyError ? undefined : reading.material;
  const discovered = { ...observed, ...(await discoveryOf(context, reading, observed)) };
  return recordAccount(context, connection, usable, discovered);
}

/** Read, plan, execute: one whole token pass, as the controller runs it (for callers without a controller). */
export async function runTokenPass(
  client: Pick<KubeClient, 'get'>,
  connection: IManageConnection,
  context: TokenContext,
  inputs: TokenObserveInputs,
): Promise<TokenObservation> {
  const reading = await readTokens(client, connection, context, inputs);
  return executeTokens(context, reading, planTokenPass(context, reading));
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

/** GET /api with `accessToken`, remembered for the connection (discoveryOf reuses it). */
async function discoverWith(context: TokenContext, reading: TokenReading, accessToken: string) {
  const network = { ...context.network, timeoutMs: reading.facts.timeoutMs };
  const at = context.now().getTime();
  const found = await discoverConnection(reading.connection, accessToken, network, reading.ca, context.now);
  context.discoveries.set(reading.connection.metadata.uid ?? '', { token: sha256(accessToken), at, found });
  return found;
}

async function discoveryOf(
  context: TokenContext,
  reading: TokenReading,
  observed: TokenObservation,
): Promise<Pick<TokenObservation, 'discovery' | 'discoveryError'>> {
  const payload = observed.payload;
  const now = context.now();
  if (!payload || observed.failure || !accessTokenValid(payload, now)) return {};
  const uid = reading.connection.metadata.uid ?? '';
  const token = sha256(payload.access_token);
  const cached = context.discoveries.get(uid);
  if (cached && cached.token === token && now.getTime() - cached.at < reading.facts.intervalMs) {
    return { discovery: cached.found };
  }
  try {
    return { discovery: await discoverWith(context, reading, payload.access_token) };
  } catch (error) {
    if (!(error instanceof WorkApiError)) throw error;
    return { discoveryError: { detail: error.message, retryable: error.retryable, failure: error.failure } };
  }
}
