// The WorkspaceRepository controller: observe (its connection, from the cache) → decide → apply.

import type { IManageConnection, WorkspaceRepository } from '../../api/generated/types.ts';
import { imanageConnections, workspaceRepositories } from '../../api/kinds.ts';
import type { Controller, EngineContext, ObjectRef } from '../../runtime/engine.ts';
import type { InformerSet } from '../../runtime/informer-set.ts';
import type { HandlerResult } from '../../runtime/queue.ts';
import { commitStatus } from '../../runtime/status.ts';
import { decideRepository } from './decide.ts';

export const KIND = 'WorkspaceRepository';

/**
 * What a repository's decision reads of its connection. Probes rewrite a connection's status
 * every interval (checkedAt, latency); that alone must not requeue all its repositories.
 */
function readinessInputChanged(old: IManageConnection, current: IManageConnection): boolean {
  const view = (c: IManageConnection) => JSON.stringify([
    c.metadata.generation, c.spec?.suspend, c.status?.observedGeneration,
    c.status?.conditions?.find((x) => x.type === 'Ready') ?? null,
  ]);
  return view(old) !== view(current);
}

export function repositoryController(): Controller {
  let ctx: EngineContext;
  let repositories: InformerSet<WorkspaceRepository>;
  let connections: InformerSet<IManageConnection>;
  return {
    kind: KIND,
    setup(engine) {
      ctx = engine;
      const watched = engine.watch(KIND, workspaceRepositories);
      repositories = watched.own;
      connections = watched.references({
        resource: imanageConnections,
        nameOf: (r) => r.spec?.connectionRef?.name,
        changed: readinessInputChanged,
      });
    },
    async reconcile(ref: ObjectRef): Promise<HandlerResult | void> {
      const repository = repositories.get(ref.namespace, ref.name);
      if (!repository || repository.metadata.deletionTimestamp) return;
      const connectionName = repository.spec?.connectionRef?.name;
      const connection = connectionName ? connections.get(ref.namespace, connectionName) : undefined;
      const decision = decideRepository(repository, connection ? { connection } : {});
      await commitStatus(ctx, workspaceRepositories, repository, decision);
    },
  };
}
