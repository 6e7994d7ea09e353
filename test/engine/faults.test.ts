// The findings of issue 9, each forced through a fault proxy in front of the real API server (the
// shared control plane; the operator is the only client that goes through the proxy):
//   1. a 403 right after a restart is taken as a configuration error and the key dropped;
//   2. a status write skipped because the cache had not shown our own previous write;
//   3. recovery waiting on accumulated backoffs after a long outage; /readyz during it;
//   4. a connection edit flipping every repository to WaitingForConnection and back;
// and issue 8's "a repository reconciled before its connection writes its status once".
// Every wait polls for an outcome within a generous bound; no test asserts a duration.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { imanageConnections, workspaceRepositories } from '../../operator/api/kinds.ts';
import { loadClusterConfig } from '../../operator/runtime/kube/config.ts';
import { KubeClient } from '../../operator/runtime/kube/client.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { metricValue, startOperator, waitFor, type OperatorProcess } from '../harness/operator.ts';
import { WatchFaultProxy } from '../kube/watch-fault-proxy.ts';
import {
  connection, createAll, duplicateRedirectUris, isCurrentAndReady, kubeconfigThrough, listOwned, repository, touchSpec, waitConverged,
} from './objects.ts';

const ns = useTestNamespace('engine-faults');
let admin: KubeClient;
let proxy: WatchFaultProxy;
let op: OperatorProcess;

beforeAll(async () => {
  admin = await KubeClient.load({ kubeconfig: inject('kubeconfigPath') });
  const config = await loadClusterConfig({ kubeconfig: inject('kubeconfigPath'), env: {} });
  proxy = await WatchFaultProxy.start(inject('server'), config.ca!);
  // The default resync (10 min): a stuck object must not be rescued by a resync within the test.
  // No leader election: a Lease that cannot be renewed for 10 s ends the process (by design), and
  // these tests are about what the engine does while it runs.
  op = await startOperator({
    namespace: ns.name, leaderElect: false, logLevel: 'debug',
    kubeconfigPath: await kubeconfigThrough(inject('kubeconfigPath'), proxy.url),
  });
});

afterAll(async () => {
  await op?.stop();
  await proxy?.close();
  admin?.close();
});

const writes = async (kind: string): Promise<number> => metricValue(await op.metrics(), 'imanage_operator_status_writes_total', { kind });
const reconciles = async (kind: string): Promise<number> =>
  metricValue(await op.metrics(), 'imanage_operator_reconcile_total', { kind });

async function readyz(): Promise<number> {
  const res = await fetch(`http://${op.probes.host}:${op.probes.port}/readyz`);
  return res.status;
}

async function allConverged(prefix: string, timeoutMs: number, what: string): Promise<void> {
  await waitConverged(admin, ns.name, prefix, timeoutMs, what);
}

const isApi = (path: string): boolean => path.startsWith('/api');

describe('issue 8: a repository reconciled before its connection', () => {
  it('writes its status once, not Waiting and then Configured', async () => {
    const before = await writes('WorkspaceRepository');
    // The connection's first status write waits (503) until its repositories have been looked at.
    proxy.fault({ answer: 503, applies: (r) => r.method === 'PUT' && r.path.includes('/imanageconnections/once-conn/status') });
    const connectionsBefore = await reconciles('IManageConnection');
    await createAll(admin, [connection(ns.name, 'once-conn')]);
    // Once the connection has been reconciled, the operator's shared cache of connections holds it:
    // a repository created now cannot see "no such connection" through a cache that lags under load.
    await waitFor(async () => (await reconciles('IManageConnection')) > connectionsBefore || undefined,
      30_000, 100, 'the connection to be in the operator\'s cache');
    const repos = Array.from({ length: 10 }, (_, i) => repository(ns.name, `once-repo-${i}`, 'once-conn'));
    await createAll(admin, repos);
    await waitFor(async () => metricValue(await op.metrics(), 'imanage_operator_reconcile_total', { kind: 'WorkspaceRepository' }) >= 10 || undefined,
      30_000, 100, 'the repositories to be reconciled while their connection has no status');
    proxy.fault(undefined);
    await allConverged('once-', 60_000, 'the connection and its repositories Ready');
    await sleep(1_000);
    expect(await writes('WorkspaceRepository') - before).toBe(10);
  });
});

describe('finding 4: a connection edit', () => {
  it('does not flip its repositories: no repository status write, no Event', async () => {
    await createAll(admin, [connection(ns.name, 'flip-conn'), ...Array.from({ length: 10 }, (_, i) => repository(ns.name, `flip-repo-${i}`, 'flip-conn'))]);
    await allConverged('flip-', 60_000, 'the connection and its repositories Ready');
    await sleep(1_000);
    const before = await writes('WorkspaceRepository');
    for (let edit = 1; edit <= 3; edit++) {
      await touchSpec(admin, imanageConnections, ns.name, 'flip-conn', edit);
      await allConverged('flip-conn', 30_000, `the connection at its new generation (edit ${edit})`);
    }
    await sleep(1_000);
    expect(await writes('WorkspaceRepository') - before).toBe(0);
  });
});

