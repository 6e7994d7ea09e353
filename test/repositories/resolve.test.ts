// The WorkspaceRepository controller resolving for real (issue 12): the engine in this process
// against the real API server, the iManage simulator over HTTPS on loopback, and an AccessTokens
// that the test fills with a token from the simulator's password grant, as the connection
// controller fills it in the operator. The connection's status is written by the test (Ready, or
// retrying an outage), so that what is tested is the repository's side of the contract.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { passwordToken, scenario, VANITY } from '../../simulator/testing/fixture.ts';
import type { WorkspaceRepository } from '../../operator/api/generated/types.ts';
import { CONTROLLER_NAME } from '../../operator/api/kinds.ts';
import { baseConnection, baseRepository, mergePatch } from '../../operator/api/validation/fixtures.ts';
import { FolderListings } from '../../operator/controllers/repository/folder-listings.ts';
import { repositoryController } from '../../operator/controllers/repository/controller.ts';
import { HostOverrides, ProbeGuard } from '../../operator/imanage/network.ts';
import { HostPhases } from '../../operator/imanage/probe-cache.ts';
import { PROBE_FOLDER_PREFIX, SearchLoad } from '../../operator/imanage/resolve.ts';
import { WorkClient } from '../../operator/imanage/work.ts';
import { realClock } from '../../operator/runtime/clock.ts';
import { Engine } from '../../operator/runtime/engine.ts';
import { KubeClient } from '../../operator/runtime/kube/client.ts';
import { createLogger } from '../../operator/runtime/log.ts';
import { createMetrics } from '../../operator/runtime/metrics.ts';
import { AccessTokens } from '../../operator/tokens/access.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, waitFor, type KubeJson } from '../harness/operator.ts';

const LIB = 'ACTIVE_US';
const examples = join(import.meta.dirname, '..', '..', 'examples');
const TIMEOUT_MS = 60_000;
const ns = useTestNamespace('repos');
let sim: RunningSimulator;
let tokens: AccessTokens;
let load: SearchLoad;
let stopEngine: () => Promise<void>;

/**
 * Seed 000's seven areas as the Clio Operate example declares them (examples/clio-operate-cloud):
 * its repositories are applied as they are, and the simulator holds the workspace and folder
 * that each default (*) entry names, and the workspace of its litigation preview.
 */
const clioRepositories = loadAll(readFileSync(join(examples, 'clio-operate-cloud', 'repositories.yaml'), 'utf8')).map(
  (doc) => doc as WorkspaceRepository,
);
const defaultEntry = (r: WorkspaceRepository) => r.spec.resolvers.find((e) => e.workType === '*')!;

/** Actionstep (seed 003): matters by Matter ID (custom2), a migrated one by File Reference (custom3). */
const ACTIONSTEP = [
  { name: 'Smith v Jones (AS)', custom2: '104522' },
  { name: 'Brown v State Insurance', custom3: 'LEG-2019-0042' },
  { name: 'Twin A', custom2: 'DUP-1' },
  { name: 'Twin B', custom2: 'DUP-1' },
  { name: 'Empty Matter', custom2: 'NEW-1' },
];

function seedWorkspaces(): void {
  const folders = new Map<string, string[]>([['CASE101: John Smith vs. Jane Doe', ['Documents']]]);
  for (const { resolver, folder } of clioRepositories.map(defaultEntry)) {
    folders.set(resolver, [...(folders.get(resolver) ?? []), folder!]);
  }
  for (const [name, names] of folders) {
    sim.admin.addWorkspace('100', LIB, { name, folders: names.map((n) => ({ name: n })) });
  }
  for (const matter of ACTIONSTEP) sim.admin.addWorkspace('100', LIB, matter);
}

async function kubectl(args: string[], input?: string): Promise<void> {
  const result = await ns.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
}

const apply = (...objects: object[]) =>
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));

