// A real Kubernetes control plane (etcd + kube-apiserver) on loopback, for integration tests and
// for by-hand use. The flags follow controller-runtime's envtest, with token authentication so
// that tests can act as limited identities under RBAC.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { dump as toYaml } from 'js-yaml';
import { runKubectl, type KubectlOptions, type KubectlResult } from './exec.ts';
import { Instance, killLeftovers, ManagedProcess, tailOf } from './processes.ts';

export type ControlPlaneProcess = 'etcd' | 'kube-apiserver';

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Admin kubeconfig: user `admin` in group `system:masters`, token auth, the server's CA. */
  readonly kubeconfigPath: string;
  /** Folder holding kube-apiserver, kubectl, etcd and helm. */
  readonly binDir: string;
  /** Holds etcd data, certificates, kubeconfigs, pid files and the logs of both processes. */
  readonly workDir: string;
  /** kubectl as admin (opts.env may override KUBECONFIG); resolves whatever the exit code. */
  kubectl(args: readonly string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Kubeconfig of one of the extra identities (or `admin`); throws UnknownIdentityError. */
  kubeconfigFor(user: string): string;
  /** Idempotent: ends both processes (SIGTERM, SIGKILL after 5 s) and removes workDir. */
  stop(): Promise<void>;
  /**
   * Ends one process as a crash would (SIGKILL; SIGTERM for a clean stop). Its data folder and
   * port stay, for `restartProcess`. Use on a private control plane: other test files share the
   * global one.
   */
  killProcess(name: ControlPlaneProcess, signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /**
   * Starts an ended process again with the same flags (data folder, port, certificates), and
   * resolves once the control plane serves again: etcd healthy and kube-apiserver's /readyz 200.
   */
  restartProcess(name: ControlPlaneProcess): Promise<void>;
  /** SIGSTOP (hung) and SIGCONT (resumed). */
  pauseProcess(name: ControlPlaneProcess): Promise<void>;
  resumeProcess(name: ControlPlaneProcess): Promise<void>;
}

export interface Identity {
  readonly user: string;
  /** Groups without bindings give nothing: RBAC starts from no permissions. */
  readonly groups?: readonly string[];
}

export interface StartOptions {
  /** Default: a fresh folder under the OS temp folder. A given folder is emptied first. */
  readonly workDir?: string;
  /** Extra token-authenticated users, each with a kubeconfig of its own. */
  readonly identities?: readonly Identity[];
  /** Receives every log line of both processes, prefixed with `[etcd]` or `[kube-apiserver]`. */
  readonly log?: (line: string) => void;
}

export class ControlPlaneBuildError extends Error {
  constructor(code: number, stderr: string) {
    super(`tools/controlplane.sh exited with ${code}${stderr ? `:\n${stderr}` : ''}`);
    this.name = 'ControlPlaneBuildError';
  }
}

export class ControlPlaneStartError extends Error {
  readonly logTail: string;

  constructor(message: string, logTail: string) {
    super(logTail ? `${message}\n--- log tail ---\n${logTail}` : message);
    this.name = 'ControlPlaneStartError';
    this.logTail = logTail;
  }
}

/** A port picked as free was taken before the process bound it; the whole start is retried. */
export class PortClashError extends ControlPlaneStartError {
  constructor(logTail: string) {
    super('a control-plane port was taken by another process', logTail);
    this.name = 'PortClashError';
  }
}

export class UnknownIdentityError extends Error {
  constructor(user: string) {
    super(`no kubeconfig for identity "${user}"; pass it in startControlPlane({ identities })`);
    this.name = 'UnknownIdentityError';
  }
}

export class InvalidIdentityError extends Error {
  constructor(value: string) {
    super(`identity names and groups must not contain commas, quotes or line breaks: ${JSON.stringify(value)}`);
    this.name = 'InvalidIdentityError';
  }
}

const scriptPath = fileURLToPath(new URL('../../tools/controlplane.sh', import.meta.url));
const startAttempts = 3;
const readyTimeoutMs = 60_000;
const etcdTimeoutMs = 30_000;
const pollMs = 100;

/** Builds (or finds cached) kube-apiserver, kubectl, etcd and helm; returns their folder. */
export async function controlPlaneBinaries(): Promise<string> {
  const child = spawn('bash', [scriptPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  // The cold build takes minutes; its progress lines are worth seeing as they come.
  child.stderr.on('data', (chunk: Buffer) => {
    err.push(chunk);
    process.stderr.write(chunk);
  });
  const code = await new Promise<number>((done, fail) => {
    child.on('error', fail);
    child.on('close', (exitCode) => done(exitCode ?? 1));
  });
  if (code !== 0) throw new ControlPlaneBuildError(code, Buffer.concat(err).toString('utf8').trim());
  const lines = Buffer.concat(out).toString('utf8').trim().split('\n');
  return lines[lines.length - 1]!.trim();
}

export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  for (const identity of opts.identities ?? []) {
    for (const value of [identity.user, ...(identity.groups ?? [])]) {
      if (/[,"\r\n]/.test(value)) throw new InvalidIdentityError(value);
    }
  }
  const binDir = await controlPlaneBinaries();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binDir, opts);
    } catch (error) {
      if (!(error instanceof PortClashError) || attempt >= startAttempts) throw error;
      opts.log?.(`[controlplane] port clash, retrying (attempt ${attempt + 1} of ${startAttempts})`);
    }
  }
}


async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((done, fail) => {
            server.once('error', fail);
            server.listen(0, '127.0.0.1', () => {
              const address = server.address();
              if (address === null || typeof address === 'string') fail(new Error('no port assigned'));
              else done(address.port);
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  }
}

interface HttpResult {
  readonly status: number;
  readonly body: string;
}

function get(url: string, opts: { ca?: string; token?: string } = {}): Promise<HttpResult> {
  return new Promise((done, fail) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'GET',
        ca: opts.ca,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        timeout: 2_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

interface Deadline {
  readonly at: number;
  readonly seconds: number;
}

function deadlineIn(ms: number): Deadline {
  return { at: Date.now() + ms, seconds: ms / 1000 };
}

/**
 * Polls until check() returns a value, failing early when one of the processes exits and with the
 * log tail of `logOf` on timeout.
 */
async function waitFor<T>(
  what: string,
  deadline: Deadline,
  processes: readonly ManagedProcess[],
  logOf: ManagedProcess,
  check: () => Promise<T | undefined>,
): Promise<T> {
  let lastProblem = '';
  for (;;) {
    for (const proc of processes) {
      if (!proc.running) throw startFailure(`${proc.name} exited while waiting for ${what}`, proc, processes);
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline.at) {
      const detail = lastProblem ? ` (last problem: ${lastProblem})` : '';
      throw startFailure(`timed out after ${deadline.seconds} s waiting for ${what}${detail}`, logOf, processes);
    }
    await sleep(pollMs);
  }
}

function startFailure(message: string, logOf: ManagedProcess, processes: readonly ManagedProcess[]): Error {
  // The children's logs are the only witness of a lost race for a port; nothing else reports it.
  const clash = processes.find((proc) => /address already in use/.test(tailOf(proc.logPath, 200)));
  if (clash) return new PortClashError(clash.logTail());
  return new ControlPlaneStartError(message, logOf.logTail());
}

/** The serving certificate the API server made for itself is followed by the CA that signed it. */
function caOf(servingCertPem: string): string | undefined {
  const blocks = servingCertPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return undefined;
  const certs = blocks.map((pem) => new X509Certificate(pem));
  const ca = blocks.filter((_, i) => certs[i]!.ca);
  return `${(ca.length > 0 ? ca : blocks).join('\n')}\n`;
}

function kubeconfig(server: string, caPath: string, user: string, token: string): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'controlplane', cluster: { server, 'certificate-authority': caPath } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'controlplane', user } }],
    'current-context': user,
  });
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

