// Tokens at scale (issue 11), with a real kube-apiserver and etcd, the operator as a process and the
// simulator as iManage on loopback. Prints:
//   1. the key derivation: what the first seal and the passphrase verifier cost (once per process
//      and key; bench/token-crypto.ts has the full breakdown);
//   2. the time to materialize tokens for N connections (default 500): every connection exists,
//      the operator starts, and the clock runs until each has TokensReady=True with its encrypted
//      (nested-jwe/v1) Secret. Password grant; all share one certificate and passphrase;
//   3. the highest refresh rate per second over an hour of 1,000 connections, two ways:
//      - demand, from the operator's own schedule (operator/tokens/schedule.ts refreshAt) on a fake clock:
//        1,000 connections obtained within the measured materialization time, iManage's default
//        30-minute access tokens, refreshBefore 5m, an hour in one-second buckets;
//      - capacity, a scaled run: 1,000 connections with 1-minute tokens (the simulator's minimum)
//        and refreshBefore 30s refresh every 30–33 s, i.e. 30 minutes of iManage time compressed
//        30×; over SCALED_SECONDS of wall time the simulator's request log counts token requests
//        per second, and the run says whether every access token stayed valid (kept up).
// Not a test: it prints its figures.
//
// Usage: node bench/tokens.ts [materialize=500] [refresh=1000] [scaledSeconds=120]
// Environment: BENCH_OPERATOR_MAIN=<path> another operator entry point (a scratch copy of the tree).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { refreshAt } from '../operator/tokens/schedule.ts';
import { Keyrings } from '../operator/tokens/envelope.ts';
import { PBKDF2_ITERATIONS, readCertificateKey } from '../operator/tokens/keys.ts';
import { PASSPHRASE, tlsSecretData } from '../operator/tokens/testdata/fixtures.ts';
import { type RunningSimulator, type Scenario, startSimulator } from '../simulator/index.ts';
import { type ControlPlane, startControlPlane } from '../test/harness/controlplane.ts';
import { installCrds } from '../test/harness/crds.ts';
import { loggedAtWarnOrAbove } from './operator-scale.ts';

const MATERIALIZE = Number(process.argv[2] ?? 500);
const REFRESHING = Number(process.argv[3] ?? 1000);
const SCALED_SECONDS = Number(process.argv[4] ?? 120);
const HOST = 'tokens-bench.example';
const root = join(import.meta.dirname, '..');
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const tls = tlsSecretData('rsa');

const scenario = {
  hosts: [{ name: HOST, customers: ['100'] }],
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US' }],
      users: [{ username: 'svc', password: 'svc-pass' }],
      applications: [
        { clientId: 'slow', clientSecret: 'slow-secret', allowRefreshToken: true, accessTokenMinutes: 30 },
        { clientId: 'fast', clientSecret: 'fast-secret', allowRefreshToken: true, accessTokenMinutes: 1 },
      ],
    },
  ],
} as Scenario;

const stringSecret = (name: string, data: Record<string, string>, type = 'Opaque') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  type,
  stringData: data,
});

function connection(name: string, clientId: string, refreshBefore: string): object {
  return {
    apiVersion: 'imanage.operator.dev/v1alpha1',
    kind: 'IManageConnection',
    metadata: { name },
    spec: {
      connectionType: 'OnPremise',
      url: `https://${HOST}`,
      library: 'ACTIVE_US',
      clientSecretRef: { name: clientId },
      caBundleSecretRef: { name: 'imanage-ca', key: 'ca.crt' },
      auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } },
      tokens: {
        refreshBefore,
        encryption: { passphraseSecretRef: { name: 'passphrase' }, certificateSecretRef: { name: 'token-cert' } },
      },
      probes: { interval: '1h', timeout: '10s' },
    },
  };
}

async function apply(cp: ControlPlane, namespace: string, items: object[], dir: string): Promise<void> {
  const file = join(dir, `${namespace}-${items.length}.json`);
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const result = await cp.kubectl(['apply', '-n', namespace, '--server-side', '-f', file]);
  if (result.code !== 0) throw new Error(`kubectl apply: ${result.stderr.trim()}`);
}

