// Resolution at scale through the controller (issue 12): the operator as a process (probes and
// tokens on), a real kube-apiserver and etcd on this machine, the simulator as iManage on
// loopback, one connection (password grant) and N repositories on it, several per workspace as
// Clio Operate's areas share workspaces. Prints the time from creating the repositories to every
// one Ready (Resolved), the requests the simulator saw meanwhile, the requests per repository per
// interval once settled (the connection probes every 10 s, the schema's minimum, so a few
// intervals pass quickly), and the operator's imanage_work_requests_total by result.
// bench/resolve.ts measures the client level (SearchLoad, a fake clock) alone. Not a test.
//
// Usage: node bench/resolve-operator.ts [repositories=1000] [repositories per workspace=5] [intervals=3]

import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { baseConnection, baseRepository, mergePatch } from '../operator/api/validation/fixtures.ts';
import { type RunningSimulator, type Scenario, startSimulator } from '../simulator/index.ts';
import { startControlPlane } from '../test/harness/controlplane.ts';
import { installCrds } from '../test/harness/crds.ts';

const REPOSITORIES = Number(process.argv[2] ?? 1000);
const PER_WORKSPACE = Number(process.argv[3] ?? 5);
const INTERVALS = Number(process.argv[4] ?? 3);
const INTERVAL_S = 10;
const HOST = 'bench.example';
const LIB = 'ACTIVE_US';
const NS = 'bench';
const root = join(import.meta.dirname, '..');
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const workspaceOf = (i: number) => `Bench Workspace ${Math.floor(i / PER_WORKSPACE)}`;
const workspaces = Math.ceil(REPOSITORIES / PER_WORKSPACE);

const library = {
  id: LIB,
  workspaces: Array.from({ length: workspaces }, (_, w) => ({
    name: workspaceOf(w * PER_WORKSPACE),
    folders: [{ name: 'Documents' }],
  })),
};
const application = { clientId: 'app', clientSecret: 'app-secret', grants: ['password'], allowRefreshToken: true };
const users = [{ username: 'bench', password: 'bench-pass' }];
const scenario = {
  hosts: [{ name: HOST, customers: ['100'] }],
  customers: [{ id: '100', libraries: [library], users, applications: [application] }],
} as Scenario;

// (test/probes/helpers.ts builds these for tests, but it registers vitest hooks, which a bench cannot load.)
const list = (...items: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
const secretOf = (name: string, stringData: Record<string, string>) =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData });

/** One OnPremise connection with a password grant: the operator obtains its token itself. */
const objects = (sim: RunningSimulator) => [
  secretOf('app', { clientId: 'app', clientSecret: 'app-secret' }),
  secretOf('bench-user', { username: 'bench', password: 'bench-pass' }),
  secretOf('imanage-ca', { 'ca.crt': sim.caPem }),
  mergePatch(baseConnection('acme'), {
    spec: {
      connectionType: 'OnPremise', url: `https://${HOST}`, customerId: null, library: LIB, environments: null,
      clientSecretRef: { name: 'app' }, caBundleSecretRef: { name: 'imanage-ca', key: 'ca.crt' },
      probes: { interval: `${INTERVAL_S}s`, timeout: '5s' },
      auth: { grant: 'Password', credentialsSecretRef: { name: 'bench-user' } },
    },
  }),
];

const repository = (i: number) =>
  mergePatch(baseRepository(`repo-${i}`), {
    spec: {
      connectionRef: { name: 'acme' },
      resolvers: [{ workType: '*', resolver: workspaceOf(i), folder: 'Documents' }],
    },
  });

type Item = { status?: { conditions?: { type: string; status: string; reason: string }[] } };
const readyResolved = (o: Item) =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True' && c.reason === 'Resolved') ?? false;

const cp = await startControlPlane();
const sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
const kubectl = async (args: string[], input?: string) => {
  const result = await cp.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};
