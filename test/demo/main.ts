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
import { browserInstructions, callbackPort, callbackTls } from './browser.ts';

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

/** Says every `everyMs` that `what` is still going, until `work` settles. */
async function withProgress<T>(work: Promise<T>, what: () => string | Promise<string>, everyMs = 15_000): Promise<T> {
  const ticker = setInterval(() => void Promise.resolve(what()).then((line) => say(`  … ${line}`)), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(ticker);
  }
}

const SHORT_KINDS: Readonly<Record<string, string>> = { IManageConnection: 'imc', WorkspaceRepository: 'wsr' };
/** RESOLVED TO in the table; the Repositories lines below say it whole. */
const RESOLVED_WIDTH = 24;

/**
 * The table cut to the terminal's width: kinds by their short names, RESOLVED TO and a message too
 * long for the room left end in …; the messages cut are printed whole below the table (as the
 * repositories' lines are).
 */
function fittedTable(rows: readonly StatusRow[]): { table: string; messages: string[] } {
  const width = process.stdout.columns || 160;
  const ellipsis = (text: string, room: number) => (text.length <= room ? text : `${text.slice(0, room - 1)}…`);
  const short = rows.map((r) => ({
    ...r,
    kind: SHORT_KINDS[r.kind] ?? r.kind,
    ...(r.resolvedTo ? { resolvedTo: ellipsis(r.resolvedTo, RESOLVED_WIDTH) } : {}),
  }));
  const header = statusTable(short.map((r) => ({ ...r, message: '' }))).split('\n')[0] ?? '';
  const room = Math.max(20, width - header.indexOf('MESSAGE'));
  const messages = rows
    .filter((r) => r.message.length > room)
    .map((r) => `${r.namespace}/${r.name} (${r.kind}): ${r.message}`);
  const table = statusTable(short.map((r) => ({ ...r, message: ellipsis(r.message, room) })));
  return { table, messages: messages.sort() };
}

function startOperator(
  cp: ControlPlane,
  imanage: { caFile: string; resolve: string },
  defaultApp: string,
  tlsArgs: readonly string[],
): ChildProcess {
  const log = createWriteStream(join(workDir, 'operator.log'));
  const child = spawn(process.execPath, [
    '--max-semi-space-size=1', join(root, 'operator', 'cli', 'main.ts'), 'run', '--kubeconfig', cp.kubeconfigPath,
    '--health-address', '127.0.0.1:0', '--leader-election-namespace', 'imanage-system', '--resync-period', '1m',
    // Demo only: the simulator's hosts on loopback, and its CA trusted like a system root.
    '--resolve', imanage.resolve, '--allow-loopback-probes', 'true', '--default-client-secret', defaultApp,
    // The interactive link's callback, served on loopback here (an ingress would expose it).
    '--callback-url', CALLBACK_URL, '--callback-address', '127.0.0.1:0', ...tlsArgs,
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
const cpStarted = performance.now();
const cp = await withProgress(startControlPlane({ workDir: join(workDir, 'controlplane') }), () =>
  `still starting the control plane (${((performance.now() - cpStarted) / 1000).toFixed(0)} s; a cold build compiles kube-apiserver and etcd)`);
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
  say(`iManage simulator on https://127.0.0.1:${imanage.sim.httpsPort} (admin http://127.0.0.1:${imanage.sim.adminPort}/_admin), playing ${imanage.resolve.split(',').length} hosts: every iManage answer below is simulated`);
  const defaultApp = await createDefaultApplication(cp);
  let seeded = 0;
  for (const folder of await exampleFolders()) {
    await kubectlOk(cp, ['create', 'namespace', folder]);
    await kubectlOk(cp, ['apply', '-n', folder, '-f', join(root, 'examples', folder)]);
    seeded += await seedRefreshTokens(cp, imanage.sim, scenario, join(root, 'examples', folder), folder, DEFAULT_APP);
  }
  say(`applied every example from examples/ (one namespace per product); ${seeded} fall-back accounts linked ` +
    'as an administrator would (a refresh token from the simulator in place of each FAKE placeholder)');
  const tls = await callbackTls(workDir, CALLBACK_URL);
  operator = startOperator(cp, imanage, defaultApp, tls.args);
  operator.once('exit', (code) => { if (!stopping) { say(`the operator exited (${code}); see ${join(workDir, 'operator.log')}`); void shutdown(1); } });
  say(`started the operator; waiting for the examples to settle…\n`);
  const table = await withProgress(waitUntilSettled(cp, 120_000), async () => {
    const now = await rows(cp).catch(() => []);
    return `${now.filter((r) => r.ready === 'True').length} of ${now.length} Ready so far; waiting for the rest to settle`;
  }, 10_000);
  const fitted = fittedTable(table);
  say('Status (from the simulated iManage hosts):');
  say(fitted.table);
  if (fitted.messages.length > 0) say(`\nMessages in full:\n${fitted.messages.map((l) => `  ${l}`).join('\n')}`);
  const indented = (lines: readonly string[]) => lines.map((l) => `  ${l}`).join('\n');
  say(`\nRepositories (status.resolvers[].resolution, status.previews; simulated workspaces and folders):\n${indented(await repositoryLines(cp))}`);
  say(`\nTokens (status.tokens, issued by the simulator; the operator never prints a token):\n${indented(await tokenLines(cp))}`);
  say(`\nDeliberately not Ready:\n${indented(deliberateLines())}`);
  const ready = table.filter((r) => r.ready === 'True').length;
  say(`\n${ready} of ${table.length} Ready, ${((performance.now() - started) / 1000).toFixed(1)} s after start; operator RSS ${await rssMiB(operator.pid)} MiB.`);
  const port = await callbackPort(join(workDir, 'operator.log'));
  const howTo = port === undefined ? [] : await browserInstructions({
    cp, scenario, hosts: imanage.sim.admin.summary().hosts.map((h) => h.name), simPort: imanage.sim.httpsPort,
    simCaFile: imanage.caFile, callbackUrl: CALLBACK_URL, callbackPort: port, callbackCaFile: tls.caFile, root,
  });
  if (howTo.length > 0) say(`\n${howTo.join('\n')}`);
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
