// Issue 13: the container image, built here without a Docker engine, run in-cluster against the
// test API server. Its root file system runs in a chroot with new mount and PID namespaces, as the
// image's user, read-only, with a token of the chart's ServiceAccount where a kubelet mounts it;
// the examples become Ready against the simulator. Also: two builds give one digest, and the image
// holds no shell, no package manager and no compiler.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningSimulator, type Scenario, startSimulator } from '../simulator/index.ts';
import { deliberateReason } from './demo/exceptions.ts';
import { seedRefreshTokens } from './demo/tokens.ts';
import { kubectlOrThrow, run, runKubectl } from './harness/exec.ts';
import { useTestNamespace } from './harness/namespace.ts';
import {
  buildImage, type BuiltImage, type Container, imageConfig, type ImageConfig, imageFiles, runContainer, snapshotInputs,
  unpackImage,
} from './image-harness.ts';

const root = join(import.meta.dirname, '..');
const ns = useTestNamespace('image');
// Holding the chart's name, the release names its objects itself (the chart's fullname helper).
const release = `imanage-operator-img-${randomBytes(3).toString('hex')}`;
const runId = randomBytes(3).toString('hex');
const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';
const admin = (args: readonly string[], input?: string) =>
  kubectlOrThrow(inject('binDir'), inject('kubeconfigPath'), args, input === undefined ? {} : { input });

let work: string;
let image: BuiltImage;
let config: ImageConfig;
let simulator: RunningSimulator | undefined;
let container: Container | undefined;
const exampleNamespaces: string[] = [];

const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
const lockPath = () => join(work, 'inputs', 'tools', 'image', 'debian.lock');
/** A version of base-files the archive never served, as a lock a few weeks old names one it dropped. */
const droppedVersion = '12.4+deb12u0';

/** The lock's base-files line for this architecture: [name, arch, version, sha256]. */
async function lockedBaseFiles(): Promise<string[]> {
  const lines = (await readFile(lockPath(), 'utf8')).split('\n').map((l) => l.trim().split(/\s+/));
  return lines.find((f) => f[0] === 'base-files' && f[1] === arch)!;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'imanage-image-'));
  await snapshotInputs(join(work, 'inputs'));
  // Issue 17: the build must not fail when the archive has moved past a locked version.
  const lock = await readFile(lockPath(), 'utf8');
  const stale = lock.replace(new RegExp(`^(base-files\\s+${arch}\\s+)\\S+\\s+\\S+`, 'm'), `$1${droppedVersion} ${'0'.repeat(64)}`);
  expect(stale).not.toBe(lock);
  await writeFile(lockPath(), stale);
  image = await buildImage(join(work, 'inputs'), join(work, 'build'));
  config = await imageConfig(image);
}, 600_000);

