// What the link tests share: `imanage-operator link` as a user runs it (its output collected as it
// comes; killed with the test file), and the flags and port of an operator serving the callback.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import type { RunningSimulator } from '../../simulator/index.ts';
import { getObject, type OperatorProcess } from '../harness/operator.ts';
import { resolveToSimulator } from '../probes/helpers.ts';

/** `run` flags: the simulator plays `hosts`, and the callback is served on a loopback port. */
export function callbackOperatorArgs(sim: RunningSimulator, hosts: readonly string[], callbackUrl: string): string[] {
  return [
    ...resolveToSimulator(sim, hosts).flatMap((r) => ['--resolve', r]),
    '--allow-loopback-probes=true',
    `--callback-url=${callbackUrl}`,
    '--callback-address=127.0.0.1:0',
  ];
}

/**
 * A URL the operator keeps in the connection's Secret `<name>-sign-in` (status names it): by
 * default iManage's authorization URL; `url` is what a person opens (the callback, which leads there).
 */
export async function signInUrlOf(
  namespace: string,
  connection: string,
  key: 'authorizeUrl' | 'url' = 'authorizeUrl',
): Promise<string | undefined> {
  const secret = await getObject<{ data?: Record<string, string> }>(namespace, 'secret', `${connection}-sign-in`);
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

/** The loopback port an operator serves the callback on; its log says. */
export async function callbackPort(op: OperatorProcess, timeoutMs = 30_000): Promise<number> {
  const served = await op.waitForLog((e) => e?.msg === 'sign-in callback served', timeoutMs);
  return Number(/:(\d+)$/.exec(String(served['address']))?.[1]);
}

export interface RunningLink {
  readonly exited: Promise<number | null>;
  out(): string;
  err(): string;
}

export function runLink(args: readonly string[]): RunningLink {
  const main = join(import.meta.dirname, '..', '..', 'operator', 'cli', 'main.ts');
  const child = spawn(process.execPath, [main, 'link', ...args, '--kubeconfig', inject('kubeconfigPath')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  afterAll(() => void child.kill('SIGKILL'));
  return { exited, out: () => stdout, err: () => stderr };
}
