// The operator at scale against a real kube-apiserver and etcd on this machine: N connections and
// 5·N repositories created as fast as the API server takes them, then the time until every object
// is Ready for its generation, status writes and reconciles per object (from the operator's
// /metrics), the operator's memory, CPU and garbage collection, and, for comparison, how long the
// API server itself takes for the same creates and status writes sent directly (operator stopped,
// median of 3 passes). Prints its figures; not a test. Others may share this machine: the CPU
// lines say how much went to processes that are not part of the run.
//
// Usage: node bench/operator-scale.ts [connections=200] [operator concurrency=4]
// Environment:
//   BENCH_ORDER=connections-first|interleaved|repositories-first   creation order [connections-first]
//   BENCH_CPU_PROF=<dir>       the operator runs with --cpu-prof, its profile written there on exit
//                              (wall time between samples; bench/on-cpu.ts gives on-CPU time from perf)
//   BENCH_HEAP_SNAPSHOT=<dir>  once settled, the operator writes a heap snapshot there (SIGUSR2);
//                              node bench/heap-summary.ts <file> lists what holds the memory
//   BENCH_ALLOC_PROF=<dir>     the operator listens with --inspect on loopback, and V8's sampling
//                              heap profiler counts what it allocates, collected objects included,
//                              from the first create to all Ready (bench/alloc-sampling.ts);
//                              node bench/alloc-summary.ts <file> lists where it was allocated
//   BENCH_OPERATOR_MAIN=<path> another operator entry point (a scratch copy with a fix to try)
//   BENCH_OPERATOR_ARGS='…'    extra flags for the operator, after the bench's own (the last wins).
//   BENCH_PROGRESS_LIST=1      LIST both kinds every 5 s while objects are being written, for the
//                              Ready column of the progress lines (off: a LIST only once every
//                              object has a status write; the LISTs cost the API server CPU).
//   BENCH_NODE_PROFILE=throughput|memory   [throughput] the operator's Node flags as the chart's
//                              nodeProfile renders them (bench/node-profiles.ts); throughput is the image's.
//   BENCH_NODE_OPTIONS='…'     other Node/V8 flags for the operator instead of the profile's; glibc's
//                              MALLOC_* settings are set as in the image (OPERATOR_ENV) unless the
//                              bench's own environment sets them.
//   BENCH_TOKENS=off|encrypted|plain   [off] off: --probes false (the probes would call the iManage
//                              servers the connections name, which the bench has not). encrypted or
//                              plain: probes and tokens on, the simulator plays iManage on loopback,
//                              every connection obtains a token by password grant and keeps it in a
//                              token Secret (encrypted with a certificate and passphrase, or not),
//                              and every repository resolves its workspace there. The raw pass then
//                              also creates one token Secret per connection, as the operator must.
//                              The simulator runs in a process of its own (bench/simulator-process.ts):
//                              the CPU line shows iManage's share apart, and a ratio line estimates
//                              the run without it, as a cluster whose iManage runs elsewhere would see.
//   BENCH_RAW=off              skip the raw passes: only the operator's figures (no ratios), for
//                              memory runs that do not need them.
//   BENCH_RESYNC_S=<n>         the operator runs with --resync-period <n>s, and once the first pass
//                              has settled the bench waits for one resync of every object (nothing
//                              changed) and prints what it cost: its reconciles, status writes,
//                              Secret GETs and iManage requests, RSS peak, and under a memory limit
//                              the file pages read again during it.
//   BENCH_RESTART=off          skip the restart: by default, once settled, the operator is stopped and
//                              started again over the same objects (a full relist and resync), and
//                              the bench prints how long that took, its peak RSS, and any writes or
//                              token requests it caused (there should be none), and the requests
//                              the simulator had from it (probes and workspace searches run again).
//   BENCH_PASSPHRASES=<n>      [1] the connections' token encryption uses n passphrase Secrets,
//                              connection i the (i mod n)-th, each a different random passphrase:
//                              key material as n tenants would have it, each derived once
//                              (PBKDF2, about 0.3 s) by every new process. 1: all share one.
//   BENCH_MEMORY_LIMIT_MIB=<n> the operator runs in a memory cgroup of its own limited to n MiB, as
//                              a container with that memory limit, from a copy of node none of whose
//                              pages are cached (bench/memory-limit.ts); prints what the cgroup
//                              charged, the working set, reclaims, refaults and OOM kills.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import type { IManageConnection, WorkspaceRepository } from '../operator/api/generated/types.ts';
import { baseConnection, baseRepository, mergePatch } from '../operator/api/validation/fixtures.ts';
import { KubeClient } from '../operator/runtime/kube/client.ts';
import { imanageConnections, workspaceRepositories } from '../operator/api/kinds.ts';
import { type KubeObject, namespaces, type Resource, secrets } from '../operator/runtime/kube/resources.ts';
import { PASSPHRASE, tlsSecretData } from '../operator/tokens/testdata/fixtures.ts';
import { AllocationSampling, inspectorUrl } from './alloc-sampling.ts';
import { NODE_PROFILES, type NodeProfile, OPERATOR_ENV } from './node-profiles.ts';
import { REQUEST_LOG_ENTRIES, type RequestLogEntry, type RunningSimulator, type Scenario } from '../simulator/index.ts';
import { SimulatorProcess } from './simulator-process.ts';
import { describeLimit, type LimitFigures, MemoryLimit, MemoryLimitUnavailable } from './memory-limit.ts';
import { type ControlPlane, startControlPlane } from '../test/harness/controlplane.ts';
import { installCrds } from '../test/harness/crds.ts';

export const NAMESPACE = 'bench';
const RAW_NAMESPACE = 'bench-raw';
const WARMUP_NAMESPACE = 'bench-warmup';
const REPOSITORIES_PER_CONNECTION = 5;
export const CLIENT_CONCURRENCY = 32;
const POLL_MS = 500;
const LIST_EVERY_TICKS_BEFORE = 10;
/** A LIST every 5 s before every object may be Ready, only to show progress: about 5 % of the API server's CPU at 1,000 connections. */
const PROGRESS_LIST = process.env['BENCH_PROGRESS_LIST'] === '1';
const ORDERS = ['connections-first', 'interleaved', 'repositories-first'] as const;
type Order = (typeof ORDERS)[number];
const TOKEN_MODES = ['off', 'encrypted', 'plain'] as const;
export type TokenMode = (typeof TOKEN_MODES)[number];

class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

class BenchFailure extends Error {
  override readonly name = 'BenchFailure';
}

export interface Settings {
  readonly connections: number;
  readonly concurrency: number;
  readonly order: Order;
  readonly cpuProfDir: string | undefined;
  readonly heapSnapshotDir: string | undefined;
  readonly allocProfDir: string | undefined;
  readonly operatorMain: string;
  readonly operatorArgs: readonly string[];
  readonly nodeOptions: readonly string[];
  readonly tokens: TokenMode;
  readonly rawPasses: boolean;
  readonly restart: boolean;
  readonly memoryLimitMiB: number | undefined;
  readonly passphrases: number;
  /** With BENCH_RESYNC_S: the operator's --resync-period, and one resync measured after the first pass. */
  readonly resyncS: number | undefined;
}