afterAll(async () => {
  await container?.stop();
  await simulator?.stop();
  for (const name of exampleNamespaces) await admin(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
  const clusterScoped = 'clusterrole,clusterrolebinding,validatingadmissionpolicy,validatingadmissionpolicybinding';
  await admin(['delete', clusterScoped, '-l', `app.kubernetes.io/instance=${release}`, '--ignore-not-found']);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the image', () => {
  it('builds twice from one lock to one digest', async () => {
    const again = await buildImage(join(work, 'inputs'), join(work, 'again'), '--rebuild');
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(again.digest).toBe(image.digest);
  }, 600_000);

  it('takes the version the archive serves for a locked one it dropped, says so in one line, and shows it', async () => {
    const said = image.log.split('\n').filter((l) => l.includes(`base-files ${droppedVersion}`));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/no longer in the archive; using base-files \S+ \((amd64|arm64)\); npm run image -- --update-lock/);
    const served = /using base-files (\S+)/.exec(said[0]!)![1]!;
    expect(served).not.toBe(droppedVersion);
    expect(config.config.Labels['dev.imanage-operator.debian-packages']).toContain(`base-files=${served}`);
    const sbom = JSON.parse(await readFile(join(await unpacked(), 'usr/share/doc/imanage-operator/sbom.spdx.json'), 'utf8')) as {
      packages: { name: string; versionInfo: string; checksums?: { algorithm: string; checksumValue: string }[] }[];
    };
    const baseFiles = sbom.packages.find((p) => p.name === 'base-files');
    expect(baseFiles?.versionInfo).toBe(served);
    expect(baseFiles?.checksums?.[0]?.checksumValue).toMatch(/^[0-9a-f]{64}$/);
    expect(sbom.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['libc6', 'ca-certificates', 'pino', `node-linux-${arch === 'amd64' ? 'x64' : 'arm64'}`]));

    // --update-lock writes what was resolved: the served version and the index's SHA256.
    const updated = await buildImage(join(work, 'inputs'), join(work, 'updated'), '--update-lock');
    expect(updated.digest).toBe(image.digest);
    const [, , version, sha] = await lockedBaseFiles();
    expect(version).toBe(served);
    expect(sha).toBe(baseFiles?.checksums?.[0]?.checksumValue);
    const after = await buildImage(join(work, 'inputs'), join(work, 'after'));
    expect(after.log).not.toMatch(/no longer in the archive|using base-files/);
    expect(after.digest).toBe(image.digest);
  }, 600_000);

  it('holds no shell, no package manager and no compiler, and only production dependencies', async () => {
    const entries = await imageFiles(image);
    const paths = entries.map((e) => e.path);
    // Folders aside: /var/lib/dpkg/status.d names the packages for scanners, as in distroless.
    const names = new Set(entries.filter((e) => e.type !== 'd').map((e) => basename(e.path)));
    for (const program of ['sh', 'bash', 'dash', 'ash', 'zsh', 'busybox', 'apt', 'apt-get', 'dpkg', 'dpkg-deb',
      'npm', 'npx', 'corepack', 'yarn', 'pnpm', 'gcc', 'cc', 'g++', 'tsc']) {
      expect(names.has(program), program).toBe(false);
    }
    expect(paths.filter((p) => /^\/(etc\/apt|usr\/lib\/apt|usr\/lib\/dpkg)\b/.test(p))).toEqual([]);
    expect(paths).toContain('/nodejs/bin/node');
    expect(paths).toContain('/app/operator/cli/main.js');
    expect(paths).toContain('/app/node_modules/pino/package.json');
    expect(paths.filter((p) => p.endsWith('.ts'))).toEqual([]);
    for (const devOnly of ['typescript', 'vitest', 'node', 'cdk8s', '@types']) {
      expect(paths).not.toContain(`/app/node_modules/${devOnly}`);
    }
    expect(paths).toContain('/etc/ssl/certs/ca-certificates.crt');
  });

  it('runs as 65532 with the operator\'s Node options and carries the OCI labels', async () => {
    const { User, Entrypoint, Env, Labels } = config.config;
    expect(User).toBe('65532:65532');
    // The chart's default nodeProfile, throughput (docs/install.md, Memory); its memory profile
    // adds --optimize-for-size --no-opt on the command line, where NODE_OPTIONS does not take them.
    expect(Entrypoint).toEqual(['/nodejs/bin/node', '/app/operator/cli/main.js']);
    expect(Env).toContain('NODE_OPTIONS=--max-semi-space-size=4 --max-old-space-size=96');
    expect(Env).toContain('MALLOC_ARENA_MAX=2');
    expect(Env).toContain('MALLOC_TRIM_THRESHOLD_=131072');
    expect(Env).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(Labels['org.opencontainers.image.version']).toBe(version);
    expect(Labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
    expect(Labels['org.opencontainers.image.source']).toBeTruthy();
    const passwd = await readFile(join(await unpacked(), 'etc', 'passwd'), 'utf8');
    expect(passwd).toMatch(/^nonroot:x:65532:65532:/m);
  });
});

let rootfs: string | undefined;
async function unpacked(): Promise<string> {
  if (rootfs === undefined) {
    const dir = join(work, 'rootfs');
    await unpackImage(image, dir);
    rootfs = dir;
  }
  return rootfs;
}

/** The chart's ServiceAccount and RBAC, rendered by helm for this release, in the test namespace. */
async function installChartRbac(): Promise<void> {
  const chart = join(root, 'charts', 'imanage-operator');
  const helm = join(inject('binDir'), 'helm');
  const { stdout } = await promisify(execFile)(helm, ['template', release, chart, '--namespace', ns.name,
    '--show-only', 'templates/rbac.yaml']);
  await ns.apply(stdout);
}

