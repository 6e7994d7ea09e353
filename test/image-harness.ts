// The operator's container image without a container runtime: tools/image/build.sh builds it (cached
// by a hash of its inputs), imagetool unpacks its root file system, and runContainer starts its
// entrypoint the way a kubelet would, as far as this test needs: new mount and PID namespaces
// (unshare), chroot into the root file system bind-mounted read-only, the image's user, a tmpfs
// /tmp, /proc and a minimal /dev, and read-only volumes (the service-account token, a CA).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll } from 'vitest';
import { run } from './harness/exec.ts';
import { spawnWatchdog } from './harness/processes.ts';

const root = join(import.meta.dirname, '..');

export class ImageToolError extends Error {
  constructor(command: string, code: number, stderr: string) {
    super(`${command} exited with ${code}:\n${stderr.trim().split('\n').slice(-30).join('\n')}`);
    this.name = 'ImageToolError';
  }
}

export interface BuiltImage {
  readonly digest: string;
  /** build.sh's stderr: what it resolved, sizes, paths. */
  readonly log: string;
  /** The OCI layout folder. */
  readonly layout: string;
  /** imagetool, built with the image: unpack, list, config. */
  readonly tool: string;
}

/**
 * A copy of the image's inputs as they are now, with the commit's time stamp and id (build.sh
 * --snapshot): builds from it agree whatever happens meanwhile in the working tree.
 */
export async function snapshotInputs(dir: string): Promise<string> {
  const result = await run('bash', [join(root, 'tools', 'image', 'build.sh'), '--snapshot', dir]);
  if (result.code !== 0) throw new ImageToolError('tools/image/build.sh --snapshot', result.code, result.stderr);
  return dir;
}

/** The snapshot's build.sh --out `out`, with build.sh's flags such as --rebuild (ignore the cache). */
export async function buildImage(snapshot: string, out: string, ...flags: string[]): Promise<BuiltImage> {
  const args = [join(snapshot, 'tools', 'image', 'build.sh'), '--out', out, ...flags];
  const pinned = (await readFile(join(snapshot, 'build.env'), 'utf8')).trim().split('\n').map((l) => l.split(/=(.*)/s));
  const result = await run('bash', args, { env: { ...process.env, ...Object.fromEntries(pinned) } });
  if (result.code !== 0) throw new ImageToolError('tools/image/build.sh', result.code, result.stderr);
  const digest = result.stdout.trim().split('\n').at(-1)!;
  return { digest, log: result.stderr, layout: join(out, 'oci'), tool: join(out, 'imagetool') };
}

export async function imagetool(image: Omit<BuiltImage, 'log' | 'digest'>, args: readonly string[]): Promise<string> {
  const result = await run(image.tool, [...args, '--oci-layout', image.layout]);
  if (result.code !== 0) throw new ImageToolError(`imagetool ${args[0]}`, result.code, result.stderr);
  return result.stdout;
}

export interface ImageConfig {
  readonly config: {
    readonly User: string;
    readonly Entrypoint: readonly string[];
    readonly Cmd?: readonly string[];
    readonly Env: readonly string[];
    readonly WorkingDir: string;
    readonly Labels: Record<string, string>;
  };
}

export async function imageConfig(image: BuiltImage): Promise<ImageConfig> {
  return JSON.parse(await imagetool(image, ['config'])) as ImageConfig;
}

export interface ImageEntry {
  /** d, f or l */
  readonly type: string;
  readonly mode: string;
  readonly owner: string;
  readonly path: string;
}

/** Every entry of the image's file system, as a runtime would lay it out. */
export async function imageFiles(image: BuiltImage): Promise<ImageEntry[]> {
  const lines = (await imagetool(image, ['list'])).trim().split('\n');
  return lines.map((line) => {
    const [type, mode, owner, path] = line.split(' ') as [string, string, string, string];
    return { type, mode, owner, path };
  });
}

/** Unpacks the root file system into `dir` (which must not exist). */
export async function unpackImage(image: BuiltImage, dir: string): Promise<void> {
  await imagetool(image, ['unpack', '--out', dir]);
}

export interface Volume {
  readonly hostPath: string;
  readonly containerPath: string;
}

export interface ContainerOptions {
  readonly rootfs: string;
  readonly image: ImageConfig;
  /** Appended to the image's environment (a later entry wins, as in a pod spec). */
  readonly env: Record<string, string>;
  /** Replace the image's Cmd, as a pod's `args` do. */
  readonly args: readonly string[];
  /** Mounted read-only. */
  readonly volumes: readonly Volume[];
}