function connection(name: string): object {
  return mergePatch(baseConnection(name), {
    spec: {
      url: `https://${VANITY}`,
      customerId: '100',
      library: LIB,
      caBundleSecretRef: { name: 'imanage-ca', key: 'ca.crt' },
      probes: { interval: '10s', timeout: '2s' },
    },
  });
}

/** The connection's status as its controller writes it: Ready, or retrying an outage. */
async function setConnectionStatus(name: string, ready: boolean): Promise<void> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: reason,
    lastTransitionTime: at,
    observedGeneration: 1,
  });
  const conditions = ready
    ? [condition('Ready', 'True', 'Connected')]
    : [condition('Ready', 'False', 'ConnectFailed'), condition('Reconciling', 'True', 'ProgressingWithRetry')];
  const patch = JSON.stringify({ status: { observedGeneration: 1, conditions } });
  await kubectl(['patch', 'imanageconnection', name, '--subresource=status', '--type=merge', '-p', patch]);
}

function repository(name: string, spec: Record<string, unknown>, connectionName = 'acme'): object {
  return mergePatch(baseRepository(name), { spec: { connectionRef: { name: connectionName }, ...spec } });
}

type Condition = { type: string; status: string; reason: string; message: string };
const conditionOf = (o: KubeJson, type: string) =>
  (o.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);

/** Waits until Ready has this status and reason at the object's generation. */
function waitReady(name: string, status: 'True' | 'False' | 'Unknown', reason: string, timeoutMs = TIMEOUT_MS) {
  return waitFor(
    async () => {
      const o = await getObject(ns.name, 'wsr', name);
      const ready = o && conditionOf(o, 'Ready');
      const current = o?.status?.observedGeneration === o?.metadata.generation;
      if (current && ready?.status === status && ready.reason === reason) return o;
      // Thrown, so that a timeout names what the repository said instead.
      throw new Error(`Ready=${ready?.status} ${ready?.reason}: ${ready?.message}`);
    },
    timeoutMs,
    250,
    `wsr/${name} Ready=${status} ${reason}`,
  );
}

interface ResolutionJson {
  outcome: string;
  workspace?: { id: string; name: string };
  folder?: { id: string; path: string };
  matches?: number;
  matchedBy?: string;
  candidates?: { id: string; name: string }[];
  message?: string;
}
const resolutionOf = (o: KubeJson, i = 0) =>
  (o.status?.['resolvers'] as { resolution?: ResolutionJson }[])[i]?.resolution;
const previewsOf = (o: KubeJson) =>
  (o.status?.['previews'] as { workType: string; entry?: string; resolution: ResolutionJson }[]) ?? [];

function workClient(): WorkClient {
  const network = {
    overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
    guard: guard(),
    timeoutMs: 5_000,
  };
  return new WorkClient(
    { apiBase: new URL(`https://${VANITY}`), customerId: '100', ca: sim.caPem },
    network,
    () => tokens.get(`${ns.name}/acme`, new Date()).accessToken,
  );
}

const guard = () => new ProbeGuard({ allowLoopback: true, serviceCidrs: [], allowedCidrs: [] });

async function startEngine(): Promise<() => Promise<void>> {
  const client = await KubeClient.load({ kubeconfig: inject('kubeconfigPath') });
  const engine = new Engine({
    client,
    logger: createLogger({ level: 'silent', name: 'test' }),
    metrics: createMetrics(),
    namespaces: [ns.name],
    controllerName: CONTROLLER_NAME,
    concurrency: 8,
    resyncPeriodMs: 600_000,
    health: { host: '127.0.0.1', port: 0 },
    shutdownGraceMs: 5_000,
  });
  const overrides = new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]);
  engine.register(
    repositoryController({
      resolution: {
        tokens,
        load,
        listings: new FolderListings(realClock),
        network: { overrides, guard: guard() },
        accessChecks: new Map(),
      },
    }),
  );
  const stop = new AbortController();
  const running = engine.run(stop.signal);
  return async () => {
    stop.abort();
    await running;
    client.close();
  };
}

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  seedWorkspaces();
  tokens = new AccessTokens();
  tokens.set(`${ns.name}/acme`, {
    accessToken: await passwordToken(sim),
    expiresAt: new Date(Date.now() + 3_600_000),
    customerId: '100',
  });
  load = new SearchLoad({ clock: realClock, hosts: new HostPhases() });
  await apply(
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'imanage-ca' }, stringData: { 'ca.crt': sim.caPem } },
    connection('acme'),
  );
  await setConnectionStatus('acme', true);
  stopEngine = await startEngine();
});