/** What a kubelet projects into a pod: a bound token (TokenRequest API), the cluster CA, the namespace. */
async function serviceAccountVolume(): Promise<string> {
  const dir = join(work, 'serviceaccount');
  await mkdir(dir);
  const token = (await ns.kubectl(['create', 'token', release, '--duration', '1h'])).stdout.trim();
  const kubeconfig = load(await readFile(inject('kubeconfigPath'), 'utf8')) as {
    clusters: { cluster: { 'certificate-authority': string } }[];
  };
  await writeFile(join(dir, 'token'), token, { mode: 0o644 });
  await writeFile(join(dir, 'ca.crt'), await readFile(kubeconfig.clusters[0]!.cluster['certificate-authority']));
  await writeFile(join(dir, 'namespace'), ns.name);
  return dir;
}

const scenario = load(await readFile(join(root, 'simulator', 'scenarios', 'examples.yaml'), 'utf8')) as Scenario;
/** Clio Operate's global application, the operator's --default-client-secret, as in the demo. */
const DEFAULT_APP = { clientId: 'clio-operate-global', clientSecret: 'clio-operate-global-secret' };

async function startImanage(): Promise<{ caDir: string; resolve: string }> {
  simulator = await startSimulator(scenario, { httpPort: false, adminPort: 0 });
  const caDir = join(work, 'imanage-ca');
  await mkdir(caDir);
  await writeFile(join(caDir, 'ca.pem'), simulator.caPem, { mode: 0o644 });
  const hosts = simulator.admin.summary().hosts.map((h) => h.name);
  return { caDir, resolve: hosts.map((h) => `${h}:443:127.0.0.1:${simulator!.httpsPort}`).join(',') };
}

async function exampleFolders(): Promise<string[]> {
  const entries = await readdir(join(root, 'examples'), { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && e.name !== 'invalid').map((e) => e.name).sort();
}

/**
 * Each example in a namespace of its own, prepared as the demo prepares it: the fall-back accounts
 * linked (a refresh token from the simulator in place of each FAKE placeholder) before the
 * operator starts, so that it never sees a placeholder.
 */
async function applyExamples(folders: readonly string[]): Promise<void> {
  const kube = { kubectl: (args: readonly string[]) => runKubectl(inject('binDir'), inject('kubeconfigPath'), args) };
  for (const folder of folders) {
    const namespace = `${runId}-${folder}`;
    await admin(['apply', '-n', namespace, '-f', join(root, 'examples', folder)]);
    await seedRefreshTokens(kube, simulator!, scenario, join(root, 'examples', folder), namespace, DEFAULT_APP);
  }
}

interface Row {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  /** A repository's connection. */
  readonly connection?: string;
  readonly ready: string;
  readonly reason: string;
  readonly settled: boolean;
}

async function exampleRows(): Promise<Row[]> {
  const list = JSON.parse((await admin(['get', 'imanageconnections,workspacerepositories', '-A', '-o', 'json'])).stdout);
  type Item = {
    kind: string;
    metadata: { namespace: string; name: string; generation: number };
    spec: { connectionRef?: { name: string } };
    status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason: string }[] };
  };
  return (list.items as Item[]).filter((o) => exampleNamespaces.includes(o.metadata.namespace)).map((o) => {
    const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
    return {
      namespace: o.metadata.namespace.slice(runId.length + 1), kind: o.kind, name: o.metadata.name,
      ...(o.spec.connectionRef ? { connection: o.spec.connectionRef.name } : {}),
      ready: ready?.status ?? '', reason: ready?.reason ?? '',
      settled: o.status?.observedGeneration === o.metadata.generation && ready !== undefined && ready.status !== 'Unknown',
    };
  });
}

/** The Ready reason an example fails with on purpose (the demo's list), or undefined: it must be Ready. */
const deliberate = (row: Row) => deliberateReason({ ...row, example: row.namespace });