async function prepareWorkDir(requested: string | undefined): Promise<string> {
  if (requested === undefined) return mkdtemp(join(tmpdir(), 'imanage-cp-'));
  const workDir = resolve(requested);
  await killLeftovers(workDir);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  return workDir;
}

async function startOnce(binDir: string, opts: StartOptions): Promise<ControlPlane> {
  const workDir = await prepareWorkDir(opts.workDir);
  const instance = new Instance(workDir);
  try {
    return await launch(instance, binDir, opts);
  } catch (error) {
    await instance.stop();
    throw error;
  }
}

interface Credentials {
  readonly adminToken: string;
  readonly tokensPath: string;
  readonly saKeyPath: string;
  readonly saPubPath: string;
  readonly identities: readonly (Identity & { readonly token: string; readonly kubeconfigPath: string })[];
}

async function writeCredentials(workDir: string, identities: readonly Identity[]): Promise<Credentials> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKeyPath = join(workDir, 'sa.key');
  const saPubPath = join(workDir, 'sa.pub');
  await writeFile(saKeyPath, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  await writeFile(saPubPath, publicKey.export({ type: 'spki', format: 'pem' }));

  const adminToken = token();
  const withTokens = identities.map((identity, index) => ({
    ...identity,
    token: token(),
    kubeconfigPath: join(workDir, `kubeconfig-${index}-${identity.user.replace(/[^A-Za-z0-9._-]/g, '_')}`),
  }));
  // Static token file lines: token,user,uid,"group1,group2"
  const tokensPath = join(workDir, 'tokens.csv');
  const lines = [
    `${adminToken},admin,admin,"system:masters"`,
    ...withTokens.map(({ token: t, user, groups }) => `${t},${user},${user},"${(groups ?? []).join(',')}"`),
  ];
  await writeFile(tokensPath, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { adminToken, tokensPath, saKeyPath, saPubPath, identities: withTokens };
}

async function startProcess(
  instance: Instance,
  name: string,
  binDir: string,
  args: readonly string[],
  log: StartOptions['log'],
): Promise<ManagedProcess> {
  const proc = new ManagedProcess(name, join(binDir, name), args, join(instance.workDir, `${name}.log`), log);
  instance.processes.push(proc);
  await writeFile(join(instance.workDir, `${name}.pid`), `${proc.pid ?? ''}\n`);
  return proc;
}

function etcdArgs(workDir: string, clientUrl: string, peerUrl: string): string[] {
  return [
    '--name=controlplane',
    `--data-dir=${join(workDir, 'etcd')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=controlplane=${peerUrl}`,
    // Test data is thrown away: durability buys nothing and fsync costs time on every write.
    '--unsafe-no-fsync',
  ];
}

async function startEtcd(
  instance: Instance,
  binDir: string,
  clientUrl: string,
  peerUrl: string,
  log: StartOptions['log'],
): Promise<ManagedProcess> {
  const etcd = await startProcess(instance, 'etcd', binDir, etcdArgs(instance.workDir, clientUrl, peerUrl), log);
  await awaitEtcd(etcd, clientUrl);
  return etcd;
}

async function awaitEtcd(etcd: ManagedProcess, clientUrl: string): Promise<void> {
  await waitFor('etcd health', deadlineIn(etcdTimeoutMs), [etcd], etcd, async () => {
    const res = await get(`${clientUrl}/health`);
    return res.status === 200 ? true : undefined;
  });
}

function apiServerArgs(etcdUrl: string, port: number, certDir: string, credentials: Credentials): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The default reconciler would publish 127.0.0.1 as the endpoint of the kubernetes service,
    // which the API server refuses.
    '--endpoint-reconciler-type=none',
    // No serving certificate given: the API server makes one, and the CA that signed it, here.
    `--cert-dir=${certDir}`,
    '--authorization-mode=RBAC',
    `--token-auth-file=${credentials.tokensPath}`,
    `--service-account-key-file=${credentials.saPubPath}`,
    `--service-account-signing-key-file=${credentials.saKeyPath}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    // As envtest: no controller-manager creates the default ServiceAccount, so admission would
    // reject every pod.
    '--disable-admission-plugins=ServiceAccount',
  ];
}

/** Waits for the serving certificate (returns its CA), then /readyz, then the default namespace. */
async function awaitApiServer(
  server: string,
  certDir: string,
  adminToken: string,
  processes: readonly ManagedProcess[],
  apiserver: ManagedProcess,
): Promise<string> {
  const ready = deadlineIn(readyTimeoutMs);
  const ca = await waitFor('the serving certificate', ready, processes, apiserver, async () =>
    caOf(await readFile(join(certDir, 'apiserver.crt'), 'utf8')),
  );
  const authorized = { ca, token: adminToken };
  await waitFor('/readyz', ready, processes, apiserver, async () => {
    const res = await get(`${server}/readyz`, authorized);
    if (res.status === 200) return true;
    throw new Error(`/readyz answered ${res.status}: ${res.body.trim().split('\n').slice(-5).join(' | ')}`);
  });
  await waitFor('the default namespace', ready, processes, apiserver, async () => {
    const res = await get(`${server}/api/v1/namespaces/default`, authorized);
    return res.status === 200 ? true : undefined;
  });
  return ca;
}

async function launch(instance: Instance, binDir: string, opts: StartOptions): Promise<ControlPlane> {
  const { workDir } = instance;
  const [etcdPort, peerPort, apiPort] = (await freePorts(3)) as [number, number, number];
  const certDir = join(workDir, 'certs');
  await mkdir(certDir, { recursive: true });
  const credentials = await writeCredentials(workDir, opts.identities ?? []);

  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = await startEtcd(instance, binDir, etcdUrl, `http://127.0.0.1:${peerPort}`, opts.log);
  const server = `https://127.0.0.1:${apiPort}`;
  const apiserver = await startProcess(
    instance,
    'kube-apiserver',
    binDir,
    apiServerArgs(etcdUrl, apiPort, certDir, credentials),
    opts.log,
  );
  const ca = await awaitApiServer(server, certDir, credentials.adminToken, [etcd, apiserver], apiserver);

  const caPath = join(workDir, 'ca.crt');
  await writeFile(caPath, ca);
  const kubeconfigPath = join(workDir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig(server, caPath, 'admin', credentials.adminToken), { mode: 0o600 });
  for (const { kubeconfigPath: path, user, token: t } of credentials.identities) {
    await writeFile(path, kubeconfig(server, caPath, user, t), { mode: 0o600 });
  }

  const kubeconfigs = new Map(credentials.identities.map(({ user, kubeconfigPath: path }) => [user, path]));
  const control = processControl(instance, binDir, opts.log, {
    etcd: { args: etcdArgs(workDir, etcdUrl, `http://127.0.0.1:${peerPort}`), ready: (proc) => awaitEtcd(proc, etcdUrl) },
    'kube-apiserver': {
      args: apiServerArgs(etcdUrl, apiPort, certDir, credentials),
      ready: async (proc) => void (await awaitApiServer(server, certDir, credentials.adminToken, [proc], proc)),
    },
  });
  return {
    ...control,
    server,
    kubeconfigPath,
    binDir,
    workDir,
    kubectl: (args, kubectlOpts) => runKubectl(binDir, kubeconfigPath, args, kubectlOpts),
    kubeconfigFor(user) {
      const path = kubeconfigs.get(user) ?? (user === 'admin' ? kubeconfigPath : undefined);
      if (path === undefined) throw new UnknownIdentityError(user);
      return path;
    },
    stop: () => instance.stop(),
  };
}