async function namespaceWith(cp: ControlPlane, sim: RunningSimulator, namespace: string, dir: string): Promise<void> {
  await cp.kubectl(['create', 'namespace', namespace]);
  await apply(
    cp,
    namespace,
    [
      stringSecret('slow', { clientId: 'slow', clientSecret: 'slow-secret' }),
      stringSecret('fast', { clientId: 'fast', clientSecret: 'fast-secret' }),
      stringSecret('svc', { username: 'svc', password: 'svc-pass' }),
      stringSecret('imanage-ca', { 'ca.crt': sim.caPem }),
      stringSecret('passphrase', { passphrase: PASSPHRASE }),
      stringSecret(
        'token-cert',
        { 'tls.crt': tls['tls.crt'].toString(), 'tls.key': tls['tls.key'].toString() },
        'kubernetes.io/tls',
      ),
    ],
    dir,
  );
}

function startOperator(cp: ControlPlane, sim: RunningSimulator, namespace: string, log: string[]): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      process.env['BENCH_OPERATOR_MAIN'] || join(root, 'operator', 'cli', 'main.ts'),
      'run',
      '--kubeconfig',
      cp.kubeconfigPath,
      '--namespaces',
      namespace,
      '--leader-election-namespace',
      namespace,
      '--health-address',
      '127.0.0.1:0',
      '--log-level',
      'warn',
      '--allow-loopback-probes',
      'true',
      '--resolve',
      `${HOST}:443:127.0.0.1:${sim.httpsPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  return child;
}

interface Status {
  metadata: { name: string };
  status?: {
    conditions?: { type: string; status: string }[];
    tokens?: { accessTokenExpiresAt?: string; encrypted?: boolean };
  };
}

async function statuses(cp: ControlPlane, namespace: string): Promise<Status[]> {
  const result = await cp.kubectl(['get', 'imc', '-n', namespace, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl get: ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as { items: Status[] }).items;
}

const tokensReady = (s: Status) =>
  s.status?.conditions?.some((c) => c.type === 'TokensReady' && c.status === 'True') === true &&
  s.status.tokens?.encrypted;

async function untilAllTokensReady(
  cp: ControlPlane,
  namespace: string,
  count: number,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const ready = (await statuses(cp, namespace)).filter(tokensReady).length;
    if (ready >= count) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs)
      throw new Error(`${ready} of ${count} TokensReady after ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function keyDerivation(): Promise<void> {
  const key = readCertificateKey(tls);
  const keyrings = new Keyrings();
  let started = performance.now();
  await keyrings.fingerprint(key, PASSPHRASE);
  const verifier = performance.now() - started;
  started = performance.now();
  await keyrings.seal(
    { access_token: 'a', token_type: 'bearer', obtained_at: new Date().toISOString() },
    key,
    PASSPHRASE,
  );
  const firstSeal = performance.now() - started;
  say(
    `key derivation (PBKDF2-HMAC-SHA512, p2c ${PBKDF2_ITERATIONS.toLocaleString('en')}): passphrase verifier ` +
      `${verifier.toFixed(0)} ms, first seal ${firstSeal.toFixed(0)} ms; once per process and key, not per token`,
  );
}

/** Refreshes per second over an hour from the operator's own schedule, obtained spread over `spreadS`. */
function scheduledPeak(connections: number, spreadS: number): { peak: number; total: number } {
  const start = Date.UTC(2026, 0, 1);
  const hourEnd = start + 3_600_000;
  const perSecond = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < connections; i++) {
    let obtained = start + Math.floor((i / connections) * spreadS * 1000);
    for (;;) {
      const payload = {
        access_token: 'a',
        token_type: 'bearer',
        obtained_at: new Date(obtained).toISOString(),
        access_token_expires_at: new Date(obtained + 1_800_000).toISOString(),
      };
      const at = refreshAt(payload, 300_000, `uid-${i}`)!.getTime();
      if (at >= hourEnd) break;
      const second = Math.floor((at - start) / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      total++;
      obtained = at;
    }
  }
  return { peak: Math.max(0, ...perSecond.values()), total };
}

