// Repositories resolved by the operator as a process (issue 12), tokens on: the connection
// controller obtains the token (password grant) and the repository controller resolves through
// it, against the simulator as iManage and the real API server. Then a connection outage (503 on
// the iManage host) flows through to the repositories, retried and not stalled, and back; while
// nothing changes, no repository status is written though the operator keeps re-checking.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseRepository, mergePatch } from '../../operator/api/validation/fixtures.ts';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, type KubeJson, metricValue, waitFor } from '../harness/operator.ts';
import { type OperatorProcess, startOperator } from '../harness/operator.ts';
import { caSecret, condition, connection, list, resolveToSimulator, secret } from '../probes/helpers.ts';
import { startFileSimulator, waitForCondition, waitForObject } from '../probes/helpers.ts';

const HOST = 'repos.example';
const LIB = 'ACTIVE_US';
const TIMEOUT_MS = 120_000;
const folders = (...names: string[]) => names.map((name) => ({ name }));
const scenario = {
  hosts: [{ name: HOST, customers: ['100'] }],
  customers: [
    {
      id: '100',
      libraries: [
        {
          id: LIB,
          workspaces: [
            { name: 'Clio Operate Administration', folders: folders('Data Uploads', 'Client Documents') },
            { name: 'Clio Operate Inbound Email', folders: folders('Attachments') },
          ],
        },
      ],
      users: [{ username: 'jsmith', password: 'jsmith-pass' }],
      applications: [{ clientId: 'app', clientSecret: 'app-secret', grants: ['password'], allowRefreshToken: true }],
    },
  ],
} as Scenario;

const ns = useTestNamespace('repo-op');
let sim: RunningSimulator;
let op: OperatorProcess;

const repository = (name: string, resolver: string, folder: string) =>
  mergePatch(baseRepository(name), {
    spec: { connectionRef: { name: 'acme' }, resolvers: [{ workType: '*', resolver, folder }] },
  });

const REPOSITORIES = [
  ['data-uploads', 'Clio Operate Administration', 'Data Uploads'],
  ['client-documents', 'Clio Operate Administration', 'Client Documents'],
  ['inbound-email', 'Clio Operate Inbound Email', 'Attachments'],
] as const;

/** The connection's Secrets and the connection: a password grant, so the operator obtains the token itself. */
const acme = (simulator: RunningSimulator) => [
  secret('app', { clientId: 'app', clientSecret: 'app-secret' }),
  secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
  caSecret('imanage-ca', simulator),
  connection('acme', `https://${HOST}`, {
    clientSecretRef: 'app',
    caSecret: 'imanage-ca',
    extraSpec: { library: LIB, auth: { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } } },
  }),
];

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  const repositories = REPOSITORIES.map(([name, workspace, folder]) => repository(name, workspace, folder));
  await ns.apply(list(...acme(sim), ...repositories));
  op = await startOperator({
    namespace: ns.name,
    probes: true,
    tokens: true,
    extraArgs: ['--allow-loopback-probes', 'true', '--resolve', resolveToSimulator(sim, [HOST]).join(',')],
  });
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await sim?.stop();
});

interface ResolutionJson {
  outcome: string;
  workspace?: { id: string; name: string };
  folder?: { id: string; path: string };
  matches?: number;
}
const resolutionOf = (o: KubeJson) => (o.status?.['resolvers'] as { resolution?: ResolutionJson }[])[0]?.resolution;
const resolved = (name: string) => waitForCondition(ns.name, 'wsr', name, 'Ready', 'True', 'Resolved', TIMEOUT_MS);
const searches = () => sim.requestLog({ host: HOST }).filter((r) => r.path.endsWith('/workspaces')).length;

/** Waits until the simulator has answered `count` more workspace searches: the operator re-checked. */
const moreSearches = (count: number) => {
  const from = searches();
  return waitFor(() => searches() >= from + count, TIMEOUT_MS, 250, `${count} more searches`);
};

const resourceVersions = async () =>
  Promise.all(REPOSITORIES.map(async ([name]) => (await getObject(ns.name, 'wsr', name))?.metadata.resourceVersion));

describe('repositories resolved by the operator process', () => {
  it('resolves through the token the connection controller obtained, to workspace and folder in status', async () => {
    const acme = await waitForCondition(ns.name, 'imc', 'acme', 'TokensReady', 'True', 'Linked', TIMEOUT_MS);
    expect(condition(acme, 'Ready')).toMatchObject({ status: 'True' });
    for (const [name, workspace, folder] of REPOSITORIES) {
      const o = await resolved(name);
      expect(resolutionOf(o)).toMatchObject({
        outcome: 'Resolved',
        workspace: { name: workspace },
        folder: { path: folder },
        matches: 1,
      });
      expect(condition(o, 'ConnectionReady')).toMatchObject({ status: 'True', reason: 'ConnectionReady' });
      expect(condition(o, 'Ready')!.message).toContain(`* → ${workspace} / ${folder}`);
    }
  });

  it('writes no repository status while nothing changes, though it keeps asking iManage', async () => {
    const writes = async () => metricValue(await op.metrics(), 'imanage_operator_status_writes_total', {
      kind: 'WorkspaceRepository',
    });
    const [before, written] = [await resourceVersions(), await writes()];
    await moreSearches(4); // two intervals' re-checks of both workspaces
    expect(await resourceVersions()).toEqual(before);
    expect(await writes()).toBe(written);
  });

  it('counts Work API requests by host and result, with no token in the metrics', async () => {
    const text = await op.metrics();
    expect(metricValue(text, 'imanage_work_requests_total', { host: HOST, result: 'success' })).toBeGreaterThan(0);
    const stored = await getObject<{ data: Record<string, string> }>(ns.name, 'secret', 'acme-tokens');
    const accessToken = Buffer.from(stored!.data['access_token']!, 'base64').toString();
    expect(accessToken).not.toBe('');
    expect(text).not.toContain(accessToken);
  });

  it('follows a connection outage through to its repositories, retrying and not stalled, and back', async () => {
    sim.admin.addFault({ kind: 'status', status: 503, host: HOST });
    const down = await waitForObject(ns.name, 'wsr', 'inbound-email', 'Ready False, retried', (o) => {
      const ready = condition(o, 'Ready');
      return ready?.status === 'False' && condition(o, 'Reconciling')?.status === 'True';
    }, TIMEOUT_MS);
    expect(condition(down, 'Ready')!.reason).toMatch(/^(Connection\w+|IManageUnavailable|RateLimited)$/);
    expect(condition(down, 'Reconciling')).toMatchObject({ reason: 'ProgressingWithRetry' });
    expect(condition(down, 'Stalled')?.status ?? 'False').toBe('False');
    sim.admin.clearFaults();
    for (const [name, workspace, folder] of REPOSITORIES) {
      const back = await resolved(name);
      expect(resolutionOf(back)).toMatchObject({ workspace: { name: workspace }, folder: { path: folder } });
      expect(condition(back, 'Reconciling')?.status ?? 'False').toBe('False');
    }
  }, 300_000);
});
