import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

export interface KubectlOptions {
  readonly input?: string;
  readonly env?: Record<string, string>;
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class KubectlError extends Error {
  readonly args: readonly string[];
  readonly result: KubectlResult;

  constructor(args: readonly string[], result: KubectlResult) {
    super(`kubectl ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
    this.name = 'KubectlError';
    this.args = args;
    this.result = result;
  }
}

/** Runs a program to completion, collecting its output; never rejects on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    // A program that exits without reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Runs kubectl against one kubeconfig. The discovery cache lives beside the kubeconfig so that a
 * new control plane on a recycled port never sees the API list of an earlier one.
 */
export function runKubectl(
  binDir: string,
  kubeconfigPath: string,
  args: readonly string[],
  opts: KubectlOptions = {},
): Promise<KubectlResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: kubeconfigPath,
    KUBECACHEDIR: join(dirname(kubeconfigPath), 'kubectl-cache'),
    ...opts.env,
  };
  return run(join(binDir, 'kubectl'), args, { input: opts.input, env });
}

/** Like runKubectl, but rejects with a KubectlError when kubectl fails. */
export async function kubectlOrThrow(
  binDir: string,
  kubeconfigPath: string,
  args: readonly string[],
  opts: KubectlOptions = {},
): Promise<KubectlResult> {
  const result = await runKubectl(binDir, kubeconfigPath, args, opts);
  if (result.code !== 0) throw new KubectlError(args, result);
  return result;
}
