// The WorkspaceRepository controller: observe (its connection, from the cache) → decide → apply.

import type { IManageConnection, WorkspaceRepository } from '../../api/generated/types.ts';
import type { Controller, EngineContext, ObjectRef } from '../../runtime/engine.ts';
import type { InformerSet } from '../../runtime/informer-set.ts';
import { type Resource, workspaceRepositories } from '../../runtime/kube/resources.ts';
import type { HandlerResult } from '../../runtime/queue.ts';
import { commitStatus } from '../../runtime/status.ts';
import { connectionsResource } from '../connection/controller.ts';
import { refOf, specChanged } from '../shared.ts';
import { decideRepository } from './decide.ts';

export const KIND = 'WorkspaceRepository';
type Repository = WorkspaceRepository & { metadata: NonNullable<WorkspaceRepository['metadata']> };
export const repositoriesResource = workspaceRepositories as Resource<Repository>;

/** Index of repositories by the connection they refer to: `<namespace>/<connection name>`. */
const BY_CONNECTION = 'connectionRef';
const connectionKey = (namespace: string | undefined, name: string) => `${namespace ?? 'default'}/${name}`;

type Connection = IManageConnection & { metadata: NonNullable<IManageConnection['metadata']> };

/**
 * What a repository's decision reads of its connection. Probes rewrite a connection's status
 * every interval (checkedAt, latency); that alone must not requeue all its repositories.
 */
function readinessInputChanged(old: Connection, current: Connection): boolean {
  const view = (c: Connection) => JSON.stringify([
    c.metadata.generation, c.spec?.suspend, c.status?.observedGeneration,
    c.status?.conditions?.find((x) => x.type === 'Ready') ?? null,
  ]);
  return view(old) !== view(current);
}

export function repositoryController(): Controller {
  let ctx: EngineContext;
  let repositories: InformerSet<Repository>;
  let connections: InformerSet<IManageConnection & { metadata: NonNullable<IManageConnection['metadata']> }>;
  return {
    kind: KIND,
    setup(engine) {
      ctx = engine;
      repositories = engine.informer(repositoriesResource);
      repositories.addIndex(BY_CONNECTION, (r) => (r.spec?.connectionRef?.name ? connectionKey(r.metadata.namespace, r.spec.connectionRef.name) : undefined));
      repositories.on({
        add: (o) => engine.enqueue(KIND, refOf(o)),
        update: (old, o) => specChanged(old, o) && engine.enqueue(KIND, refOf(o)),
      });
      // Any change to a connection, its status included, may change its repositories' readiness.
      connections = engine.informer(connectionsResource);
      const requeueDependents = (c: IManageConnection & { metadata: NonNullable<IManageConnection['metadata']> }) => {
        for (const r of repositories.byIndex(BY_CONNECTION, connectionKey(c.metadata.namespace, c.metadata.name ?? ''))) engine.enqueue(KIND, refOf(r));
      };
      connections.on({
        add: requeueDependents,
        update: (old, c) => readinessInputChanged(old, c) && requeueDependents(c),
        delete: requeueDependents,
      });
    },
    keys: () => repositories.list().map(refOf),
    async reconcile(ref: ObjectRef): Promise<HandlerResult | void> {
      const repository = repositories.get(ref.namespace, ref.name);
      if (!repository || repository.metadata.deletionTimestamp) return;
      const connectionName = repository.spec?.connectionRef?.name;
      const connection = connectionName ? connections.get(ref.namespace, connectionName) : undefined;
      const decision = decideRepository(repository, connection ? { connection } : {});
      await commitStatus(ctx, repositoriesResource, repository, decision);
    },
  };
}
