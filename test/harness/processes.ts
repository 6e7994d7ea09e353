// The processes of a control plane and their cleanup: by stop(), by process exit and signal
// hooks, and by a watchdog for the cases where no code of ours runs any more.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const killGraceMs = 5_000;
const pollMs = 100;

interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly name: string;
  readonly logPath: string;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private readonly logFile: WriteStream;
  private exitInfo: ExitInfo | undefined;

  constructor(name: string, command: string, args: readonly string[], logPath: string, log?: (line: string) => void) {
    this.name = name;
    this.logPath = logPath;
    this.logFile = createWriteStream(logPath, { flags: 'a' });
    // A log that cannot be written (its folder removed under it) must not crash the test run.
    this.logFile.on('error', () => {});
    // Pipes rather than file descriptors, so that the lines can be forwarded as they come.
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let pending = '';
      stream.on('data', (chunk: Buffer) => {
        this.logFile.write(chunk);
        if (!log) return;
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) log(`[${name}] ${line}`);
      });
    }
    this.exited = new Promise((done) => {
      const finish = (info: ExitInfo): void => {
        this.exitInfo ??= info;
        done(this.exitInfo);
      };
      // 'close' rather than 'exit': by then the last log lines have been read and written.
      this.child.on('close', (code, signal) => finish({ code, signal }));
      this.child.on('error', () => finish({ code: 127, signal: null }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined && this.child.pid !== undefined;
  }

  /** SIGTERM, then SIGKILL if it has not exited after the grace period. */
  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), killGraceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((done) => this.logFile.end(done));
  }

  /** Sends `signal` (SIGKILL: as a crash; SIGSTOP/SIGCONT: hang and resume). Waits for the exit unless it only pauses. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), killGraceMs);
    await this.exited;
    clearTimeout(timer);
    await new Promise<void>((done) => this.logFile.end(done));
  }

  /** For process 'exit', where nothing asynchronous runs any more. */
  stopSync(): void {
    const pid = this.child.pid;
    if (!this.running || pid === undefined) return;
    this.child.kill('SIGTERM');
    const deadline = Date.now() + killGraceMs;
    while (isAlive(pid) && Date.now() < deadline) sleepSync(50);
    if (isAlive(pid)) this.child.kill('SIGKILL');
  }

  logTail(lines = 40): string {
    return tailOf(this.logPath, lines);
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A child that exited is a zombie until the event loop reaps it, so look at its state too. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function tailOf(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// Nothing runs in a process killed with SIGKILL (or by the OOM killer), so a watchdog shell
// holds the reading end of a pipe from us: it sees end-of-file only when we are gone, and then
// ends the processes named in the pid files (if their command line names the workDir) and
// removes the workDir.
const watchdogScript = `
dir=$1
read -r _
pids=
for name in kube-apiserver etcd; do
  pid=$(cat "$dir/$name.pid" 2>/dev/null) || continue
  [ -n "$pid" ] && grep -qaF -- "$dir" "/proc/$pid/cmdline" 2>/dev/null && pids="$pids $pid"
done
if [ -n "$pids" ]; then
  kill -TERM $pids 2>/dev/null
  i=0
  while [ $i -lt ${killGraceMs / 100} ]; do
    alive=
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
    i=$((i + 1))
  done
  kill -KILL $pids 2>/dev/null
fi
rm -rf "$dir"
`;

function startWatchdog(workDir: string): ChildProcess {
  return spawnWatchdog(watchdogScript, ['controlplane-watchdog', workDir]);
}

/**
 * A shell that outlives us to clean up: it holds the reading end of a pipe from this process,
 * and runs `script` once that pipe closes, which happens even when we are SIGKILLed.
 */
export function spawnWatchdog(script: string, args: readonly string[]): ChildProcess {
  const watchdog = spawn('sh', ['-c', script, ...args], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Out of our process group, so that Ctrl-C reaches our handlers and not the watchdog.
    detached: true,
  });
  watchdog.on('error', () => {});
  watchdog.stdin!.on('error', () => {});
  // Neither the watchdog nor its pipe may keep the test runner alive.
  watchdog.unref();
  (watchdog.stdin as Socket).unref();
  return watchdog;
}

/** One started (or starting) control plane, known to the process-wide cleanup hooks. */
export class Instance {
  readonly workDir: string;
  readonly processes: ManagedProcess[] = [];
  private readonly watchdog: ChildProcess;
  private stopping: Promise<void> | undefined;

  constructor(workDir: string) {
    this.workDir = workDir;
    this.watchdog = startWatchdog(workDir);
    live.add(this);
    installHooks();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.watchdog.kill('SIGKILL');
      // The API server first, so that it does not spend its last seconds retrying etcd.
      for (const proc of [...this.processes].reverse()) await proc.stop();
      await rm(this.workDir, { recursive: true, force: true });
      live.delete(this);
      if (live.size === 0) removeHooks();
    })();
    return this.stopping;
  }

  stopSync(): void {
    this.watchdog.kill('SIGKILL');
    for (const proc of [...this.processes].reverse()) proc.stopSync();
    rmSync(this.workDir, { recursive: true, force: true });
    live.delete(this);
  }
}

const live = new Set<Instance>();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooked = false;

function onExit(): void {
  for (const instance of [...live]) instance.stopSync();
}

function onSignal(signal: NodeJS.Signals): void {
  void Promise.allSettled([...live].map((instance) => instance.stop())).then(() => {
    removeHooks();
    // We only listened to clean up; if nobody else handles the signal, die of it as we would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
  for (const signal of signals) process.on(signal, onSignal);
}

function removeHooks(): void {
  if (!hooked) return;
  hooked = false;
  process.off('exit', onExit);
  for (const signal of signals) process.off(signal, onSignal);
}

/**
 * A fixed workDir (the by-hand command) may hold pid files of a run that was killed outright.
 * Only processes whose command line names that workDir are ours to end.
 */
export async function killLeftovers(workDir: string): Promise<void> {
  for (const name of ['kube-apiserver', 'etcd']) {
    let pid: number;
    try {
      pid = Number((await readFile(join(workDir, `${name}.pid`), 'utf8')).trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(workDir)) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + killGraceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(pollMs);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}