describe('finding 1: a 403 in the window after a restart', () => {
  it('is retried, not taken as a configuration error: every edit made meanwhile is reconciled', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `window-conn-${i}`);
    await createAll(admin, names.map((name) => connection(ns.name, name)));
    await allConverged('window-', 60_000, 'the connections Ready');

    // The "restart": watches cut, no answer for a second, then 403 to every read and write for
    // a few seconds (watches pass, as they did when the cache had loaded some rules first).
    proxy.fault({ answer: 'drop', applies: () => true });
    proxy.cutWatches();
    for (const [i, name] of names.entries()) await touchSpec(admin, imanageConnections, ns.name, name, 10 + i);
    await sleep(1_000);
    proxy.fault({ answer: 403, applies: (r) => isApi(r.path) && !r.watch });
    await waitFor(() => proxy.faulted > 10 || undefined, 30_000, 100, 'the operator to be refused');
    await sleep(4_000);
    proxy.fault(undefined);

    await allConverged('window-', 30_000, 'every connection reconciled at its new generation after the 403 window');
    expect(op.logs().join('\n')).not.toMatch(/PermissionDenied/);
  });
});

describe('finding 2: a cache that has not shown our own write yet', () => {
  it('does not hide a needed status write (repository watches held back)', async () => {
    await createAll(admin, [connection(ns.name, 'stale-conn'), repository(ns.name, 'stale-repo', 'stale-conn')]);
    await allConverged('stale-', 60_000, 'connection and repository Ready');

    // The repository cache stops here: it shows Configured from now on.
    const repoWatches = (path: string): boolean => path.includes('/workspacerepositories');
    proxy.hold(repoWatches);
    proxy.cutWatches(repoWatches);

    // The connection breaks: the repository follows it (a write its cache does not show)...
    await admin.patch(imanageConnections, { namespace: ns.name, name: 'stale-conn' }, duplicateRedirectUris);
    await waitFor(async () => {
      const repo = await admin.get(workspaceRepositories, { namespace: ns.name, name: 'stale-repo' });
      return repo.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'ConnectionInvalidSpec' || undefined;
    }, 30_000, 200, 'the repository to follow its broken connection');

    // ...and is fixed. Compared with its cache (Configured), the repository would write nothing.
    await admin.patch(imanageConnections, { namespace: ns.name, name: 'stale-conn' }, {
      spec: { environments: [{ name: 'production', baseUrl: 'https://acme.clioweb.com' }] },
    });
    await allConverged('stale-conn', 30_000, 'the connection Ready again');
    proxy.release();
    await allConverged('stale-repo', 20_000, 'the repository Ready again, though its cache lagged behind');
  });
});

describe('finding 3 and /readyz: a 65 s outage of the writes (etcd away, watches served from the cache)', () => {
  it('retries what failed at once when the server is back; /readyz unready during it, ready after', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `outage-conn-${i}`);
    await createAll(admin, [...names.map((name) => connection(ns.name, name)), repository(ns.name, 'outage-repo', 'outage-conn-0')]);
    await allConverged('outage-', 60_000, 'the connections Ready');
    expect(await readyz()).toBe(200);

    // Every request but a watch answers 503, /readyz included: as kube-apiserver without etcd.
    proxy.fault({ answer: 503, applies: (r) => !r.watch });
    for (const [i, name] of names.entries()) await touchSpec(admin, imanageConnections, ns.name, name, 20 + i);
    // Past API_UNREACHABLE_UNREADY_MS (30 s), and long enough that a failing key's backoff has
    // grown past half a minute (1+2+4+…+32 s).
    await sleep(33_000);
    const readyzDuringOutage = await readyz();
    await sleep(32_000);
    const outageConnections = (await listOwned(admin, ns.name)).filter((o) => o.metadata.name?.startsWith('outage-conn'));
    expect(outageConnections.filter((o) => !isCurrentAndReady(o))).toHaveLength(10);
    proxy.fault(undefined);

    await allConverged('outage-', 10_000, 'every edit made during the outage reconciled within 10 s of the return');
    expect(op.logs().some((line) => line.includes('the API server answers again'))).toBe(true);
    expect(readyzDuringOutage).toBe(503);
    await waitFor(async () => (await readyz()) === 200 || undefined, 10_000, 250, "the operator's /readyz ready again");
  }, 180_000);
});

describe('issue 17: watch failures are warnings only once they last', () => {
  it('logs a watch answered 429 at info while it rides out its backoff, and at warn once broken for 30 s', async () => {
    const from = op.entries().length;
    const watchLines = () => op.entries().slice(from).filter((e) => e.msg?.startsWith('watch '));
    // As kube-apiserver answers while its storage is (re)initializing.
    proxy.fault({ answer: 429, applies: (r) => r.watch });
    proxy.cutWatches();
    try {
      await waitFor(() => watchLines().find((e) => e['level'] === 'warn'), 120_000, 500, 'a warn for the watch kept broken');
    } finally {
      proxy.fault(undefined);
    }
    const lines = watchLines();
    const firstWarn = lines.findIndex((e) => e['level'] === 'warn');
    expect(firstWarn).toBeGreaterThan(0);
    expect(lines.slice(0, firstWarn).every((e) => e['level'] === 'info' && e.msg === 'watch failed; restarting with backoff')).toBe(true);
    expect(lines[firstWarn]!.msg).toBe('watch still failing; restarting with backoff');
    expect(Number(lines[firstWarn]!['brokenForSeconds'])).toBeGreaterThanOrEqual(30);
    await waitFor(async () => (await readyz()) === 200 || undefined, 30_000, 250, "the operator's /readyz ready after the watches came back");
  }, 180_000);
});
