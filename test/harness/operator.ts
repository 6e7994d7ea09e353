// The operator as a real process (`node operator/cli/main.ts run`) against the shared control
// plane, scoped to one test namespace, plus small polling helpers for tests that watch it work.
// Every process started here ends with the test file: an afterAll hook stops it (SIGTERM, then
// SIGKILL), a process 'exit' hook kills it, and a watchdog shell kills it if the test worker
// itself dies without running any code of ours.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, inject } from 'vitest';
import type {} from './context.ts';
import { runKubectl } from './exec.ts';
import { spawnWatchdog } from './processes.ts';

export interface OperatorOptions {
  /** Watched namespace; also where the leader-election Lease lives. */
  readonly namespace: string;
  /** Every namespace to watch, when more than `namespace`. */
  readonly watchNamespaces?: readonly string[];
  /** Another control plane's kubeconfig (a private one). Default: the shared control plane's admin. */
  readonly kubeconfigPath?: string;
  /** Leader-election identity (POD_NAME). Default: `op-<random>`. */
  readonly identity?: string;
  /** Default: true, as in production. */
  readonly leaderElect?: boolean;
  /** Lease name (--leader-election-id). Default: the operator's own default. */
  readonly leaderElectionId?: string;
  /** --resync-period, e.g. `1s`. Default: the operator's own default. */
  readonly resyncPeriod?: string;
  /** Default: `info`. */
  readonly logLevel?: string;
  /** iManage probes (--probes). Default: false. */
  readonly probes?: boolean;
  /** Token management (--tokens, needs probes). Default: false. */
  readonly tokens?: boolean;
  readonly extraArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /** How long to wait for the `operator starting` line. @default 30000 */
  readonly startTimeoutMs?: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One parsed JSON log line; `msg` and `time` are pino's. */
export type LogEntry = Record<string, unknown> & { readonly msg?: string; readonly time?: string };

export type LogPredicate = (entry: LogEntry | undefined, line: string) => boolean;

export interface OperatorProcess {
  readonly pid: number;
  readonly identity: string;
  readonly probes: { readonly host: string; readonly port: number };
  /** Resolves when the process has exited and its output has been read to the end. */
  readonly exited: Promise<ExitInfo>;
  readonly running: boolean;
  /** Every stdout and stderr line so far. */
  logs(): string[];
  /** The stdout lines that are JSON objects, parsed. */
  entries(): LogEntry[];
  /** The first line so far or to come that matches; rejects on timeout or when the process exits first. */
  waitForLog(predicate: LogPredicate, timeoutMs?: number): Promise<LogEntry>;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** Sends `signal` and waits for the exit; SIGKILL if it has not exited within `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<ExitInfo>;
}

export class OperatorStartError extends Error {
  constructor(message: string, logs: readonly string[]) {
    super(`${message}\n--- operator output ---\n${logs.slice(-40).join('\n')}`);
    this.name = 'OperatorStartError';
  }
}

export class LogTimeoutError extends Error {
  constructor(message: string, logs: readonly string[]) {
    super(`${message}\n--- last operator output ---\n${logs.slice(-20).join('\n')}`);
    this.name = 'LogTimeoutError';
  }
}

export class WaitTimeoutError extends Error {
  readonly lastError: unknown;
  constructor(what: string, timeoutMs: number, lastError: unknown, lastValue: unknown) {
    const detail = lastError instanceof Error
      ? `last error: ${lastError.message}`
      : `last value: ${safeJson(lastValue)}`;
    super(`timed out after ${timeoutMs} ms waiting for ${what}; ${detail}`);
    this.name = 'WaitTimeoutError';
    this.lastError = lastError;
  }
}

const repoRoot = join(import.meta.dirname, '..', '..');
// TEST_OPERATOR_MAIN runs the tests against another build of the operator (a copy of the tree
// before a fix, to see a test fail there).
const mainPath = process.env['TEST_OPERATOR_MAIN'] || join(repoRoot, 'operator', 'cli', 'main.ts');
const defaultStopGraceMs = 40_000;

const live = new Set<ManagedOperator>();

// Registered while the test file is being collected (this module is evaluated per test file),
// so it runs after the file's tests whatever they did.
afterAll(async () => {
  await Promise.allSettled([...live].map((op) => op.stop('SIGTERM', 10_000)));
});
process.on('exit', () => {
  for (const op of live) op.killSync();
});

class ManagedOperator implements OperatorProcess {
  readonly identity: string;
  readonly exited: Promise<ExitInfo>;
  probes = { host: '', port: 0 };
  readonly #child: ChildProcess;
  readonly #watchdog: ChildProcess;
  readonly #lines: string[] = [];
  readonly #entries: LogEntry[] = [];
  readonly #listeners = new Set<() => void>();
  #exit: ExitInfo | undefined;

  constructor(args: readonly string[], identity: string, env: Record<string, string>) {
    this.identity = identity;
    this.#child = spawn(process.execPath, [mainPath, ...args], {
      cwd: repoRoot,
      env: { ...process.env, POD_NAME: identity, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.#child.stdout!, this.#child.stderr!]) this.#readLines(stream);
    this.exited = new Promise((done) => {
      const finish = (info: ExitInfo): void => {
        this.#exit ??= info;
        live.delete(this);
        this.#watchdog.kill('SIGKILL');
        this.#notify();
        done(this.#exit);
      };
      // 'close' rather than 'exit': by then every line of output has been read.
      this.#child.on('close', (code, signal) => finish({ code, signal }));
      this.#child.on('error', () => finish({ code: 127, signal: null }));
    });
    this.#watchdog = startWatchdog(this.#child.pid);
    live.add(this);
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  logs(): string[] {
    return [...this.#lines];
  }

  entries(): LogEntry[] {
    return [...this.#entries];
  }

  waitForLog(predicate: LogPredicate, timeoutMs = 30_000): Promise<LogEntry> {
    return new Promise((resolve, reject) => {
      let checked = 0;
      const check = (): boolean => {
        for (; checked < this.#lines.length; checked++) {
          const line = this.#lines[checked]!;
          const entry = parseEntry(line);
          if (predicate(entry, line)) {
            finish();
            resolve(entry ?? { msg: line });
            return true;
          }
        }
        if (!this.running) {
          finish();
          reject(new LogTimeoutError(`the operator exited (${safeJson(this.#exit)}) before the awaited log line`, this.#lines));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new LogTimeoutError(`no matching log line within ${timeoutMs} ms`, this.#lines));
      }, timeoutMs);
      const listener = (): void => void check();
      const finish = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      if (!check()) this.#listeners.add(listener);
    });
  }

  metrics(): Promise<string> {
    return httpGet(`http://${this.probes.host}:${this.probes.port}/metrics`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = defaultStopGraceMs): Promise<ExitInfo> {
    if (this.running) {
      this.#child.kill(signal);
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  kill(): Promise<ExitInfo> {
    if (this.running) this.#child.kill('SIGKILL');
    return this.exited;
  }

  /** For process 'exit', where nothing asynchronous runs any more. */
  killSync(): void {
    if (this.running) this.#child.kill('SIGKILL');
  }

  #readLines(stream: NodeJS.ReadableStream): void {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) this.#push(line);
    });
    stream.on('end', () => {
      if (pending !== '') this.#push(pending);
      pending = '';
    });
  }

  #push(line: string): void {
    this.#lines.push(line);
    const entry = parseEntry(line);
    if (entry) this.#entries.push(entry);
    this.#notify();
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/**
 * Nothing of ours runs when the test worker is killed outright, so a detached shell holds the
 * reading end of a pipe from us: at end-of-file (we are gone) it kills the operator, if that pid
 * still runs our main.ts.
 */
