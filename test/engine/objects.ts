// Objects, edits and convergence checks shared by the engine's fault and restart tests. They talk
// to the API server with the operator's own client (as admin, never through a fault proxy), which
// is much faster than kubectl for hundreds of objects.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { dump, load } from 'js-yaml';
import { readFile } from 'node:fs/promises';
import type { IManageConnection, WorkspaceRepository } from '../../operator/api/generated/types.ts';
import { imanageConnections, workspaceRepositories } from '../../operator/api/kinds.ts';
import { baseConnection, baseRepository, mergePatch } from '../../operator/api/validation/fixtures.ts';
import type { KubeClient } from '../../operator/runtime/kube/client.ts';
import { events, type KubeObject, type Resource } from '../../operator/runtime/kube/resources.ts';

type Owned = IManageConnection | WorkspaceRepository;

export function connection(namespace: string, name: string, patch: unknown = {}): IManageConnection {
  return mergePatch(mergePatch(baseConnection(name), { metadata: { namespace } }), patch);
}

export function repository(namespace: string, name: string, connectionName: string, patch: unknown = {}): WorkspaceRepository {
  return mergePatch(mergePatch(baseRepository(name), { metadata: { namespace }, spec: { connectionRef: { name: connectionName } } }), patch);
}

/** The API server accepts it; the operator's semantic checks do not (two environments, one redirect URI). */
export const duplicateRedirectUris = {
  spec: { environments: [{ name: 'uat', baseUrl: 'https://acme-uat.clioweb.com' }, { name: 'training', baseUrl: 'https://acme-uat.clioweb.com' }] },
};

/** A spec change that keeps the object valid and Ready: a new generation, nothing else. */
export async function touchSpec(client: KubeClient, resource: Resource<Owned>, namespace: string, name: string, serial: number): Promise<void> {
  const patch = resource === (imanageConnections as Resource<Owned>)
    ? { spec: { customerId: String(100 + serial) } }
    : { spec: { resolvers: [{ workType: '*', resolver: `[workitem.title]`, folder: `Folder ${serial}` }] } };
  await client.patch(resource, { namespace, name }, patch);
}

export async function createAll(client: KubeClient, objects: readonly Owned[], width = 16): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < objects.length) {
      const object = objects[next++]!;
      await client.create((object.kind === 'IManageConnection' ? imanageConnections : workspaceRepositories) as Resource<Owned>, object);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

function readyOf(object: Owned): { status?: string; reason?: string; observedGeneration?: number } | undefined {
  return object.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Reported for its current generation, Ready=True. */
export function isCurrentAndReady(object: Owned): boolean {
  const generation = object.metadata.generation;
  const ready = readyOf(object);
  return object.status?.observedGeneration === generation && ready?.status === 'True' && ready.observedGeneration === generation;
}

export async function listOwned(client: KubeClient, namespace: string): Promise<Owned[]> {
  const [conns, repos] = await Promise.all([
    client.list(imanageConnections, { namespace }),
    client.list(workspaceRepositories, { namespace }),
  ]);
  return [...conns.items, ...repos.items];
}

/** The objects not yet Ready for their generation, as `kind/name (why)`. */
export async function stale(client: KubeClient, namespace: string): Promise<string[]> {
  return (await listOwned(client, namespace)).filter((o) => !isCurrentAndReady(o)).map((o) => {
    const ready = readyOf(o);
    return `${o.kind}/${o.metadata.name} (generation ${o.metadata.generation}, observed ${o.status?.observedGeneration}, Ready ${ready?.status}/${ready?.reason})`;
  });
}

/**
 * Waits until no object whose name starts with `prefix` is stale; on timeout the error lists the
 * ones still stale then. Returns the seconds since `since` (a performance.now()).
 */
export async function waitConverged(
  client: KubeClient, namespace: string, prefix: string, timeoutMs: number, what: string, since = performance.now(),
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = (await stale(client, namespace)).filter((s) => s.split('/')[1]!.startsWith(prefix));
    if (left.length === 0) return (performance.now() - since) / 1000;
    if (performance.now() > deadline) {
      const shown = `${left.slice(0, 10).join(', ')}${left.length > 10 ? ` and ${left.length - 10} more` : ''}`;
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; still stale: ${shown}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function eventCount(client: KubeClient, namespace: string): Promise<number> {
  const list = await client.list(events as Resource<KubeObject & { series?: { count: number } }>, { namespace });
  return list.items.reduce((sum, e) => sum + (e.series?.count ?? 1), 0);
}

/** A copy of a kubeconfig whose cluster is `server` (a plain-HTTP fault proxy), same user. */
export async function kubeconfigThrough(kubeconfigPath: string, server: string): Promise<string> {
  const config = load(await readFile(kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  config.clusters[0]!.cluster = { server };
  const path = join(tmpdir(), `kubeconfig-proxy-${randomBytes(4).toString('hex')}`);
  await writeFile(path, dump(config), { mode: 0o600 });
  return path;
}