const operator = spawn(process.execPath, [
  join(root, 'operator', 'cli', 'main.ts'), 'run', '--kubeconfig', cp.kubeconfigPath, '--namespaces', NS,
  '--leader-election-namespace', NS, '--health-address', '127.0.0.1:0', '--log-level', 'info',
  '--allow-loopback-probes', 'true', '--resolve', `${HOST}:443:127.0.0.1:${sim.httpsPort}`,
], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  await installCrds(cp, join(root, 'crds'), await readdir(join(root, 'crds')));
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-n', NS, '-f', '-'], list(...objects(sim)));
  const metricsUrl = await healthAddress(operator.stdout!);
  const acme = async () => JSON.parse(await kubectl(['get', 'imc', 'acme', '-n', NS, '-o', 'json'])) as Item;
  await waitUntil(120, acme, isReady);
  sim.admin.clearRequestLog();
  const started = performance.now();
  for (let i = 0; i < REPOSITORIES; i += 250) {
    const batch = Array.from({ length: Math.min(250, REPOSITORIES - i) }, (_, j) => repository(i + j));
    await kubectl(['apply', '-n', NS, '-f', '-'], list(...batch));
  }
  await waitUntil(600, listRepositories, (items) => items.length === REPOSITORIES && items.every(readyResolved));
  const seconds = (performance.now() - started) / 1000;
  const first = counts();
  say(`${REPOSITORIES} repositories on one connection, ${PER_WORKSPACE} per workspace (${workspaces} workspaces), ` +
    `probe interval ${INTERVAL_S} s`);
  say(`  all Ready (Resolved) ${seconds.toFixed(1)} s after the first was created; the simulator saw ${first.total} ` +
    `requests meanwhile (${first.searches} searches, ${first.listings} folder listings, ${first.other} other)`);
  sim.admin.clearRequestLog();
  await sleep(INTERVALS * INTERVAL_S * 1000);
  const steady = counts();
  const perRepo = (n: number) => (n / REPOSITORIES / INTERVALS).toFixed(3);
  say(`  settled, over ${INTERVALS} intervals: ${steady.searches + steady.listings} Work API requests = ` +
    `${perRepo(steady.searches + steady.listings)} per repository per interval ` +
    `(${perRepo(steady.searches)} searches, ${perRepo(steady.listings)} listings); ${steady.other} other requests`);
  say(`  imanage_work_requests_total: ${workRequests(await (await fetch(metricsUrl)).text())}`);
} finally {
  operator.kill('SIGTERM');
  await new Promise((r) => (operator.exitCode === null ? operator.once('exit', r) : r(undefined)));
  await sim.stop();
  await cp.stop();
}

function isReady(o: Item): boolean {
  return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

async function listRepositories(): Promise<Item[]> {
  return (JSON.parse(await kubectl(['get', 'wsr', '-n', NS, '-o', 'json'])) as { items: Item[] }).items;
}

function counts() {
  const log = sim.requestLog({ host: HOST });
  const searches = log.filter((e) => e.path.endsWith('/workspaces')).length;
  const listings = log.filter((e) => e.path.endsWith('/children')).length;
  return { total: log.length, searches, listings, other: log.length - searches - listings };
}

function workRequests(text: string): string {
  const lines = text.split('\n').filter((l) => l.startsWith('imanage_work_requests_total{'));
  return lines.map((l) => l.replace(/^imanage_work_requests_total/, '')).join(', ') || 'none';
}

/** The operator's /metrics URL, from its `operator starting` line; its output is read (and dropped) to the end. */
function healthAddress(stdout: NodeJS.ReadableStream): Promise<string> {
  let buffered = '';
  return new Promise((resolve, reject) => {
    stdout.on('data', (chunk) => {
      buffered += String(chunk);
      const line = buffered.split('\n').find((l) => l.includes('"operator starting"'));
      if (!line) return;
      resolve(`http://${(JSON.parse(line) as { probes: string }).probes}/metrics`);
      buffered = '';
      stdout.removeAllListeners('data');
      stdout.resume();
    });
    stdout.once('end', () => reject(new Error('the operator exited before it started')));
  });
}

async function waitUntil<T>(seconds: number, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not done within ${seconds} s`);
    await sleep(500);
  }
}
