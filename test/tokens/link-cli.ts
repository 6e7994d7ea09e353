// `imanage-operator link` as a user runs it, its output collected as it comes; killed with the
// test file. Shared by the link tests.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';

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
