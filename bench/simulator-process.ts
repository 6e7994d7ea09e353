// The iManage simulator in a process of its own (simulator/main.ts), so that a bench can count its
// CPU apart from its own. In a cluster iManage runs elsewhere; on this machine the simulator takes
// the same two cores as the API server and the operator, and a bench that ran it in its own process
// could not tell how much of a run's CPU was iManage's.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestLogEntry, Scenario } from '../simulator/index.ts';

const MAIN = fileURLToPath(new URL('../simulator/main.ts', import.meta.url));
const START_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 10_000;
const LOG_DEADLINE_MS = 30_000;

export class SimulatorProcess {
  readonly pid: number;
  readonly caPem: string;
  readonly httpsPort: number;
  readonly #adminPort: number;
  readonly #child: ChildProcess;
  readonly #dir: string;

  private constructor(child: ChildProcess, dir: string, ports: { https: number; admin: number }, caPem: string) {
    this.#child = child;
    this.#dir = dir;
    this.pid = child.pid ?? 0;
    this.httpsPort = ports.https;
    this.#adminPort = ports.admin;
    this.caPem = caPem;
  }

  /** Starts `scenario` on loopback, HTTPS and the admin API on free ports. */
  static async start(scenario: Scenario): Promise<SimulatorProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'bench-simulator-'));
    const config = join(dir, 'scenario.yaml'); // JSON is YAML
    const caOut = join(dir, 'ca.pem');
    await writeFile(config, JSON.stringify(scenario));
    const args = [MAIN, '--config', config, '--tls-port', '0', '--admin-port', '0', '--ca-out', caOut];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const ports = await announcedPorts(child);
      return new SimulatorProcess(child, dir, ports, await readFile(caOut, 'utf8'));
    } catch (error) {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The simulator's request log (its last REQUEST_LOG_ENTRIES), from its admin API. */
  requestLog(): Promise<RequestLogEntry[]> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.#adminPort, path: '/_admin/requests', timeout: LOG_DEADLINE_MS });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RequestLogEntry[]);
          } catch (error) {
            reject(error as Error);
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('the simulator did not answer for its request log')));
      req.on('error', reject);
      req.end();
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGTERM');
      const late = setTimeout(() => this.#child.kill('SIGKILL'), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(late);
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** The ports simulator/main.ts prints once it listens ("https  port N", "admin  http://127.0.0.1:N/_admin"). */
function announcedPorts(child: ChildProcess): Promise<{ https: number; admin: number }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error('the simulator did not start within 30 s')), START_DEADLINE_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`the simulator exited (${code}) before it listened`)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text = (text + chunk).slice(-16_384);
      const https = /https\s+port (\d+)/.exec(text);
      const admin = /admin\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
      if (!https || !admin) return;
      clearTimeout(timer);
      child.stdout!.resume(); // the rest is read and dropped, so the simulator never blocks on a full pipe
      resolve({ https: Number(https[1]), admin: Number(admin[1]) });
    });
  });
}