interface Restartable {
  readonly args: readonly string[];
  /** Resolves once the process serves. */
  readonly ready: (proc: ManagedProcess) => Promise<void>;
}

function processControl(
  instance: Instance,
  binDir: string,
  log: StartOptions['log'],
  restartable: Record<ControlPlaneProcess, Restartable>,
): Pick<ControlPlane, 'killProcess' | 'restartProcess' | 'pauseProcess' | 'resumeProcess'> {
  // The newest process of that name: a restart adds one, the dead ones stay for stop() to skip.
  const current = (name: ControlPlaneProcess): ManagedProcess | undefined =>
    instance.processes.filter((p) => p.name === name).at(-1);
  return {
    killProcess: async (name, signal = 'SIGKILL') => current(name)?.signal(signal),
    pauseProcess: async (name) => current(name)?.signal('SIGSTOP'),
    resumeProcess: async (name) => current(name)?.signal('SIGCONT'),
    async restartProcess(name) {
      if (current(name)?.running) throw new Error(`${name} is still running; killProcess it first`);
      await startProcess(instance, name, binDir, restartable[name].args, log);
      // The control plane serves once both do: etcd answers, and kube-apiserver's /readyz (which
      // includes its etcd check) is 200.
      for (const each of ['etcd', 'kube-apiserver'] as const) {
        const proc = current(each);
        if (proc?.running) await restartable[each].ready(proc);
      }
    },
  };
}

export type { KubectlOptions, KubectlResult };