export function settings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const connections = Number(argv[0] ?? 200);
  const concurrency = Number(argv[1] ?? 4);
  const order = (env['BENCH_ORDER'] ?? 'connections-first') as Order;
  const tokens = (env['BENCH_TOKENS'] || 'off') as TokenMode;
  if (!TOKEN_MODES.includes(tokens)) throw new BenchUsageError(`BENCH_TOKENS must be one of ${TOKEN_MODES.join(', ')}`);
  if (!Number.isInteger(connections) || connections < 1) throw new BenchUsageError(`connections must be a positive integer, not '${argv[0]}'`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new BenchUsageError(`concurrency must be a positive integer, not '${argv[1]}'`);
  if (!ORDERS.includes(order)) throw new BenchUsageError(`BENCH_ORDER must be one of ${ORDERS.join(', ')}`);
  const profile = (env['BENCH_NODE_PROFILE'] || 'throughput') as NodeProfile;
  if (!Object.hasOwn(NODE_PROFILES, profile)) throw new BenchUsageError(`BENCH_NODE_PROFILE must be one of ${Object.keys(NODE_PROFILES).join(', ')}`);
  const limit = env['BENCH_MEMORY_LIMIT_MIB'] ? Number(env['BENCH_MEMORY_LIMIT_MIB']) : undefined;
  const passphrases = Number(env['BENCH_PASSPHRASES'] || 1);
  if (!Number.isInteger(passphrases) || passphrases < 1) throw new BenchUsageError(`BENCH_PASSPHRASES must be a positive integer, not '${env['BENCH_PASSPHRASES']}'`);
  const resyncS = env['BENCH_RESYNC_S'] ? Number(env['BENCH_RESYNC_S']) : undefined;
  if (resyncS !== undefined && (!Number.isInteger(resyncS) || resyncS < 10)) throw new BenchUsageError(`BENCH_RESYNC_S must be a whole number of seconds, at least 10, not '${env['BENCH_RESYNC_S']}'`);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 32)) throw new BenchUsageError(`BENCH_MEMORY_LIMIT_MIB must be a whole number of MiB, at least 32, not '${env['BENCH_MEMORY_LIMIT_MIB']}'`);
  return {
    connections, concurrency, order,
    cpuProfDir: env['BENCH_CPU_PROF'] || undefined,
    heapSnapshotDir: env['BENCH_HEAP_SNAPSHOT'] || undefined,
    allocProfDir: env['BENCH_ALLOC_PROF'] || undefined,
    operatorMain: env['BENCH_OPERATOR_MAIN'] || fileURLToPath(new URL('../operator/cli/main.ts', import.meta.url)),
    operatorArgs: (env['BENCH_OPERATOR_ARGS'] ?? '').split(/\s+/).filter(Boolean),
    nodeOptions: env['BENCH_NODE_OPTIONS'] === undefined ? NODE_PROFILES[profile] : env['BENCH_NODE_OPTIONS'].split(/\s+/).filter(Boolean),
    tokens,
    rawPasses: env['BENCH_RAW'] !== 'off',
    restart: env['BENCH_RESTART'] !== 'off',
    memoryLimitMiB: limit,
    passphrases,
    resyncS,
  };
}

// ---------------------------------------------------------------------------------------------
// Objects

interface Planned {
  readonly resource: Resource;
  readonly object: KubeObject;
}

const connectionName = (i: number): string => `conn-${i}`;

// With tokens on: iManage is the simulator, one host on loopback (the operator's --resolve), one
// password-grant application and user, and the workspace baseRepository's resolver names.
const SIM_HOST = 'scale-bench.example';
export const SIM_SCENARIO = {
  hosts: [{ name: SIM_HOST, customers: ['100'] }],
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US', workspaces: [{ name: 'Clio Operate Document Templates', folders: [{ name: 'Document Templates' }] }] }],
      users: [{ username: 'bench', password: 'bench-pass' }],
      applications: [{ clientId: 'app', clientSecret: 'app-secret', grants: ['password'], allowRefreshToken: true, accessTokenMinutes: 30 }],
    },
  ],
} as Scenario;

/** The Secrets every connection names when tokens are on (shared: one of each in the namespace, but for `passphrases`). */
export function referencedSecrets(sim: Pick<RunningSimulator, 'caPem'>, namespace: string, passphrases = 1): KubeObject[] {
  const tls = tlsSecretData('rsa');
  const secret = (name: string, stringData: Record<string, string>, type = 'Opaque'): KubeObject => ({ metadata: { name, namespace }, type, stringData }) as KubeObject;
  return [
    secret('app', { clientId: 'app', clientSecret: 'app-secret' }),
    secret('bench-user', { username: 'bench', password: 'bench-pass' }),
    secret('imanage-ca', { 'ca.crt': sim.caPem }),
    ...(passphrases === 1
      ? [secret(passphraseName(0, 1), { passphrase: PASSPHRASE })]
      : Array.from({ length: passphrases }, (_, i) => secret(passphraseName(i, passphrases), { passphrase: randomBytes(96).toString('base64url') }))),
    secret('token-cert', { 'tls.crt': tls['tls.crt'].toString(), 'tls.key': tls['tls.key'].toString() }, 'kubernetes.io/tls'),
  ];
}

const passphraseName = (i: number, passphrases: number): string => (passphrases === 1 ? 'passphrase' : `passphrase-${i % passphrases}`);

function plannedConnection(i: number, tokens: TokenMode = 'off', passphrases = 1): Planned {
  let object: IManageConnection = baseConnection(connectionName(i));
  if (tokens !== 'off') {
    object = mergePatch(object, {
      spec: {
        connectionType: 'OnPremise', url: `https://${SIM_HOST}`, customerId: null, environments: null,
        clientSecretRef: { name: 'app' }, caBundleSecretRef: { name: 'imanage-ca', key: 'ca.crt' },
        auth: { grant: 'Password', credentialsSecretRef: { name: 'bench-user' } },
        ...(tokens === 'encrypted' ? { tokens: { encryption: { passphraseSecretRef: { name: passphraseName(i, passphrases) }, certificateSecretRef: { name: 'token-cert' } } } } : {}),
      },
    });
  }
  object.metadata = { ...object.metadata, namespace: NAMESPACE };
  return { resource: imanageConnections, object: object as KubeObject };
}

function plannedRepository(i: number): Planned {
  const object: WorkspaceRepository = baseRepository(`repo-${i}`);
  object.metadata = { ...object.metadata, namespace: NAMESPACE };
  object.spec = { ...object.spec, connectionRef: { name: connectionName(Math.floor(i / REPOSITORIES_PER_CONNECTION)) } };
  return { resource: workspaceRepositories, object: object as KubeObject };
}

/** Every object, in the order they are sent. */
export function plan(connections: number, order: Order, tokens: TokenMode = 'off', passphrases = 1): Planned[] {
  const conns = Array.from({ length: connections }, (_, i) => plannedConnection(i, tokens, passphrases));
  const repos = Array.from({ length: connections * REPOSITORIES_PER_CONNECTION }, (_, i) => plannedRepository(i));
  if (order === 'connections-first') return [...conns, ...repos];
  if (order === 'repositories-first') return [...repos, ...conns];
  return conns.flatMap((c, i) => [c, ...repos.slice(i * REPOSITORIES_PER_CONNECTION, (i + 1) * REPOSITORIES_PER_CONNECTION)]);
}

/** Runs `work` over `items`, at most `width` at a time, in order of start. */
export async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly observedGeneration?: number;
}

export type StatusObject = KubeObject & { status?: { observedGeneration?: number; conditions?: Condition[] } };

