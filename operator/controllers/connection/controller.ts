// The IManageConnection controller: observe → decide → apply.

import type { IManageConnection } from '../../api/generated/types.ts';
import type { Controller, EngineContext, ObjectRef } from '../../runtime/engine.ts';
import type { InformerSet } from '../../runtime/informer-set.ts';
import { imanageConnections, type Resource } from '../../runtime/kube/resources.ts';
import type { HandlerResult } from '../../runtime/queue.ts';
import { commitStatus } from '../../runtime/status.ts';
import { refOf, specChanged } from '../shared.ts';
import { decideConnection } from './decide.ts';
import { observeConnection } from './observe.ts';

export const KIND = 'IManageConnection';
export const connectionsResource = imanageConnections as Resource<IManageConnection & { metadata: NonNullable<IManageConnection['metadata']> }>;

export function connectionController(): Controller {
  let ctx: EngineContext;
  let cache: InformerSet<IManageConnection & { metadata: NonNullable<IManageConnection['metadata']> }>;
  return {
    kind: KIND,
    setup(engine) {
      ctx = engine;
      cache = engine.informer(connectionsResource);
      cache.on({
        add: (o) => engine.enqueue(KIND, refOf(o)),
        update: (old, o) => specChanged(old, o) && engine.enqueue(KIND, refOf(o)),
      });
    },
    keys: () => cache.list().map(refOf),
    async reconcile(ref: ObjectRef, signal: AbortSignal): Promise<HandlerResult | void> {
      const connection = cache.get(ref.namespace, ref.name);
      if (!connection || connection.metadata.deletionTimestamp) return;
      const observed = connection.spec.suspend ? {} : await observeConnection(ctx.client, connection, signal);
      const decision = decideConnection(connection, observed, ctx.clock.now());
      await commitStatus(ctx, connectionsResource, connection, decision);
      // A missing or malformed Secret is not watched: look again, with backoff, until it is fixed.
      if (decision.failure?.kind === 'stalled' && decision.failure.reason !== 'InvalidSpec') return { recheck: true };
    },
  };
}
