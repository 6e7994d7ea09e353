// The IManageConnection controller: facts → observe → decide → apply.

import type { IManageConnection } from '../../api/generated/types.ts';
import { imanageConnections } from '../../api/kinds.ts';
import type { Controller, EngineContext, ObjectRef } from '../../runtime/engine.ts';
import type { InformerSet } from '../../runtime/informer-set.ts';
import type { HandlerResult } from '../../runtime/queue.ts';
import { commitStatus } from '../../runtime/status.ts';
import { MIN_PROBE_DELAY_MS } from '../../imanage/delays.ts';
import { checkSpec } from '../shared.ts';
import { decideConnection } from './decide.ts';
import { connectionFacts, connectionKey, connectionKeyOf, refreshBeforeMsOf } from '../../api/connection.ts';
import type { ObservedConnection } from './observed.ts';
import { observeConnection, type ProbeContext } from './observe.ts';
import { RecentSecretReads } from '../../runtime/kube/recent-secrets.ts';
import { nextProbeInMs, type ProbeObservers, releaseConnection } from './probes.ts';
import {
  dropFinalizer,
  earliestRefreshAt,
  ensureFinalizer,
  executeTokens,
  lostTokenLine,
  planTokenPass,
  releaseTokens,
  type TokenContext,
  type TokenLifecycle,
  tokenLifecycle,
  type TokenOptions,
  type TokenReading,
  KeyDerivationPending,
  EncryptionKeyError,
} from '../../tokens/index.ts';

export const KIND = 'IManageConnection';

export interface ConnectionControllerOptions {
  /** Probes of iManage; without them Ready means only that the spec and Secrets are valid. */
  readonly probes?: ProbeContext;
  /** Token management (needs probes: the same network settings); absent with --tokens=false. */
  readonly tokens?: TokenOptions;
}

const ownerOf = (ref: ObjectRef) => connectionKey(ref.namespace, ref.name);

/**
 * When to look at a connection again: its next probe or token refresh, whichever is first, but
 * never sooner than MIN_PROBE_DELAY_MS. Both come from what a server said (an expiry, a
 * Retry-After); without the floor `expires_in: 0` requeued the key after 1 ms, for ever.
 */
export function nextLookInMs(probeInMs: number, refreshAt: Date | undefined, now: Date): number {
  const refreshIn = refreshAt ? refreshAt.getTime() - now.getTime() : Infinity;
  return Math.max(MIN_PROBE_DELAY_MS, Math.min(probeInMs, refreshIn));
}

/**
 * After a start, the latest a settled connection's first look may come: the earliest its access
 * token's refresh can be scheduled (the status says when the tokens were obtained and when they
 * lapse; the jitter is in the Secret, so the earliest it can be). Undefined without an expiry.
 */
export function tokenRefreshDueInMs(connection: IManageConnection, now: Date): number | undefined {
  const held = connection.status?.tokens;
  if (!held?.accessTokenExpiresAt) return undefined;
  // Without the time they were obtained the schedule cannot be worked out: look at once.
  if (!held.lastRefreshAt) return 0;
  const due = earliestRefreshAt(held.lastRefreshAt, held.accessTokenExpiresAt, refreshBeforeMsOf(connection));
  return due.getTime() - now.getTime();
}

/**
 * Observe only read the tokens: here the plan is made from what it read and carried out (the
 * executor keeps the crash-safe order), and what happened joins the observation decide reads.
 */
export async function withTokens(
  context: TokenContext | undefined,
  observed: ObservedConnection,
): Promise<ObservedConnection> {
  const { tokenReading, ...rest } = observed;
  if (!context || !tokenReading) return rest;
  // The repositories' Work API calls trust what this reconcile read: they read no CA Secret themselves.
  if (observed.workApiTrust)
    context.accessTokens.trust(connectionKeyOf(tokenReading.connection), observed.workApiTrust.ca);
  const plan = planTokenPass(context, tokenReading);
  return { ...rest, tokens: await executeTokens(context, tokenReading, plan) };
}

/** A connection whose namespace's line of derivations was full asks again after this long. */
export const KEY_DERIVATION_RECHECK_MS = 5_000;

/**
 * The key derivation this pass would wait for, holding its worker, in the line of derivations
 * (tokens/derivations.ts): of the key that opens the token Secret, or else of the key that seals
 * new tokens. Undefined when the keys it needs are derived, or when the pass fails before them.
 */
export function keyDerivationAwaited(
  context: TokenContext | undefined,
  reading: TokenReading | undefined,
): Promise<boolean> | undefined {
  if (!context || !reading) return undefined;
  if (reading.loadError instanceof KeyDerivationPending) return reading.loadError.derived;
  if (reading.loadError !== undefined || reading.material instanceof EncryptionKeyError) return undefined;
  return context.store.pendingSeal(reading.connection, reading.material);
}

