// The IManageConnection controller: observe → decide → apply.

import type { IManageConnection } from '../../api/generated/types.ts';
import { imanageConnections } from '../../api/kinds.ts';
import type { Controller, EngineContext, ObjectRef } from '../../runtime/engine.ts';
import type { InformerSet } from '../../runtime/informer-set.ts';
import type { HandlerResult } from '../../runtime/queue.ts';
import { commitStatus } from '../../runtime/status.ts';
import { invalidSpec } from '../shared.ts';
import { decideConnection } from './decide.ts';
import { observeConnection, type ProbeContext } from './observe.ts';
import { nextProbeInMs } from './probes.ts';

export const KIND = 'IManageConnection';

/** Failures that a change to a Secret fixes; Secrets are read on demand, not watched. */
const SECRET_REASONS = new Set(['SecretNotFound', 'SecretMissingKey', 'PassphraseTooShort', 'CertificateInvalid', 'CertificateExpired']);

export interface ConnectionControllerOptions {
  /** Probes of iManage; without them Ready means only that the spec and Secrets are valid. */
  readonly probes?: ProbeContext;
}

export function connectionController(options: ConnectionControllerOptions = {}): Controller {
  let ctx: EngineContext;
  let cache: InformerSet<IManageConnection>;
  return {
    kind: KIND,
    setup(engine) {
      ctx = engine;
      cache = engine.watch(KIND, imanageConnections).own;
    },
    async reconcile(ref: ObjectRef, signal: AbortSignal): Promise<HandlerResult | void> {
      const connection = cache.get(ref.namespace, ref.name);
      if (!connection || connection.metadata.deletionTimestamp) return;
      if (connection.spec.suspend) {
        await commitStatus(ctx, imanageConnections, connection, decideConnection(connection, {}, ctx.clock.now()));
        return;
      }
      // An invalid spec is reported as such; probing a URL that fails validation would only add noise.
      const probes = invalidSpec(connection) ? undefined : options.probes;
      const observed = await observeConnection(ctx.client, connection, signal, probes);
      const decision = decideConnection(connection, observed, ctx.clock.now());
      await commitStatus(ctx, imanageConnections, connection, decision);
      // A missing or malformed Secret is not watched: look again, with backoff, until it is fixed.
      if (decision.failure && SECRET_REASONS.has(decision.failure.reason)) return { recheck: true };
      if (observed.reachability) return { requeueAfter: nextProbeInMs(observed as Parameters<typeof nextProbeInMs>[0], ctx.clock.now()) };
    },
  };
}
