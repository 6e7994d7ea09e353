// The WorkspaceRepository controller: observe (its connection, from the cache) → decide → apply.

import type { IManageConnection, WorkspaceRepository } from '../../api/generated/types.ts';
import { imanageConnections, workspaceRepositories } from '../../api/kinds.ts';
import { findCondition, Ready, Reconciling } from '../../runtime/conditions.ts';
import type { Controller, EngineContext, ObjectRef } from '../../runtime/engine.ts';
import type { InformerSet } from '../../runtime/informer-set.ts';
import type { HandlerResult } from '../../runtime/queue.ts';
import { commitStatus } from '../../runtime/status.ts';
import { decideRepository } from './decide.ts';

export const KIND = 'WorkspaceRepository';

/**
 * What a repository's decision reads of its connection: its suspension and its Ready condition.
 * Probes rewrite a connection's status every interval (checkedAt, latency), and an edit of the
 * connection bumps its generation; neither alone changes a repository, so neither requeues the
 * thousand repositories a connection may have.
 */
function readinessInputChanged(old: IManageConnection, current: IManageConnection): boolean {
  const view = (c: IManageConnection) => {
    const ready = findCondition(c.status?.conditions, Ready);
    const retrying = findCondition(c.status?.conditions, Reconciling)?.status === 'True';
    return JSON.stringify([c.spec?.suspend, ready?.status, ready?.reason, ready?.message, retrying]);
  };
  return view(old) !== view(current);
}

/**
 * A connection the operator has not reconciled yet (no Ready at all): its first status requeues
 * this repository, so writing `WaitingForConnection` now would only be overwritten a moment
 * later (two writes and two Events for one repository created with its connection).
 */
function awaitingFirstStatus(connection: IManageConnection | undefined): boolean {
  return connection !== undefined && !connection.spec?.suspend && !findCondition(connection.status?.conditions, Ready);
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
      if (decision.failure?.reason === 'WaitingForConnection' && awaitingFirstStatus(connection)) return;
      await commitStatus(ctx, workspaceRepositories, repository, decision);
    },
  };
}
