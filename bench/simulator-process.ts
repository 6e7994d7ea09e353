// The iManage simulator in a process of its own (bench/simulator-child.ts), so that a bench can
// count its CPU apart from its own. In a cluster iManage runs elsewhere; on this machine the
// simulator takes the same two cores as the API server and the operator, and a bench that ran it
// in its own process could not tell how much of a run's CPU was iManage's.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../simulator/index.ts';

const CHILD = fileURLToPath(new URL('./simulator-child.ts', import.meta.url));
const START_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 10_000;

export class SimulatorProcess {
  readonly pid: number;
  readonly caPem: string;
  readonly httpsPort: number;
  /** The simulator's admin API (`GET <adminUrl>/requests`: its request log). */
  readonly adminUrl: string;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, started: Started) {
    this.#child = child;
    this.pid = child.pid ?? 0;
    this.httpsPort = started.httpsPort;
    this.adminUrl = `http://127.0.0.1:${started.adminPort}/_admin`;
    this.caPem = started.caPem;
  }

  /** Starts `scenario` on loopback, HTTPS and the admin API on free ports. */
  static async start(scenario: Scenario): Promise<SimulatorProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'bench-simulator-'));
    const config = join(dir, 'scenario.json');
    await writeFile(config, JSON.stringify(scenario));
    // stdin open: the child stops when it closes, also when this process dies without stopping it.
    const child = spawn(process.execPath, [CHILD, config], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      return new SimulatorProcess(child, await started(child));
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    } finally {
      await rm(dir, { recursive: true, force: true }); // read by the child before it listens
    }
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.stdin!.end();
      const late = setTimeout(() => this.#child.kill('SIGKILL'), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(late);
    }
  }
}

interface Started {
  readonly httpsPort: number;
  readonly adminPort: number;
  readonly caPem: string;
}

/** The line bench/simulator-child.ts prints once it listens. */
function started(child: ChildProcess): Promise<Started> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error('the simulator did not start within 30 s')), START_DEADLINE_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`the simulator exited (${code}) before it listened`)));
    child.stdout!.setEncoding('utf8');
    const read = (chunk: string): void => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) {
        if (text.length > 65_536) fail(new Error('the simulator printed no line it could be told by'));
        return;
      }
      clearTimeout(timer);
      child.stdout!.off('data', read);
      child.stdout!.resume(); // anything after is read and dropped, so the child never blocks on a full pipe
      try {
        resolve(JSON.parse(text.slice(0, end)) as Started);
      } catch {
        reject(new Error(`the simulator printed ${JSON.stringify(text.slice(0, 200))}`));
      }
    };
    child.stdout!.on('data', read);
  });
}