afterAll(async () => {
  await stopEngine?.();
  await sim?.stop();
});

describe('WorkspaceRepository resolution', () => {
  it('resolves the seven Clio Operate areas of seed 000 to their workspace and folder', async () => {
    expect(new Set(clioRepositories.map((r) => r.spec.area)).size).toBe(7);
    await apply(...clioRepositories.map((r) => mergePatch(r, { spec: { connectionRef: { name: 'acme' } } })));
    for (const r of clioRepositories) {
      const { resolver: workspace, folder } = defaultEntry(r);
      const o = await waitReady(r.metadata.name!, 'True', 'Resolved');
      const index = r.spec.resolvers.indexOf(defaultEntry(r));
      expect(resolutionOf(o, index)).toMatchObject({
        outcome: 'Resolved',
        workspace: { name: workspace },
        folder: { path: folder },
        matches: 1,
        matchedBy: 'resolver',
      });
      expect(conditionOf(o, 'Ready')!.message).toContain(`* → ${workspace} / ${folder}`);
      for (const type of ['ConnectionReady', 'ResolverValid', 'Resolved'])
        expect(conditionOf(o, type)?.status).toBe('True');
    }
    // The litigation instruction's preview finds its own workspace by title ([workitem.title]).
    const instructions = await getObject(ns.name, 'wsr', 'clio-operate-cloud-instructions');
    expect(previewsOf(instructions!)[0]).toMatchObject({
      entry: 'instruction-litigation',
      resolution: {
        outcome: 'Resolved',
        workspace: { name: 'CASE101: John Smith vs. Jane Doe' },
        folder: { path: 'Documents' },
      },
    });
  });

  it('finds a matter by Advanced Search on custom1 and custom2 (12345 and 00001)', async () => {
    await apply(
      repository('matters-advanced', {
        area: 'Matters',
        resolvers: [{ workType: '*', resolver: 'custom1=12345, custom2=00001' }],
      }),
    );
    const o = await waitReady('matters-advanced', 'True', 'Resolved');
    expect(resolutionOf(o)).toMatchObject({
      outcome: 'Resolved',
      workspace: { id: 'ACTIVE_US!100', name: 'Smith v Jones' },
      matches: 1,
    });
    expect(resolutionOf(o)!.folder).toBeUndefined();
  });

  it('follows the fallback chain, and takes the first match (First) or reports the candidates (Fail)', async () => {
    const entry = (policy: string) => ({
      workType: '*',
      resolver: 'custom2=NOT-THERE',
      fallbacks: ['custom2=DUP-1'],
      onMultipleMatches: policy,
    });
    await apply(
      repository('as-first', { area: 'Matters', resolvers: [entry('First')] }),
      repository('as-fail', { area: 'Matters', resolvers: [entry('Fail')] }),
    );
    const first = await waitReady('as-first', 'True', 'Resolved');
    expect(resolutionOf(first)).toMatchObject({
      outcome: 'Resolved',
      workspace: { name: 'Twin A' },
      matches: 2,
      matchedBy: 'fallbacks[0]',
    });
    const fail = await waitReady('as-fail', 'False', 'AmbiguousMatch');
    expect(resolutionOf(fail)).toMatchObject({ outcome: 'AmbiguousMatch', matches: 2, matchedBy: 'fallbacks[0]' });
    expect(resolutionOf(fail)!.candidates!.map((c) => c.name)).toEqual(['Twin A', 'Twin B']);
    expect(conditionOf(fail, 'Stalled')?.status).toBe('True');
    expect(conditionOf(fail, 'Ready')!.message).toMatch(/^spec\.resolvers\[0\]\.resolver: .*onMultipleMatches is Fail/);
  });

  it('reports NoMatch as Clio Operate would show an error', async () => {
    await apply(
      repository('nothing', { resolvers: [{ workType: '*', resolver: 'No Such Workspace', folder: 'Documents' }] }),
    );
    const o = await waitReady('nothing', 'False', 'NoMatch');
    expect(resolutionOf(o)).toMatchObject({ outcome: 'NoMatch' });
    expect(conditionOf(o, 'Resolved')).toMatchObject({ status: 'False', reason: 'NoMatch' });
    expect(conditionOf(o, 'Ready')!.message).toContain('name=No Such Workspace (0 matches)');
  });

  it('resolves each preview of a dynamic resolver (Actionstep: Matter ID, then File Reference)', async () => {
    await apply(
      repository('as-previews', {
        area: 'Matters',
        resolvers: [
          { workType: '*', resolver: 'custom2=[workitem.id]', fallbacks: ['custom3=[workitem.fileReference]'] },
        ],
        preview: [
          { workType: 'matter', workItem: { id: '104522' } },
          { workType: 'matter', workItem: { id: '900001', fileReference: 'LEG-2019-0042' } },
          { workType: 'matter', workItem: { id: '900002' } },
        ],
      }),
    );
    const o = await waitReady('as-previews', 'True', 'Resolved');
    expect(resolutionOf(o)).toMatchObject({ outcome: 'NeedsWorkItem' });
    expect(
      previewsOf(o).map((p) => [p.entry, p.resolution.outcome, p.resolution.workspace?.name, p.resolution.matchedBy]),
    ).toEqual([
      ['*', 'Resolved', 'Smith v Jones (AS)', 'resolver'],
      ['*', 'Resolved', 'Brown v State Insurance', 'fallbacks[0]'],
      ['*', 'NoMatch', undefined, undefined],
    ]);
  });

  it('creates missing folders with ensureFolders, once however often it runs', async () => {
    const spec = {
      resolvers: [{ workType: '*', resolver: 'Empty Matter', folder: 'Correspondence/2026' }],
      ensureFolders: true,
    };
    await apply(repository('ensure-1', spec));
    const first = await waitReady('ensure-1', 'True', 'Resolved');
    expect(resolutionOf(first)).toMatchObject({ outcome: 'Resolved', folder: { path: 'Correspondence/2026' } });
    await apply(repository('ensure-2', spec));
    const second = await waitReady('ensure-2', 'True', 'Resolved');
    expect(resolutionOf(second)!.folder).toEqual(resolutionOf(first)!.folder);
    const created = sim.requestLog({ method: 'POST' }).filter((r) => /\/(folders|subfolders)$/.test(r.path));
    expect(created).toHaveLength(2);
    const workspace = resolutionOf(first)!.workspace!;
    const top = await workClient().subfolders(LIB, { kind: 'workspace', id: workspace.id });
    expect(top.items.map((f) => f.name)).toEqual(['Correspondence']);
  });

  it('runs the access check and leaves nothing behind', async () => {
    sim.admin.clearRequestLog();
    await apply(
      repository('access', {
        resolvers: [{ workType: '*', resolver: 'Clio Operate Inbound Email', folder: 'Attachments' }],
        accessCheck: true,
      }),
    );
    const o = await waitFor(
      async () => {
        const r = await getObject(ns.name, 'wsr', 'access');
        return (
          r && conditionOf(r, 'AccessVerified')?.status === 'True' && conditionOf(r, 'Ready')?.status === 'True' && r
        );
      },
      TIMEOUT_MS,
      250,
      'wsr/access AccessVerified=True',
    );
    const writes = sim.requestLog().filter((r) => r.method !== 'GET');
    const shape = (path: string) => path.replace(/^.*\/libraries\/[^/]+\//, '').replace(/[^/]*(!|%21)[^/]*/g, 'ID');
    expect(writes.map((r) => [r.method, shape(r.path), r.status])).toEqual([
      ['POST', 'folders/ID/subfolders', 201],
      ['POST', 'folders/ID/documents', 201],
      ['DELETE', 'documents/ID', 204],
      ['DELETE', 'folders/ID', 204],
    ]);
    const left = await workClient().subfolders(LIB, { kind: 'folder', id: resolutionOf(o)!.folder!.id });
    expect(left.items.filter((f) => f.name.startsWith(PROBE_FOLDER_PREFIX))).toEqual([]);
  });

  it('sends nothing without a token, and resolves as soon as the connection holds one', async () => {
    await apply(connection('later'));
    await setConnectionStatus('later', true);
    // As the connection controller leaves it when it has reconciled the connection and holds no
    // token. (Before that, just after a restart, a repository keeps its status instead: see
    // test/tokens/secret-reads.test.ts.)
    tokens.trust(`${ns.name}/later`, sim.caPem);
    await apply(
      repository(
        'later-repo',
        { resolvers: [{ workType: '*', resolver: 'Clio Operate Instructions', folder: 'Documents' }] },
        'later',
      ),
    );
    const waiting = await waitReady('later-repo', 'Unknown', 'WaitingForAccessToken');
    expect(conditionOf(waiting, 'ConnectionReady')).toMatchObject({
      status: 'Unknown',
      reason: 'WaitingForAccessToken',
    });
    expect(resolutionOf(waiting)).toBeUndefined();
    tokens.set(`${ns.name}/later`, tokens.get(`${ns.name}/acme`, new Date()));
    await waitReady('later-repo', 'True', 'Resolved');
  });

  it('follows a connection outage through to its repositories and back', async () => {
    const entry = (resolver: string) => ({ resolvers: [{ workType: '*', resolver }] });
    sim.admin.addWorkspace('100', LIB, { name: 'Clio Operate Scanning Archive' });
    sim.admin.addWorkspace('100', LIB, { name: 'Clio Operate Post Room' });
    await apply(repository('outage', entry('Clio Operate Scanning Archive')));
    await waitReady('outage', 'True', 'Resolved');
    sim.admin.addFault({ kind: 'status', status: 503, host: VANITY });
    await setConnectionStatus('acme', false);
    const down = await waitReady('outage', 'False', 'ConnectionConnectFailed');
    expect(conditionOf(down, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    expect(conditionOf(down, 'ConnectionReady')).toMatchObject({ status: 'False', reason: 'ConnectionConnectFailed' });
    expect(conditionOf(down, 'Stalled')).toBeUndefined();
    // The connection looks Ready again while iManage still fails: a search not yet answered is
    // retried (503, or held back by the host's backoff), never stalled.
    await setConnectionStatus('acme', true);
    await apply(repository('outage-new', entry('Clio Operate Post Room')));
    const failing = await waitFor(
      async () => {
        const o = await getObject(ns.name, 'wsr', 'outage-new');
        const reason = o && conditionOf(o, 'Ready')?.reason;
        return (reason === 'IManageUnavailable' || reason === 'RateLimited') && o;
      },
      TIMEOUT_MS,
      250,
      'wsr/outage-new retrying',
    );
    expect(conditionOf(failing, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    expect(resolutionOf(failing)).toMatchObject({ outcome: 'Unavailable' });
    sim.admin.clearFaults();
    await waitReady('outage', 'True', 'Resolved');
    await waitReady('outage-new', 'True', 'Resolved', 120_000);
  }, 300_000);
});