function startWatchdog(pid: number | undefined): ChildProcess {
  const script = `read -r _; grep -qaF -- "$2" "/proc/$1/cmdline" 2>/dev/null && kill -KILL "$1" 2>/dev/null; exit 0`;
  return spawnWatchdog(script, ['operator-watchdog', String(pid ?? 0), mainPath]);
}

function parseEntry(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LogEntry) : undefined;
  } catch {
    return undefined;
  }
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
  } catch {
    return String(value);
  }
}

/** Starts the operator and resolves once it has logged `operator starting` (its probe address). */
export async function startOperator(opts: OperatorOptions): Promise<OperatorProcess> {
  const identity = opts.identity ?? `op-${randomBytes(3).toString('hex')}`;
  const args = [
    'run',
    '--kubeconfig', opts.kubeconfigPath ?? inject('kubeconfigPath'),
    '--namespaces', (opts.watchNamespaces ?? [opts.namespace]).join(','),
    '--leader-elect', String(opts.leaderElect ?? true),
    '--leader-election-namespace', opts.namespace,
    '--health-address', '127.0.0.1:0',
    '--log-level', opts.logLevel ?? 'info',
    // iManage probes need the simulator; tests of the engine and controllers run without them.
    '--probes', String(opts.probes ?? false),
    // Tokens only where a test asks: most probe tests run connections that no account is linked to.
    '--tokens', String(opts.tokens ?? false),
    ...(opts.leaderElectionId ? ['--leader-election-id', opts.leaderElectionId] : []),
    ...(opts.resyncPeriod ? ['--resync-period', opts.resyncPeriod] : []),
    ...(opts.extraArgs ?? []),
  ];
  const op = new ManagedOperator(args, identity, opts.env ?? {});
  let starting: LogEntry;
  try {
    starting = await op.waitForLog((e) => e?.msg === 'operator starting', opts.startTimeoutMs ?? 30_000);
  } catch (error) {
    await op.kill();
    throw new OperatorStartError(`the operator did not start: ${(error as Error).message.split('\n')[0]}`, op.logs());
  }
  const match = /^(.*):(\d+)$/.exec(String(starting['probes'] ?? ''));
  if (!match) {
    await op.kill();
    throw new OperatorStartError(`'operator starting' has no probes host:port`, op.logs());
  }
  op.probes = { host: match[1]!, port: Number(match[2]) };
  return op;
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${url}: HTTP ${res.statusCode}: ${body}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The sum of every sample of a metric whose labels include `labels` (0 when there is none), from
 * Prometheus text. `name` is the full sample name (e.g. `imanage_operator_reconcile_total`).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

/**
 * Polls `fn` until it returns something other than undefined, null or false, and returns that.
 * A throw counts as "not yet" (the last one is reported on timeout), so `expect` works inside.
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  intervalMs = 200,
  what = 'a condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(what, timeoutMs, lastError, lastValue);
    await sleep(intervalMs);
  }
}

/** Any object as `kubectl get -o json` returns it; undefined when it does not exist. */
export async function getObject<T = KubeJson>(namespace: string, kind: string, name: string): Promise<T | undefined> {
  const args = ['-n', namespace, 'get', kind, name, '-o', 'json'];
  const result = await runKubectl(inject('binDir'), inject('kubeconfigPath'), args);
  if (result.code !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(`kubectl ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout) as T;
}

/** Every object of `kind` in `namespace` (`kind` may be a list such as `imc,wsr`). */
export async function listObjects<T = KubeJson>(namespace: string, kind: string): Promise<T[]> {
  const args = ['-n', namespace, 'get', kind, '-o', 'json'];
  const result = await runKubectl(inject('binDir'), inject('kubeconfigPath'), args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as { items: T[] }).items;
}

/** The parts of a Kubernetes object the tests read. */
export interface KubeJson {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string; uid?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number; lastTransitionTime: string }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

