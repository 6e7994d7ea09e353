// `npm run demo`, the README's main job: a local control plane, the operator, every example
// applied (one namespace per product), and their status once they settle. Runs until Ctrl-C.
// With IMANAGE_DEMO_ONCE=1 it stops after printing the table (the test of this script does).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../harness/controlplane.ts';
import { installCrds } from '../harness/crds.ts';
import { load } from 'js-yaml';
import { type RunningSimulator, type Scenario, startSimulator } from '../../simulator/index.ts';
import { statusRow, statusTable, type StatusRow } from '../../operator/cli/status-table.ts';
import { seedRefreshTokens, tokenLines } from './tokens.ts';
import { repositoryLines } from './repositories.ts';
import { deliberateLines } from './exceptions.ts';

const root = join(import.meta.dirname, '..', '..');
const workDir = join(root, '.cache', 'demo');
const once = process.env['IMANAGE_DEMO_ONCE'] === '1';
const say = (line: string) => process.stdout.write(`${line}\n`);

async function exampleFolders(): Promise<string[]> {
  const entries = await readdir(join(root, 'examples'), { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && e.name !== 'invalid').map((e) => e.name).sort();
}

async function kubectlOk(cp: ControlPlane, args: string[]): Promise<string> {
  const result = await cp.kubectl(args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** The simulator plays every iManage host the examples name, on one loopback port. */
const scenario = load(await readFile(join(root, 'simulator', 'scenarios', 'examples.yaml'), 'utf8')) as Scenario;
const DEFAULT_APP = { clientId: 'clio-operate-global', clientSecret: 'clio-operate-global-secret' };
/** Where iManage sends the browser after an interactive sign-in (registered in examples.yaml). */
const CALLBACK_URL = 'https://imanage-operator.demo.example/oauth/callback';

async function startImanage(): Promise<{ sim: RunningSimulator; caFile: string; resolve: string }> {
  const sim = await startSimulator(scenario, { httpPort: false, adminPort: 0 });
  const caFile = join(workDir, 'imanage-ca.pem');
  await writeFile(caFile, sim.caPem);
  const hosts = sim.admin.summary().hosts.map((h) => h.name);
  return { sim, caFile, resolve: hosts.map((h) => `${h}:443:127.0.0.1:${sim.httpsPort}`).join(',') };
}

/** Clio Operate's global application, the operator's default for Cloud connections. */
async function createDefaultApplication(cp: ControlPlane): Promise<string> {
  await kubectlOk(cp, ['create', 'namespace', 'imanage-system']);
  await kubectlOk(cp, ['create', 'secret', 'generic', 'clio-operate-global-application', '-n', 'imanage-system',
    `--from-literal=clientId=${DEFAULT_APP.clientId}`, `--from-literal=clientSecret=${DEFAULT_APP.clientSecret}`]);
  return 'imanage-system/clio-operate-global-application';
}

function startOperator(cp: ControlPlane, imanage: { caFile: string; resolve: string }, defaultApp: string): ChildProcess {
  const log = createWriteStream(join(workDir, 'operator.log'));
  const child = spawn(process.execPath, [
    '--max-semi-space-size=1', join(root, 'operator', 'cli', 'main.ts'), 'run', '--kubeconfig', cp.kubeconfigPath,
    '--health-address', '127.0.0.1:0', '--leader-election-namespace', 'imanage-system', '--resync-period', '1m',
    // Demo only: the simulator's hosts on loopback, and its CA trusted like a system root.
    '--resolve', imanage.resolve, '--allow-loopback-probes', 'true', '--default-client-secret', defaultApp,
    // The interactive link's callback, served on loopback here (an ingress would expose it).
    '--callback-url', CALLBACK_URL, '--callback-address', '127.0.0.1:0',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_EXTRA_CA_CERTS: imanage.caFile } });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

async function rows(cp: ControlPlane): Promise<StatusRow[]> {
  const list = JSON.parse(await kubectlOk(cp, ['get', 'imanageconnections,workspacerepositories', '-A', '-o', 'json']));
  return (list.items as object[]).map(statusRow);
}

/**
 * Settled: every object Ready at its current generation, or, for those that are not, nothing
 * changed for `quietMs` (a Secret applied after its connection is found on the next re-check).
 */
async function waitUntilSettled(cp: ControlPlane, timeoutMs: number, quietMs = 10_000): Promise<StatusRow[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let quietSince = Date.now();
  for (;;) {
    const current = await rows(cp);
    const fingerprint = JSON.stringify(current);
    if (fingerprint !== last) [last, quietSince] = [fingerprint, Date.now()];
    const allReady = current.length > 0 && current.every((r) => r.settled && r.ready === 'True');
    const quiet = current.every((r) => r.settled) && Date.now() - quietSince >= quietMs;
    if (allReady || quiet || Date.now() > deadline) return current;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function rssMiB(pid: number | undefined): Promise<string> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? (Number(kb) / 1024).toFixed(0) : '?';
}

const started = performance.now();
await rm(workDir, { recursive: true, force: true });
await mkdir(workDir, { recursive: true });
say('starting the control plane (kube-apiserver 1.37 + etcd 3.7; the first run builds them, about 6 minutes)…');
const cp = await startControlPlane({ workDir: join(workDir, 'controlplane') });
let operator: ChildProcess | undefined;
let simulator: RunningSimulator | undefined;
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    operator?.kill('SIGTERM');
    await new Promise((r) => (operator && operator.exitCode === null ? operator.once('exit', r) : r(undefined)));
    await simulator?.stop();
    await cp.stop();
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));

try {
  await installCrds(cp, join(root, 'crds'), await readdir(join(root, 'crds')));
  const imanage = await startImanage();
  simulator = imanage.sim;
  say(`iManage simulator on https://127.0.0.1:${imanage.sim.httpsPort} (admin http://127.0.0.1:${imanage.sim.adminPort}/_admin), playing ${imanage.resolve.split(',').length} hosts`);
  const defaultApp = await createDefaultApplication(cp);
  let seeded = 0;
  for (const folder of await exampleFolders()) {
    await kubectlOk(cp, ['create', 'namespace', folder]);
    await kubectlOk(cp, ['apply', '-n', folder, '-f', join(root, 'examples', folder)]);
    seeded += await seedRefreshTokens(cp, imanage.sim, scenario, join(root, 'examples', folder), folder, DEFAULT_APP);
  }
  say(`applied every example from examples/ (one namespace per product); ${seeded} fall-back accounts linked ` +
    'as an administrator would (a refresh token from the simulator in place of each FAKE placeholder)');
  operator = startOperator(cp, imanage, defaultApp);
  operator.once('exit', (code) => { if (!stopping) { say(`the operator exited (${code}); see ${join(workDir, 'operator.log')}`); void shutdown(1); } });
  say(`started the operator; waiting for the examples to settle…\n`);
  const table = await waitUntilSettled(cp, 120_000);
  say(statusTable(table));
  const indented = (lines: readonly string[]) => lines.map((l) => `  ${l}`).join('\n');
  say(`\nRepositories (status.resolvers[].resolution, status.previews):\n${indented(await repositoryLines(cp))}`);
  say(`\nTokens (status.tokens; the operator never prints a token):\n${indented(await tokenLines(cp))}`);
  say(`\nDeliberately not Ready:\n${indented(deliberateLines())}`);
  const ready = table.filter((r) => r.ready === 'True').length;
  say(`\n${ready} of ${table.length} Ready, ${((performance.now() - started) / 1000).toFixed(1)} s after start; operator RSS ${await rssMiB(operator.pid)} MiB.`);
  if (once) await shutdown(table.every((r) => r.settled) ? 0 : 1);
  say(`
The operator runs against this control plane until Ctrl-C. Point kubectl at it:

  export KUBECONFIG=${cp.kubeconfigPath}
  export PATH=${cp.binDir}:$PATH
  kubectl get imanageconnections,workspacerepositories -A
  kubectl describe imanageconnection -n clio-operate-cloud clio-operate-cloud

Operator log: ${join(workDir, 'operator.log')}`);
} catch (error) {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  await shutdown(1);
}
