// The probes at scale: a control plane of its own, the iManage simulator playing 10 hosts, and the
// operator with probes on; 1,000 connections spread over the hosts (probes every 10 s). Prints:
//   - probes each host received per interval (from the simulator's request log; the goal is 1),
//   - reconcile time (the operator's reconcile-duration histogram) and the time until all Ready,
//   - the probe latency against the simulator (imanage_probe_duration_seconds: mean per host),
//   - status writes in steady state, per connection per hour (the goal is 0: quiet when idle),
//   - and, at unit level, how many requests a host that always fails gets over 10 minutes of
//     fake time when asked every second (ProbeCache + FakeClock, intervals 5m and 30s).
// Not a test: it prints its figures.
//
// Usage: node bench/probes.ts [connections=1000] [hosts=10] [operator concurrency=4]
//   BENCH_OBSERVE_INTERVALS=n   intervals of steady state to count probes and writes over [12: 2 minutes]

import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProbeCache } from '../operator/imanage/probe-cache.ts';
import { FakeClock } from '../operator/runtime/clock.ts';
import { KubeClient } from '../operator/runtime/kube/client.ts';
import { imanageConnections } from '../operator/api/kinds.ts';
import { type KubeObject, namespaces, secrets } from '../operator/runtime/kube/resources.ts';
import { type RequestLogEntry, type RunningSimulator, startSimulator } from '../simulator/index.ts';
import { startControlPlane } from '../test/harness/controlplane.ts';
import { installCrds } from '../test/harness/crds.ts';
import { loggedAtWarnOrAbove } from './operator-scale.ts';

const NAMESPACE = 'bench-probes';
const INTERVAL_S = 10;
const INTERVAL_MS = INTERVAL_S * 1000;
const CREATE_CONCURRENCY = 32;
const POLL_MS = 1_000;
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const note = (line: string): void => void process.stderr.write(`${line}\n`);

class BenchFailure extends Error {
  override readonly name = 'BenchFailure';
}

interface Settings {
  readonly connections: number;
  readonly hosts: number;
  readonly concurrency: number;
  readonly observeIntervals: number;
}

function settings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const [connections, hosts, concurrency, observeIntervals] = [argv[0] ?? 1000, argv[1] ?? 10, argv[2] ?? 4, env['BENCH_OBSERVE_INTERVALS'] ?? 12].map(Number);
  for (const [name, value] of Object.entries({ connections, hosts, concurrency, observeIntervals })) {
    if (!Number.isInteger(value) || value! < 1) throw new BenchFailure(`${name} must be a positive integer`);
  }
  return { connections: connections!, hosts: hosts!, concurrency: concurrency!, observeIntervals: observeIntervals! };
}

const hostName = (h: number): string => `bench-${h}.cloudimanage.com`;
const environmentBase = (h: number): string => `https://app-${h}.example.com`;

// ---------------------------------------------------------------------------------------------
// Small helpers

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