export interface Container {
  /** The entrypoint's pid, as this (the host's) PID namespace sees it. */
  readonly pid: number;
  lines(): readonly string[];
  /** Resolves with the first line, so far or to come, that matches; rejects on timeout or exit. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGTERM to the container (PID 1 inside), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Runs in the new namespaces as root, makes the mounts, then execs the entrypoint as the image's user. */
const containerScript = `
set -eu
rootfs=$1 user=$2 chroot=$3; shift 3
mount --bind "$rootfs" "$rootfs"
mount -t proc proc "$rootfs/proc"
mount -t tmpfs -o mode=1777,size=64m tmpfs "$rootfs/tmp"
mount -t tmpfs -o mode=755,size=1m tmpfs "$rootfs/dev"
for device in null zero random urandom; do
  : >"$rootfs/dev/$device"
  mount --bind "/dev/$device" "$rootfs/dev/$device"
done
while [ "$1" != -- ]; do
  mount --bind "$1" "$rootfs$2"
  mount -o remount,bind,ro "$rootfs$2"
  shift 2
done
shift
mount -o remount,bind,ro "$rootfs"
PATH=$CONTAINER_PATH
unset CONTAINER_PATH
exec "$chroot" --userspec="$user" --groups="\${user#*:}" "$rootfs" "$@"
`;

/** Folders the kubelet's runtime would create as mount points, before the root turns read-only. */
async function prepareMountPoints(rootfs: string, volumes: readonly Volume[]): Promise<void> {
  for (const dir of ['proc', 'dev', ...volumes.map((v) => v.containerPath)]) {
    await mkdir(join(rootfs, dir), { recursive: true });
  }
  // The image's user must be able to enter the volumes: mkdtemp makes folders 0700.
  for (const volume of volumes) await chmod(volume.hostPath, 0o755);
}

function hostProgram(name: string): string {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  const found = dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
  if (!found) throw new Error(`${name} is not on PATH; the image test needs util-linux and coreutils`);
  return found;
}

/** Entrypoint pids still running. PID 1 of a namespace takes the others with it when killed. */
const running = new Set<number>();
afterAll(() => {
  for (const pid of running) process.kill(pid, 'SIGKILL');
});

export async function runContainer(opts: ContainerOptions): Promise<Container> {
  await prepareMountPoints(opts.rootfs, opts.volumes);
  const { config } = opts.image;
  const env = Object.fromEntries(config.Env.map((pair) => pair.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const mounts = opts.volumes.flatMap((v) => [v.hostPath, v.containerPath]);
  const child = spawn(hostProgram('unshare'), [
    '--mount', '--pid', '--fork', '/bin/sh', '-c', containerScript, 'container',
    opts.rootfs, config.User, hostProgram('chroot'), ...mounts, '--', ...config.Entrypoint, ...opts.args,
  ], {
    env: { ...env, ...opts.env, CONTAINER_PATH: env['PATH'] ?? '', PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If this test worker dies without running any code, the watchdog ends the container. (The
  // kernel clears unshare's --kill-child when the entrypoint changes user, so it cannot do it.)
  const watchdog = spawnWatchdog(
    'read -r _; grep -qaF -- "$2" "/proc/$1/cmdline" 2>/dev/null || exit 0; ' +
      'kill -KILL $(cat "/proc/$1/task/$1/children") "$1" 2>/dev/null; exit 0',
    ['image-watchdog', String(child.pid ?? 0), opts.rootfs],
  );
  let pid = 0;
  const exited = new Promise<void>((done) => child.on('close', () => {
    running.delete(pid);
    watchdog.kill('SIGKILL');
    done();
  }));
  const output = collectLines(child);
  pid = await entrypointPid(child.pid!, config.Entrypoint[0]!, exited, output);
  running.add(pid);
  return {
    pid,
    lines: () => output,
    waitForLine: (match, timeoutMs) => waitForLine(output, match, timeoutMs, exited),
    async stop(graceMs = 20_000) {
      if (running.has(pid)) process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => running.has(pid) && process.kill(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop()!;
      lines.push(...parts);
    });
  }
  return lines;
}

/** The shell unshare forks becomes the entrypoint (exec), keeping its pid: wait for that exec. */
async function entrypointPid(unsharePid: number, program: string, exited: Promise<void>, output: string[]): Promise<number> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let attempt = 0; attempt < 200 && !gone; attempt++) {
    const children = await readFile(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').catch(() => '');
    const pid = Number(children.trim().split(' ')[0]);
    const cmdline = pid ? await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '') : '';
    if (cmdline.startsWith(`${program}\0`)) return pid;
    await sleep(50);
  }
  throw new Error(`the container's entrypoint ${program} did not start:\n${output.slice(-30).join('\n')}`);
}

async function waitForLine(
  lines: readonly string[], match: (line: string) => boolean, timeoutMs: number, exited: Promise<void>,
): Promise<string> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = lines.find(match);
    if (found !== undefined) return found;
    if (gone || Date.now() > deadline) {
      const why = gone ? 'the container exited' : `no matching line within ${timeoutMs} ms`;
      throw new Error(`${why}; its last output:\n${lines.slice(-30).join('\n')}`);
    }
    await sleep(100);
  }
}