/**
 * A tenant with many passphrases (each a derivation of about 0.1 s, one at a time) would otherwise
 * hold every worker waiting in its line. The pass ends here, writing nothing (its status stays as
 * it was), and runs again as soon as the derivation has ended; if the namespace's line was full,
 * after KEY_DERIVATION_RECHECK_MS. No requeue is returned: a delay kept beside it would bring the
 * connection back once more for nothing (the queue keeps the earliest delay of a key).
 */
function lookAgainOnceDerived(ctx: EngineContext, ref: ObjectRef, derived: Promise<boolean>): void {
  void derived.then((ran) => ctx.enqueue(KIND, ref, 'change', ran ? 0 : KEY_DERIVATION_RECHECK_MS));
}

export function connectionController(options: ConnectionControllerOptions = {}): Controller {
  let ctx: EngineContext;
  let cache: InformerSet<IManageConnection>;
  let observers: ProbeObservers;
  let tokens: TokenLifecycle | undefined;
  let recentSecrets: RecentSecretReads;
  const probes = options.probes;
  // A connection that no longer probes (gone, suspended, failing before its probes) lets go of
  // its probe cache keys, so that the cache holds only hosts still referenced.
  const release = (ref: ObjectRef) => probes && releaseConnection(probes.settings, ownerOf(ref), observers);
  return {
    kind: KIND,
    setup(engine) {
      ctx = engine;
      observers = { metrics: engine.metrics, logger: engine.logger };
      recentSecrets = new RecentSecretReads();
      cache = engine.watch(KIND, imanageConnections).own;
      tokens = probes && options.tokens ? tokenLifecycle(engine, probes, options.tokens) : undefined;
      cache.on({
        delete: (o) => release({ namespace: o.metadata.namespace ?? 'default', name: o.metadata.name ?? '' }),
        update: (old, o) => tokens?.onUpdate(old, o),
      });
    },
    firstLookDueInMs: (object, now) => (tokens ? tokenRefreshDueInMs(object as IManageConnection, now) : undefined),
    async reconcile(ref: ObjectRef, signal: AbortSignal): Promise<HandlerResult | void> {
      let connection = cache.get(ref.namespace, ref.name);
      if (!connection) return void release(ref);
      if (connection.metadata.deletionTimestamp) {
        release(ref);
        // The admission policy adds the finalizer to every connection, whatever --tokens says:
        // with tokens off there is nothing to revoke, and the finalizer must still go.
        if (tokens) await releaseTokens(ctx, tokens, connection);
        else await dropFinalizer(ctx, connection);
        return;
      }
      const now = ctx.clock.now();
      const facts = connectionFacts(connection, tokens?.options.link?.callbackUrl);
      const decide = (c: IManageConnection, observed: ObservedConnection) =>
        decideConnection(c, observed, ctx.clock.now(), facts, probes?.settings);
      if (connection.spec.suspend) {
        release(ref);
        await commitStatus(ctx, imanageConnections, connection, decide(connection, {}));
        return;
      }
      if (tokens) connection = await ensureFinalizer(ctx, connection);
      // Observe reads the spec with the schema's defaults applied (a clone; the cache is never changed).
      const derived = checkSpec(connection).value;
      const read = await observeConnection(ctx.client, derived, {
        facts,
        now,
        signal,
        ...(probes ? { probes } : {}),
        observers,
        ...(tokens ? { tokens: tokens.context } : {}),
        recentSecrets,
      });
      const derivation = keyDerivationAwaited(tokens?.context, read.tokenReading);
      if (derivation) return lookAgainOnceDerived(ctx, ref, derivation);
      const observed = await withTokens(tokens?.context, read);
      tokens?.track(connection, observed.tokens);
      const decision = decide(connection, observed);
      const lost = lostTokenLine(connection, observed.tokens);
      if (lost) ctx.logger.warn(lost.fields, lost.message);
      await commitStatus(ctx, imanageConnections, connection, decision);
      if (!observed.reachability) release(ref);
      // A missing or malformed Secret is not watched: decide says to look again, with backoff.
      if (decision.next === 'recheck') return { recheck: true };
      if (decision.next === 'probe' && observed.reachability) {
        const probeIn = nextProbeInMs({ ...observed, reachability: observed.reachability }, ctx.clock.now());
        return { requeueAfter: nextLookInMs(probeIn, observed.tokens?.nextRefreshAt, ctx.clock.now()) };
      }
    },
  };
}