function fetchText(url: string): Promise<string> {
  return new Promise((done, fail) => {
    const req = httpRequest(url, { timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? done(Buffer.concat(chunks).toString('utf8')) : fail(new BenchFailure(`GET ${url}: ${res.statusCode}`))));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new BenchFailure(`GET ${url} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

/** Sum of the samples of `name` whose labels include `labels`. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// The operator as a child process

class Operator {
  readonly child: ChildProcess;
  readonly address: Promise<string>;
  warnings = 0;

  constructor(kubeconfig: string, resolve: string, concurrency: number) {
    const main = fileURLToPath(new URL('../operator/cli/main.ts', import.meta.url));
    this.child = spawn(process.execPath, [
      main, 'run', '--kubeconfig', kubeconfig, '--namespaces', NAMESPACE, '--leader-elect', 'false',
      '--health-address', '127.0.0.1:0', '--log-level', 'info', '--concurrency', String(concurrency),
      // Probes only: these connections name no account (no spec.auth), so with tokens on (the
      // default) every one would stay NotLinked and never Ready.
      '--probes', 'true', '--tokens', 'false', '--resolve', resolve, '--allow-loopback-probes', 'true',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let found: (address: string) => void = () => {};
    this.address = new Promise((done, fail) => {
      found = done;
      this.child.once('close', (code) => fail(new BenchFailure(`the operator exited (${code}) before it was running`)));
    });
    let pending = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; probes?: string; level?: unknown };
          if (entry.msg === 'operator starting' && entry.probes) found(entry.probes);
          if (loggedAtWarnOrAbove(entry.level) && ++this.warnings <= 10) note(`[operator] ${line}`);
        } catch {
          note(`[operator] ${line}`);
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => note(`[operator stderr] ${chunk.toString('utf8').trimEnd()}`));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const closed = new Promise((done) => this.child.once('close', done));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 40_000);
    await closed;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Objects

function connectionObject(i: number, hosts: number): KubeObject {
  const h = i % hosts;
  return {
    apiVersion: 'imanage.operator.dev/v1alpha1', kind: 'IManageConnection',
    metadata: { name: `conn-${String(i).padStart(4, '0')}`, namespace: NAMESPACE },
    spec: {
      connectionType: 'Cloud', url: `https://${hostName(h)}`, customerId: '100',
      clientSecretRef: { name: 'app' }, caBundleSecretRef: { name: 'imanage-ca', key: 'ca.crt' },
      // Every connection of a host shares one redirect URI, so registration dedups per host too.
      environments: [{ name: 'production', baseUrl: environmentBase(h) }],
      probes: { interval: `${INTERVAL_S}s`, timeout: '5s' },
    },
  } as KubeObject;
}

interface ConnectionView {
  readonly ready: boolean;
}

type Listed = KubeObject & {
  spec: { url: string };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
};

async function view(client: KubeClient): Promise<ConnectionView[]> {
  const { items } = await client.list(imanageConnections, { namespace: NAMESPACE });
  return (items as Listed[]).map((o) => ({
    ready: o.status?.observedGeneration === o.metadata.generation && o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
  }));
}

// ---------------------------------------------------------------------------------------------
// The cluster part

interface ClusterFigures {
  readonly createS: number;
  readonly allReadyS: number;
  readonly probesPerHostPerInterval: { readonly path: string; readonly perHost: readonly number[] }[];
  readonly maxInShortestWindow: { readonly path: string; readonly max: number }[];
  readonly observedS: number;
  readonly reconcilesAtReady: { count: number; meanMs: number };
  readonly reconcilesSteady: { count: number; meanMs: number; perSecond: number };
  readonly statusWritesPerSecond: number;
  readonly statusWritesPerConnectionHour: number;
  readonly queueWaitMeanMs: number;
  /** Per host, the mean time between two reachability probes in steady state. */
  readonly probeGapsS: readonly number[];
  /** Per host, the mean reachability probe time (imanage_probe_duration_seconds). */
  readonly latencyMeansMs: readonly number[];
  readonly metricProbes: number;
  readonly loggedProbes: number;
  readonly warnings: number;
}

function reconcileFigures(text: string): { count: number; sum: number } {
  const labels = { kind: 'IManageConnection' };
  return { count: metric(text, 'imanage_operator_reconcile_duration_seconds_count', labels), sum: metric(text, 'imanage_operator_reconcile_duration_seconds_sum', labels) };
}

/** How many of `entries` fall in each host's busiest window of `windowMs` (a sliding window). */
function busiestWindow(entries: readonly RequestLogEntry[], windowMs: number): number {
  const times = entries.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function clusterPart(s: Settings): Promise<ClusterFigures> {
  note('starting the control plane…');
  const cp = await startControlPlane();
  let sim: RunningSimulator | undefined;
  let operator: Operator | undefined;
  let client: KubeClient | undefined;
  try {
    const crdDir = fileURLToPath(new URL('../crds', import.meta.url));
    await installCrds(cp, crdDir, await readdir(crdDir));
    const hosts = Array.from({ length: s.hosts }, (_, h) => hostName(h));
    sim = await startSimulator({
      hosts: hosts.map((name) => ({ name, customers: ['100'] })),
      customers: [{ id: '100', applications: [{ clientId: 'bench-app', clientSecret: 'bench-secret', redirectUris: hosts.map((_, h) => `${environmentBase(h)}/externalServices/replyFrom`) }] }],
    }, { httpPort: false, adminPort: false });
    client = await KubeClient.load({ kubeconfig: cp.kubeconfigPath });
    await client.create(namespaces, { metadata: { name: NAMESPACE } });
    await client.create(secrets, { metadata: { name: 'app', namespace: NAMESPACE }, stringData: { clientId: 'bench-app', clientSecret: 'bench-secret' } } as KubeObject);
    await client.create(secrets, { metadata: { name: 'imanage-ca', namespace: NAMESPACE }, stringData: { 'ca.crt': sim.caPem } } as KubeObject);
    const resolve = hosts.map((h) => `${h}:443:127.0.0.1:${sim!.httpsPort}`).join(',');
    operator = new Operator(cp.kubeconfigPath, resolve, s.concurrency);
    const metricsUrl = `http://${await operator.address}/metrics`;
    note(`operator running (pid ${operator.child.pid}); creating ${s.connections} connections over ${s.hosts} hosts…`);

    const started = performance.now();
    const elapsedS = (): number => (performance.now() - started) / 1000;
    let createS = 0;
    const creating = pool(Array.from({ length: s.connections }, (_, i) => i), CREATE_CONCURRENCY, async (i) => {
      await client!.create(imanageConnections, connectionObject(i, s.hosts));
    }).then(() => void (createS = elapsedS()));
    creating.catch(() => {});
    let allReadyS: number | undefined;
    const deadlineS = 300 + s.connections * 0.2;
    while (allReadyS === undefined) {
      await sleep(POLL_MS);
      if (elapsedS() > deadlineS) throw new BenchFailure(`not all ${s.connections} connections Ready after ${deadlineS} s`);
      const views = await view(client);
      const ready = views.filter((v) => v.ready).length;
      note(`  t=${fmt(elapsedS()).padStart(6)} s  created ${views.length}/${s.connections}  Ready ${ready}`);
      if (views.length === s.connections && ready === s.connections) allReadyS = elapsedS();
    }
    await creating;
    const atReady = reconcileFigures(await fetchText(metricsUrl));

    // Steady state: count what each host receives over a whole number of intervals.
    const observeMs = s.observeIntervals * INTERVAL_MS;
    note(`all Ready after ${fmt(allReadyS)} s; observing ${s.observeIntervals} intervals (${observeMs / 1000} s) of steady state…`);
    const before = await fetchText(metricsUrl);
    const from = Date.now();
    await sleep(observeMs);
    const to = Date.now();
    const after = await fetchText(metricsUrl);
    const windowed = (path: string, host: string): RequestLogEntry[] =>
      sim!.requestLog({ host, path }).filter((e) => Date.parse(e.time) >= from && Date.parse(e.time) < to);
    const paths = ['/api', '/auth/oauth2/authorize'];
    const probesPerHostPerInterval = paths.map((path) => ({ path, perHost: hosts.map((h) => windowed(path, h).length / s.observeIntervals) }));
    // The jittered interval is at least 0.9 of the nominal one: no window that long may hold two probes.
    const maxInShortestWindow = paths.map((path) => ({ path, max: Math.max(...hosts.map((h) => busiestWindow(sim!.requestLog({ host: h, path }), 0.9 * INTERVAL_MS))) }));
    const steady = { count: reconcileFigures(after).count - reconcileFigures(before).count, sum: reconcileFigures(after).sum - reconcileFigures(before).sum };
    const writes = metric(after, 'imanage_operator_status_writes_total') - metric(before, 'imanage_operator_status_writes_total');
    const wait = (text: string, part: 'sum' | 'count'): number => metric(text, `imanage_operator_queue_wait_seconds_${part}`, { kind: 'IManageConnection' });
    const queueWaitMeanMs = ((wait(after, 'sum') - wait(before, 'sum')) / (wait(after, 'count') - wait(before, 'count'))) * 1000;
    const probeGapsS = hosts.map((h) => {
      const times = windowed('/api', h).map((e) => Date.parse(e.time));
      return times.length < 2 ? Number.NaN : (times.at(-1)! - times[0]!) / (times.length - 1) / 1000;
    });

    const finalMetrics = await fetchText(metricsUrl);
    const probeTime = (host: string, part: 'sum' | 'count'): number =>
      metric(finalMetrics, `imanage_probe_duration_seconds_${part}`, { probe: 'reachability', host: `${host}:443` });
    const latencyMeansMs = hosts.map((h) => (probeTime(h, 'sum') / probeTime(h, 'count')) * 1000).sort((a, b) => a - b);
    return {
      createS, allReadyS,
      probesPerHostPerInterval, maxInShortestWindow, observedS: (to - from) / 1000,
      reconcilesAtReady: { count: atReady.count, meanMs: (atReady.sum / atReady.count) * 1000 },
      reconcilesSteady: { count: steady.count, meanMs: (steady.sum / steady.count) * 1000, perSecond: steady.count / ((to - from) / 1000) },
      statusWritesPerSecond: writes / ((to - from) / 1000), queueWaitMeanMs, probeGapsS,
      statusWritesPerConnectionHour: writes / s.connections / ((to - from) / 3_600_000),
      latencyMeansMs,
      metricProbes: metric(finalMetrics, 'imanage_operator_probes_sent_total', { probe: 'reachability' }),
      loggedProbes: sim.requestLog({ path: '/api' }).length,
      warnings: operator.warnings,
    };
  } finally {
    await operator?.stop();
    client?.close();
    await sim?.stop();
    await cp.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The unit part: a host that always fails, asked every second for 10 minutes of fake time

async function failingHost(intervalMs: number, random: number): Promise<number[]> {
  const clock = new FakeClock(0);
  const sent: number[] = [];
  const cache = new ProbeCache<'failed'>({ clock, phaseUnit: () => random, onProbe: () => sent.push(clock.now().getTime() / 1000) });
  const request = { key: 'failing.example:443', phase: 'failing.example:443', intervalMs, probe: async () => 'failed' as const, assess: () => ({ ok: false }) };
  for (let second = 0; second < 600; second++) {
    await cache.get('bench/failing', request);
    await clock.advance(1000);
  }
  return sent;
}

// ---------------------------------------------------------------------------------------------

function stats(values: readonly number[]): string {
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `min ${fmt(sorted[0]!, 2)}, mean ${fmt(mean, 2)}, max ${fmt(sorted.at(-1)!, 2)}`;
}

async function main(): Promise<void> {
  const s = settings(process.argv.slice(2), process.env);
  const c = await clusterPart(s);
  say(`probes: ${s.connections} connections over ${s.hosts} hosts, probes every ${INTERVAL_S} s, operator concurrency ${s.concurrency}`);
  say(`  all Ready after              ${fmt(c.allReadyS)} s (first create → last Ready; creates done after ${fmt(c.createS)} s)`);
  for (const { path, perHost } of c.probesPerHostPerInterval) {
    say(`  ${`GET ${path.padEnd(22)}`.padEnd(30)}${stats(perHost)} per host per interval (goal 1), over ${fmt(c.observedS)} s of steady state`);
  }
  for (const { path, max } of c.maxInShortestWindow) {
    say(`  ${`  busiest 9 s window`.padEnd(30)}${max} × GET ${path} to one host, whole run (1 = never two probes within the shortest jittered interval)`);
  }
  say(`  ${'  time between probes'.padEnd(30)}${stats(c.probeGapsS)} s per host (GET /api; the interval is ${INTERVAL_S} s ± 10 %)`);
  say(`  reconciles until all Ready   ${c.reconcilesAtReady.count}, mean ${fmt(c.reconcilesAtReady.meanMs)} ms (imanage_operator_reconcile_duration_seconds, IManageConnection)`);
  say(`  reconciles in steady state   ${c.reconcilesSteady.count} (${fmt(c.reconcilesSteady.perSecond)}/s), mean ${fmt(c.reconcilesSteady.meanMs)} ms, queue wait mean ${fmt(c.queueWaitMeanMs / 1000, 2)} s; status writes ${fmt(c.statusWritesPerSecond)}/s`);
  say(`  status writes in steady state ${fmt(c.statusWritesPerConnectionHour, 2)} per connection per hour (goal 0: a healthy, unchanged cluster writes nothing)`);
  say(`  probe latency per host        ${stats(c.latencyMeansMs)} ms mean (imanage_probe_duration_seconds, reachability)`);
  say(`  reachability probes          ${c.metricProbes} counted by imanage_operator_probes_sent_total, ${c.loggedProbes} logged by the simulator; operator warnings ${c.warnings}`);
  say('requests to a host that always fails, asked every second for 600 s of fake time (ProbeCache, FakeClock):');
  for (const intervalMs of [300_000, 30_000]) {
    for (const [label, random] of [['jitter 0.9', 0], ['jitter 1.0', 0.5], ['jitter 1.1', 0.999_999]] as const) {
      const sent = await failingHost(intervalMs, random);
      say(`  interval ${String(intervalMs / 1000).padStart(3)} s, ${label}: ${String(sent.length).padStart(2)} requests, at ${sent.map((t) => `${t}`).join(', ')} s`);
    }
  }
}

try {
  await main();
} catch (error) {
  note(`probes bench: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
}