/** Token requests per wall-clock second in the simulator's log, between two times. */
function requestRates(sim: RunningSimulator, fromMs: number, toMs: number): { peak: number; mean: number } {
  const counts = new Map<number, number>();
  for (const entry of sim.requestLog({ method: 'POST', path: '/auth/oauth2/token' })) {
    const at = Date.parse(entry.time);
    if (at < fromMs || at >= toMs) continue;
    counts.set(Math.floor(at / 1000), (counts.get(Math.floor(at / 1000)) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return { peak: Math.max(0, ...counts.values()), mean: total / ((toMs - fromMs) / 1000) };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-tokens-'));
const cp = await startControlPlane();
const sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
const operators: ChildProcess[] = [];
try {
  await installCrds(cp, join(root, 'crds'), await readdir(join(root, 'crds')));
  await keyDerivation();

  await namespaceWith(cp, sim, 'materialize', dir);
  const names = Array.from({ length: MATERIALIZE }, (_, i) => `c${String(i).padStart(4, '0')}`);
  await apply(
    cp,
    'materialize',
    names.map((n) => connection(n, 'slow', '5m')),
    dir,
  );
  const log: string[] = [];
  operators.push(startOperator(cp, sim, 'materialize', log));
  const materialized = await untilAllTokensReady(cp, 'materialize', MATERIALIZE, 600_000);
  say(
    `materialize: ${MATERIALIZE} connections, encrypted Secrets, TokensReady=True ${materialized.toFixed(1)} s after ` +
      `the operator started (${(MATERIALIZE / materialized).toFixed(0)} connections/s)`,
  );
  operators.pop()!.kill('SIGTERM');

  const demand = scheduledPeak(1000, materialized * (1000 / MATERIALIZE));
  say(
    `refresh demand, an hour of 1,000 connections (30-min tokens, refreshBefore 5m, obtained over ` +
      `${(materialized * (1000 / MATERIALIZE)).toFixed(0)} s, fake clock): ${demand.total} refreshes, highest ` +
      `${demand.peak}/s (mean ${(demand.total / 3600).toFixed(2)}/s)`,
  );

  await namespaceWith(cp, sim, 'refresh', dir);
  const fast = Array.from({ length: REFRESHING }, (_, i) => `r${String(i).padStart(4, '0')}`);
  await apply(
    cp,
    'refresh',
    fast.map((n) => connection(n, 'fast', '30s')),
    dir,
  );
  operators.push(startOperator(cp, sim, 'refresh', log));
  const obtained = await untilAllTokensReady(cp, 'refresh', REFRESHING, 600_000);
  const from = Date.now();
  await sleep(SCALED_SECONDS * 1000);
  const rates = requestRates(sim, from, Date.now());
  const expired = (await statuses(cp, 'refresh')).filter(
    (s) => Date.parse(s.status?.tokens?.accessTokenExpiresAt ?? '') <= Date.now(),
  ).length;
  say(
    `refresh capacity, scaled run: ${REFRESHING} connections, 1-min tokens, refreshBefore 30s (30× compressed), ` +
      `obtained in ${obtained.toFixed(1)} s, then ${SCALED_SECONDS} s: highest ${rates.peak} token requests/s, mean ` +
      `${rates.mean.toFixed(1)}/s (needed ≈ ${(REFRESHING / 31.5).toFixed(1)}/s); ${expired} access tokens expired at the end`,
  );
  const warnings = log
    .join('')
    .split('\n')
    .filter((l) => {
      try {
        return loggedAtWarnOrAbove((JSON.parse(l) as { level?: unknown }).level);
      } catch {
        return false; // not a log entry (stderr text)
      }
    });
  say(`operator warnings logged: ${warnings.length}`);
  for (const l of warnings.slice(0, 10)) say(`  ${l}`);
} finally {
  for (const child of operators) child.kill('SIGTERM');
  await sim.stop();
  await cp.stop();
  await rm(dir, { recursive: true, force: true });
}