async function waitForExamples(timeoutMs: number): Promise<Row[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await exampleRows();
    const done = rows.length > 0 && rows.every((r) => r.settled && (r.ready === 'True' || deliberate(r)));
    if (done || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function rssMiB(status: string): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

async function startOperatorImage(folders: readonly string[]): Promise<Container> {
  await installChartRbac();
  const [tokenDir, imanage, fs] = await Promise.all([serviceAccountVolume(), startImanage(), unpacked()]);
  await admin(['create', 'secret', 'generic', 'clio-operate-global-application', '-n', ns.name,
    `--from-literal=clientId=${DEFAULT_APP.clientId}`, `--from-literal=clientSecret=${DEFAULT_APP.clientSecret}`]);
  for (const folder of folders) {
    await admin(['create', 'namespace', `${runId}-${folder}`]);
    exampleNamespaces.push(`${runId}-${folder}`);
  }
  await applyExamples(folders);
  const server = new URL(inject('server'));
  return runContainer({
    rootfs: fs, image: config,
    env: {
      KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port, POD_NAME: `${release}-0`,
      NODE_EXTRA_CA_CERTS: '/etc/imanage-ca/ca.pem', // the simulator's CA, as a ConfigMap would carry it
    },
    // Only this test's namespaces: other test files share the API server. Demo flags as in test/demo/main.ts.
    args: ['run', '--health-address', '127.0.0.1:0', '--leader-election-id', release, '--resync-period', '10s',
      '--namespaces', exampleNamespaces.join(','), '--resolve', imanage.resolve, '--allow-loopback-probes', 'true',
      '--default-client-secret', `${ns.name}/clio-operate-global-application`],
    volumes: [
      { hostPath: tokenDir, containerPath: serviceAccountDir },
      { hostPath: imanage.caDir, containerPath: '/etc/imanage-ca' },
    ],
  });
}

/** As root, in the container's mount namespace and root: root may not write either, so it is the mount. */
async function writeAsRoot(pid: number, path: string): Promise<string> {
  const script = `try { require('fs').writeFileSync(${JSON.stringify(path)}, 'x'); console.log('written') } ` +
    'catch (e) { console.log(e.code) }';
  const result = await run('nsenter', ['--target', String(pid), '--mount', '--root', '--', '/nodejs/bin/node', '-e', script]);
  return result.stdout.trim() || result.stderr.trim();
}

describe('the image in-cluster, against the test API server', () => {
  it('reconciles every example to Ready as 65532, read-only, with the chart\'s ServiceAccount', async () => {
    const folders = await exampleFolders();
    container = await startOperatorImage(folders);
    const starting = JSON.parse(await container.waitForLine((l) => l.includes('"operator starting"'), 30_000));
    expect(starting.source).toBe('in-cluster');
    const rows = await waitForExamples(120_000);

    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) {
      const reason = deliberate(row);
      const expected = reason ? { ready: 'False', reason } : { ready: 'True' };
      expect(row, `${row.namespace}/${row.name}`).toMatchObject({ ...expected, settled: true });
    }
    const failing = rows.filter(deliberate).map((r) => r.reason).sort();
    expect(failing).toEqual(['ConnectionRegistrationOverdue', 'NotLinked', 'RegistrationOverdue']);

    const status = await readFile(`/proc/${container.pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    expect(status).toMatch(/^Gid:\s+65532\s+65532\s+65532\s+65532$/m);
    console.log(`operator from the image: RSS ${rssMiB(status).toFixed(0)} MiB with ${rows.length} example objects`);

    const rootMount = (await readFile(`/proc/${container.pid}/mountinfo`, 'utf8')).split('\n')
      .map((line) => line.split(' ')).find((fields) => fields[4] === '/');
    expect(rootMount?.[5]?.split(',')).toContain('ro');
    expect(await writeAsRoot(container.pid, '/written-by-the-test')).toBe('EROFS');
    expect(await writeAsRoot(container.pid, '/tmp/written-by-the-test')).toBe('written');

    // The token is the only credential in the container, and it can do what the chart grants only.
    const whoami = await ns.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}',
      `--token=${(await readFile(join(work, 'serviceaccount', 'token'), 'utf8'))}`]);
    expect(whoami.stdout).toBe(`system:serviceaccount:${ns.name}:${release}`);
    const as = `--as=system:serviceaccount:${ns.name}:${release}`;
    const canI = async (...args: string[]) => (await ns.kubectl(['auth', 'can-i', as, ...args])).stdout.trim();
    expect(await canI('patch', 'imanageconnections.imanage.operator.dev', '--subresource=status', '-A')).toBe('yes');
    expect(await canI('list', 'secrets', '-A')).toBe('no');
    expect(await canI('update', 'imanageconnections.imanage.operator.dev', '-A')).toBe('no');
    expect(container.lines().filter((l) => /forbidden/i.test(l))).toEqual([]);
  }, 300_000);
});