/** Ready=True, and both status and the condition are for the current generation. */
export function isReady(object: StatusObject): boolean {
  const generation = object.metadata.generation;
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  return object.status?.observedGeneration === generation && ready?.status === 'True' && (ready.observedGeneration ?? generation) === generation;
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP(S) GETs for /metrics (the operator's, over http; the API server's, over https)

export interface Target {
  readonly url: string;
  readonly ca?: string;
  readonly token?: string;
}

export function fetchText(target: Target, timeoutMs = 10_000): Promise<string> {
  return new Promise((done, fail) => {
    const send = target.url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(target.url, {
      ...(target.ca ? { ca: target.ca } : {}),
      headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? done(Buffer.concat(chunks).toString('utf8')) : fail(new BenchFailure(`GET ${target.url}: ${res.statusCode}`))));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new BenchFailure(`GET ${target.url} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

async function apiServerMetricsTarget(cp: ControlPlane): Promise<Target> {
  const config = load(await readFile(cp.kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { 'certificate-authority': string } }[];
    users: { user: { token: string } }[];
  };
  return { url: `${cp.server}/metrics`, ca: await readFile(config.clusters[0]!.cluster['certificate-authority'], 'utf8'), token: config.users[0]!.user.token };
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Prometheus text format; only the sample lines of the metrics named in `wanted`. */
export function parseMetrics(text: string, wanted: (name: string) => boolean): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || !wanted(match[1]!)) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export function total(samples: readonly Sample[], name: string, where: (labels: Readonly<Record<string, string>>) => boolean = () => true): number {
  return samples.filter((s) => s.name === name && where(s.labels)).reduce((sum, s) => sum + s.value, 0);
}

export const operatorMetricNames = (name: string): boolean => name.startsWith('imanage_operator_') || name.startsWith('nodejs_heap_size_') || name === 'nodejs_external_memory_bytes' || name.startsWith('nodejs_gc_duration_seconds_');

// ---------------------------------------------------------------------------------------------
// Processes: the operator child, and /proc sampling of it and of the control plane

export class Operator {
  readonly child: ChildProcess;
  readonly probes: Promise<string>;
  readonly synced: Promise<void>;
  /** The inspector's WebSocket URL, with BENCH_ALLOC_PROF (the operator then listens with --inspect on loopback). */
  readonly inspector: Promise<string>;
  warnings = 0;
  /** With BENCH_MEMORY_LIMIT_MIB: the cgroup the operator runs in. */
  readonly limit: MemoryLimit | undefined;
  #exited = false;
  readonly exited: Promise<void>;

  constructor(s: Settings, kubeconfig: string, sim?: Pick<RunningSimulator, 'httpsPort'>) {
    const profile = [
      ...s.nodeOptions,
      ...(s.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${s.cpuProfDir}`] : []),
      ...(s.heapSnapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${s.heapSnapshotDir}`] : []),
      ...(s.allocProfDir ? ['--inspect=127.0.0.1:0'] : []),
    ];
    this.limit = s.memoryLimitMiB === undefined ? undefined : new MemoryLimit(s.memoryLimitMiB, process.execPath);
    const args = [
      ...profile, s.operatorMain, 'run', '--kubeconfig', kubeconfig, '--namespaces', NAMESPACE, '--leader-elect', 'false',
      ...(sim ? ['--probes', 'true', '--tokens', 'true', '--allow-loopback-probes', 'true', '--resolve', `${SIM_HOST}:443:127.0.0.1:${sim.httpsPort}`] : ['--probes', 'false']),
      // info: the operator logs nothing per reconcile at info, and the 'operator starting' line
      // carries the probe address.
      '--health-address', '127.0.0.1:0', '--log-level', 'info', '--concurrency', String(s.concurrency),
      ...(s.resyncS ? ['--resync-period', `${s.resyncS}s`] : []), ...s.operatorArgs,
    ];
    const [command, argv] = this.limit ? this.limit.wrap(this.limit.node, args) : [process.execPath, args];
    this.child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...OPERATOR_ENV, ...process.env } });
    this.exited = new Promise((done) => this.child.on('close', () => { this.#exited = true; this.#release(); done(); }));
    let onProbes: (address: string) => void = () => {};
    let onSynced: () => void = () => {};
    const failed = new Promise<never>((_, fail) => void this.exited.then(() => fail(new BenchFailure('the operator exited before it was running'))));
    failed.catch(() => {});
    this.probes = Promise.race([new Promise<string>((done) => (onProbes = done)), failed]);
    this.synced = Promise.race([new Promise<void>((done) => (onSynced = done)), failed]);
    this.#readLines(this.child.stdout!, (line) => {
      let entry: { level?: unknown; msg?: string; probes?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        process.stderr.write(`[operator] ${line}\n`);
        return;
      }
      if (entry.msg === 'operator starting' && entry.probes) onProbes(entry.probes);
      if (entry.msg === 'caches synced') onSynced();
      if (loggedAtWarnOrAbove(entry.level)) {
        this.warnings++;
        if (this.warnings <= 20) process.stderr.write(`[operator] ${line}\n`);
      }
    });
    let onInspector: (url: string) => void = () => {};
    this.inspector = Promise.race([new Promise<string>((done) => (onInspector = done)), failed]);
    this.inspector.catch(() => {});
    this.#readLines(this.child.stderr!, (line) => {
      const url = inspectorUrl(line);
      if (url) onInspector(url);
      else process.stderr.write(`[operator stderr] ${line}\n`);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The cgroup's figures once the operator has gone (an OOM kill is said at once), then the cgroup removed. */
  #release(): void {
    if (!this.limit) return;
    const figures = this.limit.figures();
    if (figures.oomKills > 0) process.stderr.write(`[bench] the operator was killed at its memory limit: ${describeLimit(this.limit.limitMiB, figures)}\n`);
    this.limit.remove();
  }

  /** Asks for a heap snapshot and waits until its file in `dir` stops growing; returns its path. */
  async heapSnapshot(dir: string): Promise<string> {
    const before = new Set(await readdir(dir));
    this.child.kill('SIGUSR2');
    for (let size = -1; ; await sleep(2_000)) {
      const name = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
      if (!name) continue;
      const now = (await stat(join(dir, name))).size;
      if (now === size && now > 0) return join(dir, name);
      size = now;
    }
  }

  /** SIGTERM (the operator drains and exits; a CPU profile is written then), SIGKILL after 40 s. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 40_000);
    await this.exited;
    clearTimeout(timer);
  }

  #readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) onLine(line);
    });
  }
}

/** The operator logs level names (log.ts formats them so); a number is pino's default, kept for other entry points. */
export function loggedAtWarnOrAbove(level: unknown): boolean {
  return typeof level === 'number' ? level >= 40 : level === 'warn' || level === 'error' || level === 'fatal';
}

const CLOCK_TICKS_PER_SECOND = 100;
const cores = availableParallelism();

/** CPU seconds (user + system) of a process, or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  const split = cpuSplit(pid);
  return split && split.user + split.system;
}

/**
 * CPU seconds of a Node process by thread kind (Node names its threads): the main thread runs the
 * JavaScript; V8's workers collect garbage and compile; libuv's run crypto, DNS and file work. A
 * thread that has ended is not counted.
 */
function threadCpu(pid: number): Record<string, number> {
  const byKind: Record<string, number> = {};
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byKind;
  }
  for (const task of tasks) {
    try {
      const { comm, user, system } = statCpu(`/proc/${pid}/task/${task}/stat`);
      const kind = `${THREAD}${comm}`;
      byKind[kind] = (byKind[kind] ?? 0) + user + system;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byKind;
}

/** CPU seconds of a process in user space and in the kernel (system calls, page faults). */
function cpuSplit(pid: number): { user: number; system: number } | undefined {
  try {
    const { user, system } = statCpu(`/proc/${pid}/stat`);
    return { user, system };
  } catch {
    return undefined;
  }
}

/** A process's or thread's name and CPU seconds from its /proc stat file (throws once it is gone). */
function statCpu(path: string): { comm: string; user: number; system: number } {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    user: Number(fields[11]) / CLOCK_TICKS_PER_SECOND,
    system: Number(fields[12]) / CLOCK_TICKS_PER_SECOND,
  };
}

export function rssMiB(pid: number, field: 'VmRSS' | 'RssAnon' | 'RssFile' = 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The settled RSS split: anonymous memory (heaps) and file pages (the node binary, libraries). */
function rssSplit(pid: number): string {
  return `anonymous ${(rssMiB(pid, 'RssAnon') ?? 0).toFixed(0)} MiB, file ${(rssMiB(pid, 'RssFile') ?? 0).toFixed(0)} MiB`;
}

/** Samples the operator's RSS every POLL_MS and keeps the peak. */
class RssSampler {
  peak = 0;
  /** With a memory limit: the cgroup's figures at the last sample (its working set peak kept). */
  limit: LimitFigures | undefined;
  readonly #pid: number;
  readonly #memoryLimit: MemoryLimit | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(operator: Operator) {
    this.#pid = operator.pid;
    this.#memoryLimit = operator.limit;
    this.sample();
    this.#timer = setInterval(() => this.sample(), POLL_MS);
  }

  sample(): number {
    const rss = rssMiB(this.#pid) ?? 0;
    this.peak = Math.max(this.peak, rss);
    try {
      this.limit = this.#memoryLimit?.figures();
    } catch {
      // The cgroup is removed once the operator exits; the last figures stay.
    }
    return rss;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

type CpuTimes = Record<string, number>;

function cpuTimes(pids: Readonly<Record<string, number>>): CpuTimes {
  const times: CpuTimes = {};
  for (const [name, pid] of Object.entries(pids)) {
    const split = cpuSplit(pid) ?? { user: 0, system: 0 };
    times[name] = split.user + split.system;
    times[`${name}${IN_KERNEL}`] = split.system;
  }
  if (pids['operator'] !== undefined) Object.assign(times, threadCpu(pids['operator']));
  const own = process.cpuUsage();
  times['bench script'] = (own.user + own.system) / 1e6;
  times[MACHINE] = machineBusySeconds();
  return times;
}

const MACHINE = 'machine';
/** The simulator's process: iManage's share of a run, which in a cluster runs elsewhere. */
const SIMULATOR = 'simulator (iManage)';
/** The key suffix of a process's system time, a part of its total shown beside it. */
const IN_KERNEL = ' in the kernel';
/** The key prefix of the operator's CPU by thread kind, a part of its total shown beside it. */
const THREAD = 'operator thread ';

/** Busy CPU seconds of the whole machine (all cores): others may be running tests here too. */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
}

function cpuDelta(before: CpuTimes, after: CpuTimes): CpuTimes {
  return Object.fromEntries(Object.keys(after).map((name) => [name, after[name]! - (before[name] ?? 0)]));
}

async function controlPlanePids(cp: ControlPlane): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  for (const name of ['kube-apiserver', 'etcd']) pids[name] = Number((await readFile(join(cp.workDir, `${name}.pid`), 'utf8')).trim());
  return pids;
}

// ---------------------------------------------------------------------------------------------
// The run

interface Progress {
  readonly atS: number;
  readonly created: number;
  /** Only when this tick listed the objects. */
  readonly ready?: number;
  readonly writes: number;
  readonly reconciles: number;
}

interface RunFigures {
  readonly objects: number;
  readonly createS: number;
  readonly allReadyS: number;
  readonly settledS: number;
  readonly polls: number;
  readonly pollS: number;
  readonly progress: readonly Progress[];
  readonly cpu: CpuTimes;
  readonly metrics: readonly Sample[];
  readonly apiRequests: ReadonlyMap<string, number>;
  readonly rssIdle: number;
  readonly rssSettled: number;
  readonly rssSettledSplit: string;
  readonly rssPeak: number;
  readonly limit: LimitFigures | undefined;
  readonly warnings: number;
  readonly resync: ResyncFigures | undefined;
}

async function listAll(client: KubeClient): Promise<StatusObject[]> {
  const [conns, repos] = await Promise.all([
    client.list(imanageConnections, { namespace: NAMESPACE }),
    client.list(workspaceRepositories, { namespace: NAMESPACE }),
  ]);
  return [...conns.items, ...repos.items] as StatusObject[];
}

/** apiserver_request_total as `VERB resource[/subresource]` → count. */
function apiRequestCounts(samples: readonly Sample[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== 'apiserver_request_total') continue;
    const key = `${s.labels['verb']} ${s.labels['resource']}${s.labels['subresource'] ? `/${s.labels['subresource']}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + s.value);
  }
  return counts;
}

function countsDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d > 0) delta.set(key, d);
  }
  return delta;
}

/**
 * The counters the bench follows progress by, and only those: `/metrics?name[]=` leaves out the
 * series per object (833 KiB at 1,000 connections), which the operator would render and the bench
 * parse on every poll, where Prometheus reads them every 30 s or so. The queue's depth (a walk over
 * every queued key) only where settling is decided.
 */
const PROGRESS_METRICS = ['imanage_operator_status_writes_total', 'imanage_operator_reconcile_total'];
const SETTLING_METRICS = [...PROGRESS_METRICS, 'imanage_operator_queue_depth'];

export function progressOf(operatorMetrics: Target, names: readonly string[] = PROGRESS_METRICS): Target {
  const url = new URL(operatorMetrics.url);
  for (const name of names) url.searchParams.append('name[]', name);
  return { ...operatorMetrics, url: url.href };
}

/** Waits until the operator's queue is empty and its reconcile count has not moved for 2 s; then every metric. */
export async function settle(operatorMetrics: Target): Promise<Sample[]> {
  let last = -1;
  let still = 0;
  for (;;) {
    const samples = parseMetrics(await fetchText(progressOf(operatorMetrics, SETTLING_METRICS)), operatorMetricNames);
    const reconciles = total(samples, 'imanage_operator_reconcile_total');
    const depth = total(samples, 'imanage_operator_queue_depth');
    still = reconciles === last && depth === 0 ? still + 1 : 0;
    if (still >= 4) return parseMetrics(await fetchText(operatorMetrics), operatorMetricNames);
    last = reconciles;
    await sleep(POLL_MS);
  }
}

/** Creates every object, CLIENT_CONCURRENCY at a time, counting as they are accepted. */
class Creation {
  created = 0;
  /** Seconds from `started` until the last create was answered. */
  seconds = 0;
  readonly done: Promise<void>;

  constructor(client: KubeClient, objects: readonly Planned[], started: number) {
    this.done = pool(objects, CLIENT_CONCURRENCY, async ({ resource, object }) => {
      await client.create(resource, object);
      this.created++;
    }).then(() => void (this.seconds = (performance.now() - started) / 1000));
    // Awaited later; a failure must not be an unhandled rejection meanwhile.
    this.done.catch(() => {});
  }
}

interface Watched {
  readonly allReadyS: number;
  readonly progress: readonly Progress[];
  readonly polls: number;
  readonly pollS: number;
}

/** Every POLL_MS: the operator's counters, and a LIST of both kinds when every object may be Ready. */
async function pollUntilReady(client: KubeClient, objects: number, creation: Creation, operatorMetrics: Target, rss: RssSampler, started: number): Promise<Watched> {
  const deadlineS = 120 + objects * 0.1;
  const elapsedS = (): number => (performance.now() - started) / 1000;
  const progress: Progress[] = [];
  let polls = 0;
  let pollS = 0;
  for (let tick = 1; ; tick++) {
    await sleep(POLL_MS);
    if (elapsedS() > deadlineS) throw new BenchFailure(`not all ${objects} objects Ready after ${deadlineS} s (last progress: ${JSON.stringify(progress.at(-1))})`);
    // Every tick: the two progress counters are a few hundred bytes (progressOf).
    const samples = parseMetrics(await fetchText(progressOf(operatorMetrics)), operatorMetricNames);
    const writes = total(samples, 'imanage_operator_status_writes_total');
    const reconciles = total(samples, 'imanage_operator_reconcile_total');
    // A LIST of thousands of objects costs the API server (and this script) real CPU, taken from
    // the operator on a small machine, and the raw pass pays nothing like it. Every object needs at
    // least one status write before it can be Ready, so no LIST is sent until the operator has
    // written as many (BENCH_PROGRESS_LIST=1: one every 5 s before that too, for the Ready column).
    const mayBeDone = creation.created === objects && writes >= objects;
    let ready: number | undefined;
    if (mayBeDone || (PROGRESS_LIST && tick % LIST_EVERY_TICKS_BEFORE === 0)) {
      const pollStarted = performance.now();
      ready = (await listAll(client)).filter(isReady).length;
      polls++;
      pollS += (performance.now() - pollStarted) / 1000;
    }
    const point = { atS: elapsedS(), created: creation.created, ...(ready === undefined ? {} : { ready }), writes, reconciles };
    progress.push(point);
    process.stderr.write(`${progressLine(point, objects)}  RSS ${rss.sample().toFixed(0)} MiB\n`);
    if (ready === objects) return { allReadyS: point.atS, progress, polls, pollS };
  }
}

function progressLine(p: Progress, objects: number): string {
  const n = (value: number | undefined): string => (value === undefined ? '-' : String(value)).padStart(6);
  return `  t=${p.atS.toFixed(1).padStart(6)} s  created ${n(p.created)}  status writes ${n(p.writes)}  reconciles ${n(p.reconciles)}  Ready ${n(p.ready)}/${objects}`;
}

async function apiRequestsNow(apiMetrics: Target): Promise<Map<string, number>> {
  return apiRequestCounts(parseMetrics(await fetchText(apiMetrics), (n) => n === 'apiserver_request_total'));
}

/** Creates everything with the operator running, and measures until all is Ready and settled. */
async function runOperatorPhase(s: Settings, cp: ControlPlane, client: KubeClient, operator: Operator, operatorMetrics: Target, sim?: SimulatorProcess): Promise<RunFigures> {
  const objects = plan(s.connections, s.order, s.tokens, s.passphrases);
  const apiMetrics = await apiServerMetricsTarget(cp);
  const pids = { operator: operator.pid, ...(await controlPlanePids(cp)), ...(sim ? { [SIMULATOR]: sim.pid } : {}) };
  const apiBefore = await apiRequestsNow(apiMetrics);
  const rss = new RssSampler(operator);
  // A sampler left running on a failure would keep this script from exiting.
  try {
    return await measured(s, client, operator, { operatorMetrics, apiMetrics, apiBefore, pids, objects, rss });
  } catch (error) {
    reportLimitAtFailure(s, rss);
    throw error;
  } finally {
    rss.stop();
  }
}

/** Under a limit too tight the operator thrashes (its pages read again and again) rather than dies: say so. */
function reportLimitAtFailure(s: Settings, rss: RssSampler): void {
  if (rss.limit) process.stderr.write(`[bench] the operator's memory cgroup at the failure: ${describeLimit(s.memoryLimitMiB!, rss.limit)}\n`);
}

interface Measuring {
  readonly operatorMetrics: Target;
  readonly apiMetrics: Target;
  readonly apiBefore: ReadonlyMap<string, number>;
  readonly pids: Readonly<Record<string, number>>;
  readonly objects: readonly Planned[];
  readonly rss: RssSampler;
}

async function measured(s: Settings, client: KubeClient, operator: Operator, { operatorMetrics, apiMetrics, apiBefore, pids, objects, rss }: Measuring): Promise<RunFigures> {
  const rssIdle = rss.sample();
  const cpuBefore = cpuTimes(pids);
  const started = performance.now();
  const sampling = s.allocProfDir ? await AllocationSampling.start(await operator.inspector) : undefined;
  const creation = new Creation(client, objects, started);
  const watched = await pollUntilReady(client, objects.length, creation, operatorMetrics, rss, started);
  if (sampling) process.stderr.write(`allocation profile (first create to all Ready): ${await sampling.stop(s.allocProfDir!)}\n`);
  const cpu = cpuDelta(cpuBefore, cpuTimes(pids));
  await creation.done;
  const metrics = await settle(operatorMetrics);
  const settledS = (performance.now() - started) / 1000;
  const rssSettled = rss.sample();
  const rssSettledSplit = rssSplit(operator.pid);
  const limit = rss.limit;
  const rssPeak = rss.peak;
  const apiRequests = countsDelta(apiBefore, await apiRequestsNow(apiMetrics));
  const resync = s.resyncS ? await resyncPhase(s.resyncS, { operatorMetrics, apiMetrics, rss, objects: objects.length }) : undefined;
  rss.stop();
  if (s.heapSnapshotDir) process.stderr.write(`heap snapshot: ${await operator.heapSnapshot(s.heapSnapshotDir)}\n`);
  return {
    ...watched, objects: objects.length, createS: creation.seconds, settledS, cpu, metrics,
    apiRequests, rssIdle, rssSettled, rssSettledSplit, rssPeak, limit, warnings: operator.warnings, resync,
  };
}

interface ResyncFigures {
  /** When the bench began to wait for it (ISO): the simulator's requests since then are the resync's. */
  readonly since: string;
  /** From the first reconcile of the resync until quiet. */
  readonly seconds: number;
  readonly reconciles: number;
  readonly statusWrites: number;
  readonly rssPeak: number;
  readonly limitBefore: LimitFigures | undefined;
  readonly limitAfter: LimitFigures | undefined;
  readonly apiRequests: ReadonlyMap<string, number>;
}

/**
 * One periodic resync of the settled objects (BENCH_RESYNC_S, the operator's --resync-period):
 * every object is looked at again though nothing changed. What it costs, and whether it stays
 * within a memory limit, as the restart does.
 */
async function resyncPhase(
  resyncS: number,
  { operatorMetrics, apiMetrics, rss, objects }: { operatorMetrics: Target; apiMetrics: Target; rss: RssSampler; objects: number },
): Promise<ResyncFigures> {
  const count = async (): Promise<{ reconciles: number; writes: number }> => {
    const samples = parseMetrics(await fetchText(progressOf(operatorMetrics, SETTLING_METRICS)), operatorMetricNames);
    return { reconciles: total(samples, 'imanage_operator_reconcile_total'), writes: total(samples, 'imanage_operator_status_writes_total') };
  };
  const before = await count();
  const apiBefore = await apiRequestsNow(apiMetrics);
  const limitBefore = rss.limit;
  rss.peak = 0;
  const since = new Date().toISOString();
  const deadline = performance.now() + (2 * resyncS + 120 + objects * 0.1) * 1000;
  let firstAt: number | undefined;
  for (let now = await count(); now.reconciles - before.reconciles < objects; now = await count()) {
    if (firstAt === undefined && now.reconciles > before.reconciles) firstAt = performance.now();
    if (performance.now() > deadline) throw new BenchFailure(`no resync of all ${objects} objects within ${2 * resyncS} s`);
    await sleep(POLL_MS);
  }
  firstAt ??= performance.now();
  await settle(operatorMetrics);
  const after = await count();
  return {
    since, seconds: (performance.now() - firstAt) / 1000, reconciles: after.reconciles - before.reconciles,
    statusWrites: after.writes - before.writes, rssPeak: rss.peak, limitBefore, limitAfter: rss.limit,
    apiRequests: countsDelta(apiBefore, await apiRequestsNow(apiMetrics)),
  };
}

interface RestartFigures {
  /** From the new process's start until it has made as many reconciles as there are objects. */
  readonly resyncedS: number;
  /** Until its queue was empty and no reconcile had ended for 2 s (a connection that waited for its key is reconciled twice). */
  readonly quietS: number;
  readonly rssPeak: number;
  readonly rssSettled: number;
  /** By kind: IManageConnection, WorkspaceRepository. */
  readonly statusWrites: readonly [number, number];
  readonly tokenRequests: number;
  readonly apiRequests: ReadonlyMap<string, number>;
  /** What the simulator was asked from the new process's start until it was quiet. */
  readonly imanage: ReadonlyMap<string, number>;
  readonly limit: LimitFigures | undefined;
  readonly warnings: number;
}

/**
 * The operator stopped and started again over the objects it left Ready: its informers LIST
 * everything (page by page) and every object is reconciled once more. This is the largest relist
 * there is, so its peak RSS is the memory a relist needs. Nothing changed meanwhile, so a status
 * write or a token request here is work a restart should not cause.
 */
async function restartPhase(s: Settings, cp: ControlPlane, sim: SimulatorProcess | undefined, objects: number): Promise<RestartFigures> {
  const apiMetrics = await apiServerMetricsTarget(cp);
  const apiBefore = await apiRequestsNow(apiMetrics);
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const operator = new Operator(s, cp.kubeconfigPath, sim);
  const rss = new RssSampler(operator);
  try {
    const metrics: Target = { url: `http://${await operator.probes}/metrics` };
    const deadline = started + (120 + objects * 0.1) * 1000;
    let samples: Sample[];
    for (;;) {
      samples = parseMetrics(await fetchText(progressOf(metrics)), operatorMetricNames);
      if (total(samples, 'imanage_operator_reconcile_total') >= objects) break;
      if (performance.now() > deadline) throw new BenchFailure(`the restarted operator did not reconcile all ${objects} objects in time`);
      await sleep(POLL_MS);
    }
    const resyncedS = (performance.now() - started) / 1000;
    samples = await settle(metrics);
    const quietS = (performance.now() - started) / 1000;
    const rssSettled = rss.sample();
    return {
      resyncedS,
      quietS,
      rssPeak: rss.peak,
      rssSettled,
      limit: rss.limit,
      statusWrites: (['IManageConnection', 'WorkspaceRepository'] as const).map((kind) =>
        total(samples, 'imanage_operator_status_writes_total', (l) => l['kind'] === kind)) as [number, number],
      tokenRequests: total(samples, 'imanage_token_requests_total'),
      apiRequests: countsDelta(apiBefore, await apiRequestsNow(apiMetrics)),
      imanage: imanageRequests(await requestLog(sim), startedAt),
      warnings: operator.warnings,
    };
  } catch (error) {
    reportLimitAtFailure(s, rss);
    throw error;
  } finally {
    rss.stop();
    await operator.stop();
  }
}

interface RawFigures {
  readonly objects: number;
  /** Seconds per pass, in order. */
  readonly createS: readonly number[];
  readonly writeS: readonly number[];
  /** Token Secrets created per pass (one per connection the operator gave one). */
  readonly tokenSecrets: number;
  /** Mean JSON bytes of a stored object as the operator left it, by kind (for etcd sizing). */
  readonly meanBytes: Readonly<Record<string, number>>;
  /**
   * Finalizer PATCHes per pass: one per connection whose finalizer admission did not add at create
   * (none with the revoke-finalizer policy installed, as the chart installs it).
   */
  readonly finalizers: number;
  /** CPU per pass (mean over the passes). */
  readonly cpu: CpuTimes;
}

const RAW_PASSES = 3;

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Runs `call` on every item, CLIENT_CONCURRENCY at a time; returns the results in order and the seconds taken. */
async function timed<T, R>(items: readonly T[], call: (item: T) => Promise<R>): Promise<{ results: R[]; seconds: number }> {
  const results: R[] = new Array(items.length);
  const started = performance.now();
  await pool(items.map((item, i) => ({ item, i })), CLIENT_CONCURRENCY, async ({ item, i }) => void (results[i] = await call(item)));
  return { results, seconds: (performance.now() - started) / 1000 };
}

/** The token Secrets the operator wrote, by connection name, as a create of a copy would send them. */
async function tokenSecretsWritten(client: KubeClient): Promise<Map<string, KubeObject>> {
  const { items } = await client.list(secrets, { namespace: NAMESPACE });
  const byConnection = new Map<string, KubeObject>();
  for (const secret of items as (KubeObject & { type?: string; data?: Record<string, string> })[]) {
    const owner = secret.metadata.ownerReferences?.find((o) => o.kind === 'IManageConnection');
    if (!owner) continue;
    byConnection.set(owner.name, { metadata: { name: secret.metadata.name, labels: secret.metadata.labels ?? {}, annotations: secret.metadata.annotations ?? {} }, type: secret.type, data: secret.data } as KubeObject);
  }
  return byConnection;
}

/**
 * The API server's own speed for the same work, with the operator stopped, RAW_PASSES times (the
 * median is reported): the same objects created in a namespace of their own (CLIENT_CONCURRENCY
 * at a time, as the bench creates them for the operator), then, at the operator's concurrency,
 * the writes the operator had to make: each object given, by PUT /status, the status the operator
 * wrote for its twin (a first status write on a fresh object, as the operator's), and before
 * that each connection's token Secret created as the operator wrote it.
 */
async function rawPhase(s: Settings, client: KubeClient, cp: ControlPlane): Promise<RawFigures> {
  const twins = await listAll(client);
  const written = new Map(twins.map((o) => [`${o.kind}/${o.metadata.name}`, o.status]));
  const finalizers = new Map(twins.filter((o) => o.metadata.finalizers?.length).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.finalizers!]));
  const tokenSecrets = await tokenSecretsWritten(client);
  const pids = await controlPlanePids(cp);
  const cpuBefore = cpuTimes(pids);
  const createS: number[] = [];
  const writeS: number[] = [];
  let objects = 0;
  let patches = 0;
  for (let pass = 1; pass <= RAW_PASSES; pass++) {
    const namespace = `${RAW_NAMESPACE}-${pass}`;
    await client.create(namespaces, { metadata: { name: namespace } });
    const planned = plan(s.connections, s.order, s.tokens, s.passphrases).map(({ resource, object }) => ({ resource, object: { ...object, metadata: { ...object.metadata, namespace } } }));
    objects = planned.length;
    const created = await timed(planned, ({ resource, object }) => client.create(resource, object));
    createS.push(created.seconds);
    const bodies = created.results.map((object, i) => {
      const { managedFields: _dropped, ...metadata } = object.metadata;
      return { resource: planned[i]!.resource, object: { ...object, metadata, status: written.get(`${object.kind}/${metadata.name}`) } as KubeObject };
    });
    const started = performance.now();
    await pool(bodies, s.concurrency, async ({ resource, object }) => {
      const name = object.metadata.name ?? '';
      // As the operator's ensureFinalizer: a PATCH only when admission did not add the finalizer
      // at create (crds/admission/revoke-finalizer.yaml is installed with the CRDs, so never here).
      const finalizer = finalizers.get(`${object.kind}/${name}`);
      if (finalizer && !finalizer.every((f) => object.metadata.finalizers?.includes(f))) {
        patches++;
        const patched = await client.patch(resource, { namespace, name }, { metadata: { finalizers: finalizer, resourceVersion: object.metadata.resourceVersion } });
        object.metadata.resourceVersion = patched.metadata.resourceVersion;
      }
      const token = tokenSecrets.get(name);
      if (resource === imanageConnections && token) await client.create(secrets, { ...token, metadata: { ...token.metadata, namespace } });
      await client.replaceStatus(resource, object);
    });
    writeS.push((performance.now() - started) / 1000);
  }
  const cpu = Object.fromEntries(Object.entries(cpuDelta(cpuBefore, cpuTimes(pids))).map(([name, sec]) => [name, sec / RAW_PASSES]));
  const meanBytes: Record<string, number> = {};
  for (const [kind, items] of [['IManageConnection', twins.filter((o) => o.kind === 'IManageConnection')], ['WorkspaceRepository', twins.filter((o) => o.kind === 'WorkspaceRepository')], ['token Secret', [...tokenSecrets.values()]]] as const) {
    if (items.length > 0) meanBytes[kind] = items.reduce((sum, o) => sum + JSON.stringify(o).length, 0) / items.length;
  }
  return { objects, createS, writeS, tokenSecrets: tokenSecrets.size, finalizers: patches / RAW_PASSES, meanBytes, cpu };
}

/** The first object of a kind makes the API server build that CRD's handler (a second or more). */
export async function warmUp(client: KubeClient): Promise<void> {
  await client.create(namespaces, { metadata: { name: WARMUP_NAMESPACE } });
  for (const { resource, object } of [plannedConnection(0), plannedRepository(0)]) {
    await client.create(resource, { ...object, metadata: { ...object.metadata, namespace: WARMUP_NAMESPACE } });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (n: number, digits = 1): string => n.toFixed(digits);
const line = (label: string, value: string): string => `  ${label.padEnd(27)}${value}\n`;

function byLabel(samples: readonly Sample[], name: string, label: string): string {
  const sums = new Map<string, number>();
  for (const s of samples.filter((x) => x.name === name)) sums.set(s.labels[label] ?? '', (sums.get(s.labels[label] ?? '') ?? 0) + s.value);
  return [...sums].map(([k, v]) => `${k} ${v}`).join(', ');
}

/** Count and seconds of each kind of V8 collection: `minor 2156 (4.0 s), major 64 (0.8 s), …`. */
function gcPauses(samples: readonly Sample[]): string {
  const kinds = [...new Set(samples.filter((s) => s.name === 'nodejs_gc_duration_seconds_count').map((s) => s.labels['kind'] ?? ''))];
  const of = (name: string, kind: string): number => total(samples, name, (l) => l['kind'] === kind);
  const pauses = kinds.map((kind) => ({ kind, count: of('nodejs_gc_duration_seconds_count', kind), seconds: of('nodejs_gc_duration_seconds_sum', kind) }));
  return pauses.sort((a, b) => b.seconds - a.seconds).map((p) => `${p.kind} ${p.count} (${fmt(p.seconds)} s)`).join(', ') || '-';
}

function histogramMean(samples: readonly Sample[], name: string, kind: string): string {
  const sum = total(samples, `${name}_sum`, (l) => l['kind'] === kind);
  const count = total(samples, `${name}_count`, (l) => l['kind'] === kind);
  return count > 0 ? `${fmt((sum / count) * 1000, 1)} ms` : '-';
}

/** The simulator's request log (its last REQUEST_LOG_ENTRIES), from its admin API. */
async function requestLog(sim: SimulatorProcess | undefined): Promise<RequestLogEntry[]> {
  return sim ? (JSON.parse(await fetchText({ url: `${sim.adminUrl}/requests` }, 30_000)) as RequestLogEntry[]) : [];
}

/**
 * The simulator's requests by method and path, ids in paths replaced by `:id`. The simulator keeps
 * its last REQUEST_LOG_ENTRIES: the operator's run at 1,000 connections makes about 4,000.
 */
function imanageRequests(log: readonly RequestLogEntry[] = [], since = '', until = '\uffff'): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const entry of log) {
    if (entry.time < since || entry.time >= until) continue; // ISO 8601 times on one clock compare as text
    const path = entry.path.replace(/\/customers\/[^/]+/, '/customers/:cid').replace(/\/(libraries|workspaces|folders)\/[^/]+/g, '/$1/:id');
    const key = `${entry.method} ${path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** `key count, key count, …`, the largest count first. */
function mostFirst(counts: ReadonlyMap<string, number>): string {
  return [...counts].sort((a, b) => b[1] - a[1]).map(([key, count]) => `${key} ${count}`).join(', ');
}

/** The figures; without `raw` (BENCH_RAW=off) the lines that need the raw passes are left out. */
function report(s: Settings, run: RunFigures, raw: RawFigures | undefined, restart: RestartFigures | undefined, imanage: ReadonlyMap<string, number>, resyncImanage: ReadonlyMap<string, number>): string {
  const m = run.metrics;
  const writes = total(m, 'imanage_operator_status_writes_total');
  const reconciles = total(m, 'imanage_operator_reconcile_total');
  const perKind = (name: string, kind: string, count: number): string => fmt(total(m, name, (l) => l['kind'] === kind) / count, 2);
  const conns = s.connections;
  const repos = conns * REPOSITORIES_PER_CONNECTION;
  const cpu = (times: CpuTimes, wallS: number): string => {
    const ours = Object.entries(times).filter(([name]) => name !== MACHINE && !name.endsWith(IN_KERNEL) && !name.startsWith(THREAD));
    const others = (times[MACHINE] ?? 0) - ours.reduce((sum, [, sec]) => sum + sec, 0);
    const threads = Object.entries(times).filter(([name, sec]) => name.startsWith(THREAD) && sec >= 0.05).sort((a, b) => b[1] - a[1]);
    const detail = (name: string): string => {
      const parts = times[`${name}${IN_KERNEL}`] === undefined ? [] : [`${fmt(times[`${name}${IN_KERNEL}`]!)} in the kernel`];
      if (name === 'operator' && threads.length > 0) parts.push(`by thread: ${threads.map(([t, sec]) => `${t.slice(THREAD.length)} ${fmt(sec)}`).join(', ')}`);
      return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
    };
    return `${ours.map(([name, sec]) => `${name} ${fmt(sec)} s${detail(name)}`).join(', ')}, other processes ${fmt(Math.max(0, others))} s (of ${fmt(wallS * cores)} core-seconds on ${cores} cores)`;
  };
  const requests = mostFirst(run.apiRequests);
  const half = run.progress.find((p) => p.writes >= run.objects / 2);
  let out = `operator-scale: N=${conns} connections, ${repos} repositories, concurrency ${s.concurrency}, order ${s.order}, probes and tokens ${s.tokens === 'off' ? 'off' : `on (${s.tokens}${s.tokens === 'encrypted' && s.passphrases > 1 ? `, ${s.passphrases} passphrases` : ''})`}; node ${s.nodeOptions.join(' ')}\n`;
  out += line('all Ready after', `${fmt(run.allReadyS)} s  (first create → last Ready; LIST every ${POLL_MS} ms once every status may be written)`);
  out += line('creates done after', `${fmt(run.createS)} s  (${run.objects} POST, ${CLIENT_CONCURRENCY} in parallel)`);
  out += line('half written after', half ? `${fmt(half.atS)} s  (status writes ≥ half the objects)` : '-');
  const rawWrite = raw ? median(raw.writeS) : 0;
  const rawCreate = raw ? median(raw.createS) : 0;
  const passes = (values: readonly number[]): string => `median of ${values.map((v) => fmt(v)).join(', ')}`;
  if (raw) {
    out += line('raw writes', `${fmt(rawWrite)} s   (${raw.objects} PUT /status, ${raw.tokenSecrets} token Secret POST and ${raw.finalizers} finalizer PATCH, ${s.concurrency} in parallel as the operator, operator stopped; ${passes(raw.writeS)})`);
    out += line('raw creates', `${fmt(rawCreate)} s   (${raw.objects} POST, ${CLIENT_CONCURRENCY} in parallel, operator stopped; ${passes(raw.createS)})`);
    out += line('ratio', `${fmt(run.allReadyS / rawWrite, 2)}×  (all Ready / raw writes)`);
    out += line('ratio incl. creates', `${fmt(run.allReadyS / (rawCreate + rawWrite), 2)}×  (all Ready / (raw creates + raw writes))`);
    const simulatorS = run.cpu[SIMULATOR];
    if (simulatorS !== undefined) {
      // Both cores are busy throughout a run (docs/scale.md), so the simulator's core-seconds lengthen it by about their share.
      const withoutS = run.allReadyS - simulatorS / cores;
      out += line('without iManage\'s CPU', `${fmt(withoutS / (rawCreate + rawWrite), 2)}×  (an estimate: all Ready less the simulator's ${fmt(simulatorS)} core-seconds over ${cores} cores, / (raw creates + raw writes); in a cluster iManage runs elsewhere)`);
    }
  }
  out += line('status writes per object', `${fmt(writes / run.objects, 2)}  (connections ${perKind('imanage_operator_status_writes_total', 'IManageConnection', conns)}, repositories ${perKind('imanage_operator_status_writes_total', 'WorkspaceRepository', repos)})`);
  const secretRequests = (verb: string): number => run.apiRequests.get(`${verb} secrets`) ?? 0;
  const secretWrites = secretRequests('POST') + secretRequests('PUT') + secretRequests('PATCH');
  const metadataWrites = ['PATCH', 'PUT'].reduce((sum, verb) => sum + (run.apiRequests.get(`${verb} imanageconnections`) ?? 0) + (run.apiRequests.get(`${verb} workspacerepositories`) ?? 0), 0);
  out += line('token Secret writes', `${fmt(secretWrites / conns, 2)} per connection (POST ${secretRequests('POST')}, PUT ${secretRequests('PUT')}, PATCH ${secretRequests('PATCH')}); object writes (finalizers) ${metadataWrites}`);
  out += line('writes per object', `${fmt((writes + secretWrites + metadataWrites) / run.objects, 2)}  (status + token Secret + finalizer; the bar: ${fmt((run.objects + (s.tokens === 'off' ? 0 : conns)) / run.objects, 2)}, one status write per object and one token Secret per connection)`);
  out += line('Secret reads', `${fmt(secretRequests('GET') / conns, 2)} GET per connection (${secretRequests('GET')}), LIST ${secretRequests('LIST')}, WATCH ${secretRequests('WATCH')}`);
  out += line('reconciles per object', `${fmt(reconciles / run.objects, 2)}  (connections ${perKind('imanage_operator_reconcile_total', 'IManageConnection', conns)}, repositories ${perKind('imanage_operator_reconcile_total', 'WorkspaceRepository', repos)}; results: ${byLabel(m, 'imanage_operator_reconcile_total', 'result')})`);
  out += line('reconcile time (mean)', `connection ${histogramMean(m, 'imanage_operator_reconcile_duration_seconds', 'IManageConnection')}, repository ${histogramMean(m, 'imanage_operator_reconcile_duration_seconds', 'WorkspaceRepository')}`);
  out += line('queue wait (mean)', `connection ${histogramMean(m, 'imanage_operator_queue_wait_seconds', 'IManageConnection')}, repository ${histogramMean(m, 'imanage_operator_queue_wait_seconds', 'WorkspaceRepository')}`);
  const mib = (name: string): string => fmt(total(m, name) / 2 ** 20, 0);
  if (run.limit) out += line('memory limit', describeLimit(s.memoryLimitMiB!, run.limit));
  out += line('operator RSS', `settled ${fmt(run.rssSettled, 0)} MiB (${run.rssSettledSplit}), peak ${fmt(run.rssPeak, 0)} MiB (idle before creates ${fmt(run.rssIdle, 0)} MiB; settled V8 heap ${mib('nodejs_heap_size_used_bytes')} MiB used of ${mib('nodejs_heap_size_total_bytes')}, external ${mib('nodejs_external_memory_bytes')})`);
  if (raw) out += line('object sizes (JSON)', Object.entries(raw.meanBytes).map(([kind, bytes]) => `${kind} ${fmt(bytes / 1024, 1)} KiB`).join(', ') + ' (mean, as stored; managedFields included, token Secret data only)');
  out += line('CPU until all Ready', cpu(run.cpu, run.allReadyS));
  out += line('operator GC', `${gcPauses(m)}  (until settled; nodejs_gc_duration_seconds: V8's pauses on the operator's main thread, by kind)`);
  if (raw) out += line('CPU of one raw pass', cpu(raw.cpu, rawCreate + rawWrite));
  out += line('API requests', `${requests}  (from first create to settled: the operator's, these creates and LISTs, the API server's own)`);
  if (imanage.size > 0) {
    const all = [...imanage.values()].reduce((sum, n) => sum + n, 0);
    const byPath = mostFirst(imanage);
    const cut = all >= REQUEST_LOG_ENTRIES ? `, only the simulator's last ${REQUEST_LOG_ENTRIES} counted` : '';
    out += line('iManage requests', `${fmt(all / conns, 2)} per connection (${byPath}${cut})`);
  }
  out += line('polling', `${run.polls} polls (2 LIST each), ${fmt(run.pollS)} s in flight`);
  out += line('settled after', `${fmt(run.settledS)} s; operator warnings logged: ${run.warnings}`);
  if (run.resync) {
    const r = run.resync;
    const all = [...resyncImanage.values()].reduce((sum, n) => sum + n, 0);
    out += line('resync', `${r.reconciles} reconciles (--resync-period ${s.resyncS}s), from the first to quiet ${fmt(r.seconds)} s; RSS peak ${fmt(r.rssPeak, 0)} MiB; status writes ${r.statusWrites}; Secret GETs ${r.apiRequests.get('GET secrets') ?? 0}; iManage requests ${all}${all > 0 ? ` (${mostFirst(resyncImanage)})` : ''}`);
    if (r.limitBefore && r.limitAfter) {
      out += line('  memory limit', `file pages read again during it ${r.limitAfter.refaults - r.limitBefore.refaults}, working set ${fmt(r.limitAfter.workingSetMiB, 0)} MiB after it (peak of the whole run ${fmt(r.limitAfter.peakWorkingSetMiB, 0)} MiB, ${fmt(r.limitBefore.peakWorkingSetMiB, 0)} before it), limit reached ${r.limitAfter.limitHits - r.limitBefore.limitHits} times during it, OOM kills ${r.limitAfter.oomKills}`);
    }
  }
  if (restart) {
    const get = (verb: string, resource: string): number => restart.apiRequests.get(`${verb} ${resource}`) ?? 0;
    const kinds = ['imanageconnections', 'workspacerepositories'];
    const lists = kinds.reduce((sum, kind) => sum + get('LIST', kind), 0);
    const secretWrites = get('POST', 'secrets') + get('PUT', 'secrets') + get('PATCH', 'secrets');
    out += line('restart', `as many reconciles as objects ${fmt(restart.resyncedS)} s after the start (a LIST of all, ${lists} pages of up to 100, and a reconcile each), quiet after ${fmt(restart.quietS)} s; RSS peak ${fmt(restart.rssPeak, 0)} MiB, settled ${fmt(restart.rssSettled, 0)} MiB`);
    if (restart.limit) out += line('  memory limit', describeLimit(s.memoryLimitMiB!, restart.limit));
    out += line('  after the restart', `status writes ${restart.statusWrites[0] + restart.statusWrites[1]} (connections ${restart.statusWrites[0]}, repositories ${restart.statusWrites[1]}), token Secret writes ${secretWrites}, Secret GETs ${get('GET', 'secrets')}, token requests ${restart.tokenRequests}; operator warnings logged: ${restart.warnings}`);
    if (restart.imanage.size > 0) {
      const all = [...restart.imanage.values()].reduce((sum, n) => sum + n, 0);
      out += line('  iManage requests', `${all} (${mostFirst(restart.imanage)})`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const s = settings(process.argv.slice(2), process.env);
  const crdDir = fileURLToPath(new URL('../crds', import.meta.url));
  process.stderr.write('starting the control plane…\n');
  const cp = await startControlPlane();
  let operator: Operator | undefined;
  let client: KubeClient | undefined;
  let sim: SimulatorProcess | undefined;
  const interrupted = (): void => void operator?.stop();
  process.once('SIGINT', interrupted);
  try {
    await installCrds(cp, crdDir, await readdir(crdDir));
    // The bench's own writes (the creates, and the raw pass that the ratio divides by) open as
    // many sockets as they have requests in flight, as before the operator's cap of 16.
    client = await KubeClient.load({ kubeconfig: cp.kubeconfigPath, maxRequestSockets: Infinity });
    await client.create(namespaces, { metadata: { name: NAMESPACE } });
    await warmUp(client);
    if (s.tokens !== 'off') {
      sim = await SimulatorProcess.start(SIM_SCENARIO);
      for (const secret of referencedSecrets(sim, NAMESPACE, s.passphrases)) await client.create(secrets, secret);
    }
    operator = new Operator(s, cp.kubeconfigPath, sim);
    const operatorMetrics: Target = { url: `http://${await operator.probes}/metrics` };
    await operator.synced;
    process.stderr.write(`operator running (pid ${operator.pid}); creating ${s.connections * (1 + REPOSITORIES_PER_CONNECTION)} objects…\n`);
    const run = await runOperatorPhase(s, cp, client, operator, operatorMetrics, sim);
    const log = await requestLog(sim);
    const imanage = imanageRequests(log, '', run.resync?.since);
    const resyncImanage = run.resync ? imanageRequests(log, run.resync.since) : new Map<string, number>();
    await operator.stop();
    operator = undefined;
    let restart: RestartFigures | undefined;
    if (s.restart) {
      process.stderr.write('operator stopped; starting it again over the same objects…\n');
      restart = await restartPhase(s, cp, sim, run.objects);
    }
    if (s.rawPasses) process.stderr.write('operator stopped; raw creates and status writes…\n');
    const raw = s.rawPasses ? await rawPhase(s, client, cp) : undefined;
    process.stdout.write(report(s, run, raw, restart, imanage, resyncImanage));
  } finally {
    process.off('SIGINT', interrupted);
    await operator?.stop();
    client?.close();
    await sim?.stop();
    await cp.stop();
  }
}

async function runMain(): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof BenchUsageError || error instanceof MemoryLimitUnavailable) {
      process.stderr.write(`operator-scale: ${error.message}\nusage: node bench/operator-scale.ts [connections=200] [concurrency=4]\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`operator-scale: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    }
  }
}

// bench/change-latency.ts imports the parts above; only a direct run measures this.
if (import.meta.main) await runMain();
