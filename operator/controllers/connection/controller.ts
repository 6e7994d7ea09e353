// The IManageConnection controller: facts → observe → decide → apply.

import type { IManageConnection } from '../../api/generated/types.ts';
import { imanageConnections } from '../../api/kinds.ts';
import type { Controller, EngineContext, ObjectRef } from '../../runtime/engine.ts';
import type { InformerSet } from '../../runtime/informer-set.ts';
import type { HandlerResult } from '../../runtime/queue.ts';
import { commitStatus } from '../../runtime/status.ts';
import { decideConnection } from './decide.ts';
import { connectionFacts } from './facts.ts';
import { observeConnection, type ProbeContext } from './observe.ts';
import { nextProbeInMs, type ProbeObservers, releaseConnection } from './probes.ts';

export const KIND = 'IManageConnection';

/** Failures that a change to a Secret fixes; Secrets are read on demand, not watched. */
const SECRET_REASONS = new Set([
  'SecretNotFound',
  'SecretMissingKey',
  'PassphraseTooShort',
  'CertificateInvalid',
  'CertificateExpired',
]);

export interface ConnectionControllerOptions {
  /** Probes of iManage; without them Ready means only that the spec and Secrets are valid. */
  readonly probes?: ProbeContext;
}

const ownerOf = (ref: ObjectRef) => `${ref.namespace}/${ref.name}`;

export function connectionController(options: ConnectionControllerOptions = {}): Controller {
  let ctx: EngineContext;
  let cache: InformerSet<IManageConnection>;
  let observers: ProbeObservers;
  const probes = options.probes;
  // A connection that no longer probes (gone, suspended, failing before its probes) lets go of
  // its probe cache keys, so that the cache holds only hosts still referenced.
  const release = (ref: ObjectRef) => probes && releaseConnection(probes.settings, ownerOf(ref), observers);
  return {
    kind: KIND,
    setup(engine) {
      ctx = engine;
      observers = { metrics: engine.metrics, logger: engine.logger };
      cache = engine.watch(KIND, imanageConnections).own;
      cache.on({
        delete: (o) => release({ namespace: o.metadata.namespace ?? 'default', name: o.metadata.name ?? '' }),
      });
    },
    async reconcile(ref: ObjectRef, signal: AbortSignal): Promise<HandlerResult | void> {
      const connection = cache.get(ref.namespace, ref.name);
      if (!connection || connection.metadata.deletionTimestamp) return void release(ref);
      const now = ctx.clock.now();
      const facts = connectionFacts(connection);
      const decide = (observed: Parameters<typeof decideConnection>[1]) =>
        decideConnection(connection, observed, ctx.clock.now(), facts, probes?.settings);
      if (connection.spec.suspend) {
        release(ref);
        await commitStatus(ctx, imanageConnections, connection, decide({}));
        return;
      }
      const observed = await observeConnection(ctx.client, connection, {
        facts,
        now,
        signal,
        ...(probes ? { probes } : {}),
        observers,
      });
      const decision = decide(observed);
      await commitStatus(ctx, imanageConnections, connection, decision);
      if (!observed.reachability) release(ref);
      // A missing or malformed Secret is not watched: look again, with backoff, until it is fixed.
      if (decision.failure && SECRET_REASONS.has(decision.failure.reason)) return { recheck: true };
      if (observed.reachability)
        return { requeueAfter: nextProbeInMs({ ...observed, reachability: observed.reachability }, ctx.clock.now()) };
    },
  };
}
