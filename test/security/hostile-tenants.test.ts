// Issue 18's end-to-end check: one namespace of hostile connections cannot stop or slow the
// operator for another namespace of healthy ones, nor reach a Secret it could not read.
// The operator runs as its own process against the real API server, probes and tokens on; iManage
// is the simulator (healthy) and a hostile server (test/security/hostile-server.ts), both on
// loopback. The hostile namespace holds: a ReDoS body on every path, a slow-drip host, a token
// endpoint answering expires_in: 0, a connection naming another connection's token Secret, and
// a flood of callback requests with forged states plus slow clients held open.
// No assertion is on a duration: the figures are printed; waits have generous deadlines.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseRepository, mergePatch } from '../../operator/api/validation/fixtures.ts';
import { imanageConnections, workspaceRepositories } from '../../operator/api/kinds.ts';
import { KubeClient } from '../../operator/runtime/kube/client.ts';
import { type Resource, secrets as secretsResource } from '../../operator/runtime/kube/resources.ts';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { createAuthority } from '../../simulator/tls/certs.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { type KubeJson, type OperatorProcess, startOperator, waitFor } from '../harness/operator.ts';
import { caSecret, condition, connection, list, resolveToSimulator, secret, startFileSimulator } from '../probes/helpers.ts';
import { HOSTILE_HOSTS, HostileServer } from './hostile-server.ts';

const HEALTHY = 100;
const SIM_HOST = 'tenants.sim.test';
const LIB = 'ACTIVE_US';
const CALLBACK = 'https://imanage-operator.tenants.test/oauth/callback';
const READY_DEADLINE_MS = 300_000;

const scenario = {
  hosts: [{ name: SIM_HOST, customers: ['100'] }],
  customers: [
    {
      id: '100',
      libraries: [{ id: LIB, workspaces: [{ name: 'Clio Operate Administration', folders: [{ name: 'Data Uploads' }] }] }],
      users: [{ username: 'jsmith', password: 'jsmith-pass' }],
      applications: [{ clientId: 'app', clientSecret: 'app-secret', grants: ['password'], allowRefreshToken: true }],
    },
  ],
} as Scenario;

const healthy = useTestNamespace('tenant-healthy');
const hostile = useTestNamespace('tenant-hostile');
const authority = createAuthority('Hostile Test CA');
let admin: KubeClient;
let sim: RunningSimulator;
let evil: HostileServer;
let op: OperatorProcess;

const passwordAuth = (credentials: string) => ({ library: LIB, auth: { grant: 'Password', credentialsSecretRef: { name: credentials } } });

/** A connection to the simulator with a password grant and one repository, as a tenant would write it. */
const healthyPair = (name: string) => [
  connection(name, `https://${SIM_HOST}`, { clientSecretRef: 'app', caSecret: 'sim-ca', extraSpec: passwordAuth('jsmith') }),
  mergePatch(baseRepository(`${name}-uploads`), {
    spec: { connectionRef: { name }, resolvers: [{ workType: '*', resolver: 'Clio Operate Administration', folder: 'Data Uploads' }] },
  }),
];

const simulatorSecrets = () => [
  secret('app', { clientId: 'app', clientSecret: 'app-secret' }),
  secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
  caSecret('sim-ca', sim),
];

/** What the hostile namespace holds besides its victim: each connection is one attack. */
const hostileObjects = () => {
  const attacker = (name: string, host: string, extra: Record<string, unknown> = {}) =>
    connection(name, `https://${host}`, {
      clientSecretRef: 'evil-app',
      caSecret: 'evil-ca',
      extraSpec: { ...passwordAuth('evil-user'), ...extra },
    });
  const withEnvironment = { environments: [{ name: 'production', baseUrl: 'https://app.tenants.test' }] };
  return [
    secret('evil-app', { clientId: 'evil', clientSecret: 'evil-secret' }),
    secret('evil-user', { username: 'mallory', password: 'mallory-pass' }),
    secret('evil-ca', { 'ca.crt': authority.certPem }),
    attacker('redos', HOSTILE_HOSTS.redos, withEnvironment),
    attacker('drip', HOSTILE_HOSTS.drip, withEnvironment),
    attacker('expiry', HOSTILE_HOSTS.expiry),
    // Names the victim's token Secret, with its URL at the attacker's own host.
    attacker('thief', HOSTILE_HOSTS.thief, { tokens: { secretName: 'victim-tokens' } }),
  ];
};

beforeAll(async () => {
  admin = await KubeClient.load({ kubeconfig: inject('kubeconfigPath') });
  sim = await startFileSimulator(scenario);
  evil = await HostileServer.start(authority);
  const pairs = Array.from({ length: HEALTHY }, (_, i) => healthyPair(`conn-${String(i).padStart(3, '0')}`)).flat();
  await healthy.apply(list(...simulatorSecrets(), ...pairs));
  await hostile.apply(
    list(...simulatorSecrets(), connection('victim', `https://${SIM_HOST}`, { clientSecretRef: 'app', caSecret: 'sim-ca', extraSpec: passwordAuth('jsmith') })),
  );
  op = await startOperator({
    namespace: healthy.name,
    watchNamespaces: [healthy.name, hostile.name],
    probes: true,
    tokens: true,
    extraArgs: [
      '--allow-loopback-probes', 'true',
      '--resolve', [...resolveToSimulator(sim, [SIM_HOST]), ...evil.resolveEntries()].join(','),
      `--callback-url=${CALLBACK}`,
      '--callback-address=127.0.0.1:0',
    ],
  });
}, 180_000);

afterAll(async () => {
  await op?.stop();
  await evil?.close();
  await sim?.stop();
  admin?.close();
});

// ---------------------------------------------------------------------------------------------

async function listKind(namespace: string, kind: 'imc' | 'wsr'): Promise<KubeJson[]> {
  const resource = kind === 'imc' ? imanageConnections : workspaceRepositories;
  return (await admin.list(resource as Resource, { namespace })).items as unknown as KubeJson[];
}

const currentAndReady = (o: KubeJson): boolean => {
  const ready = condition(o, 'Ready');
  return o.status?.['observedGeneration'] === o.metadata.generation && ready?.status === 'True' && ready.observedGeneration === o.metadata.generation;
};

/** Waits until every healthy connection and repository is Ready at its current generation; returns how long it took. */
async function allHealthyReady(what: string): Promise<number> {
  const started = Date.now();
  await waitFor(async () => {
    const objects = [...(await listKind(healthy.name, 'imc')), ...(await listKind(healthy.name, 'wsr'))];
    return objects.length === 2 * HEALTHY && objects.every(currentAndReady);
  }, READY_DEADLINE_MS, 1_000, what);
  return Date.now() - started;
}

/** A new generation for every healthy connection that keeps it valid and Ready. */
async function touchHealthy(round: number): Promise<void> {
  const names = Array.from({ length: HEALTHY }, (_, i) => `conn-${String(i).padStart(3, '0')}`);
  await Promise.all(
    names.map((name) =>
      admin.patch(imanageConnections, { namespace: healthy.name, name }, { spec: { probes: { interval: '10s', timeout: `${2 + (round % 2)}s` } } }),
    ),
  );
}

/** Every Secret of both namespaces: its data's digest and its owners. */
async function secretSnapshot(): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  for (const namespace of [healthy.name, hostile.name]) {
    const listed = await admin.list(secretsResource, { namespace });
    for (const s of listed.items) {
      const data = createHash('sha256').update(JSON.stringify(s.data ?? {})).digest('hex');
      const owners = JSON.stringify(s.metadata.ownerReferences ?? []);
      snapshot.set(`${namespace}/${s.metadata.name}`, `${data} ${owners}`);
    }
  }
  return snapshot;
}

/** Polls /healthz until stopped; every answer that is not 200 is kept. */
function watchHealthz(): { stop(): Promise<string[]> } {
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await fetch(`http://${op.probes.host}:${op.probes.port}/healthz`, { signal: AbortSignal.timeout(5_000) });
        if (res.status !== 200) failures.push(`HTTP ${res.status}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return { stop: async () => ((running = false), await loop, failures) };
}

async function callbackPort(): Promise<number> {
  const served = await op.waitForLog((e) => e?.msg === 'sign-in callback served', 30_000);
  return Number(/:(\d+)$/.exec(String(served['address']))?.[1]);
}

/** 2,000 callback requests with forged states, 50 at a time, and 300 clients that send nothing. */
async function floodCallback(port: number): Promise<{ answered: number; slow: Socket[] }> {
  const slow = Array.from({ length: 300 }, () => connect(port, '127.0.0.1'));
  for (const s of slow) s.on('error', () => undefined);
  let next = 0;
  let answered = 0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const state = `forged.${i}.${'x'.repeat(40)}`;
      const req = httpRequest({ host: '127.0.0.1', port, path: `/oauth/callback?state=${state}&code=stolen`, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => ((answered += 1), resolve()));
      });
      req.on('error', () => resolve());
      req.on('timeout', () => req.destroy());
      req.end();
    });
  await Promise.all(Array.from({ length: 50 }, async () => { while (next < 2_000) await one(next++); }));
  return { answered, slow };
}

// ---------------------------------------------------------------------------------------------

let baselineMs = 0;

describe('one tenant cannot stop the operator for another, nor reach its Secrets', () => {
  it('brings the healthy namespace to Ready, and measures a round of edits without hostile neighbours', async () => {
    await allHealthyReady('the 100 healthy connections and repositories Ready');
    await waitFor(async () => currentAndReady((await listKind(hostile.name, 'imc')).find((o) => o.metadata.name === 'victim')!) || undefined,
      READY_DEADLINE_MS, 1_000, 'the victim connection Ready');
    await touchHealthy(1);
    baselineMs = await allHealthyReady('the healthy objects Ready again after a round of edits (baseline)');
  }, 2 * READY_DEADLINE_MS + 60_000);

  it('keeps the healthy namespace working, /healthz true and every Secret untouched, while the hostile one attacks', async () => {
    const before = await secretSnapshot();
    const health = watchHealthz();
    await hostile.apply(list(...hostileObjects()));
    // Every attack has started before the healthy namespace is edited again.
    const reached = () => ({
      drip: evil.count(HOSTILE_HOSTS.drip, '/'),
      redos: evil.count(HOSTILE_HOSTS.redos, '/'),
      expiryTokens: evil.count(HOSTILE_HOSTS.expiry, '/auth/oauth2/token'),
    });
    try {
      await waitFor(() => Object.values(reached()).every((n) => n > 0) || undefined, 120_000, 500, 'the operator reaching every hostile host');
    } catch (error) {
      const conditions = (await listKind(hostile.name, 'imc')).map((o) => `${o.metadata.name}: ${JSON.stringify(condition(o, 'Ready'))}`);
      throw new Error(`${(error as Error).message}\nreached: ${JSON.stringify(reached())}\n${conditions.join('\n')}`);
    }
    const flood = floodCallback(await callbackPort());
    await touchHealthy(2);
    const withHostileMs = await allHealthyReady('the healthy objects Ready again while the hostile namespace attacks');
    const { answered, slow } = await flood;
    for (const s of slow) s.destroy();
    console.log(
      `healthy round of ${HEALTHY} edits: ${(baselineMs / 1000).toFixed(1)} s alone, ${(withHostileMs / 1000).toFixed(1)} s beside the hostile namespace ` +
        `(+${((withHostileMs - baselineMs) / 1000).toFixed(1)} s); forged callbacks answered: ${answered} of 2000`,
    );

    // expires_in: 0 does not make the operator spin: count the token requests over 20 s.
    const tokensFrom = evil.count(HOSTILE_HOSTS.expiry, '/auth/oauth2/token');
    await new Promise((r) => setTimeout(r, 20_000));
    const tokenRequestsIn20s = evil.count(HOSTILE_HOSTS.expiry, '/auth/oauth2/token') - tokensFrom;
    console.log(`expires_in: 0 → ${tokenRequestsIn20s} token requests in 20 s`);
    expect(tokenRequestsIn20s).toBeLessThanOrEqual(4);

    expect(await health.stop()).toEqual([]);
    expect(op.running).toBe(true);

    // Each hostile connection shows a reason of its own, Ready False.
    const hostileNow = await listKind(hostile.name, 'imc');
    const reasonOf = (name: string) => condition(hostileNow.find((o) => o.metadata.name === name), 'Ready');
    const reasons = Object.fromEntries(['redos', 'drip', 'expiry', 'thief'].map((n) => [n, reasonOf(n)?.reason]));
    console.log(`hostile reasons: ${JSON.stringify(reasons)}`);
    for (const name of ['redos', 'drip', 'expiry', 'thief']) {
      expect(reasonOf(name), name).toMatchObject({ status: 'False' });
      expect(reasonOf(name)!.message.length, `${name}'s message stays short`).toBeLessThan(2_000);
    }
    expect(reasons['thief']).toBe('TokenSecretNotOwned');
    expect(currentAndReady(hostileNow.find((o) => o.metadata.name === 'victim')!)).toBe(true);

    // No Secret that existed before changed content or owner; new ones belong to hostile connections only.
    const after = await secretSnapshot();
    for (const [key, value] of before) expect(after.get(key), key).toBe(value);
    // New ones: the hostile connections' own token Secrets, and the operator's sign-in state key in
    // its own namespace (created when the first callback arrived).
    const created = [...after.keys()].filter((k) => !before.has(k));
    const operatorsOwn = `${healthy.name}/imanage-operator-link-key`;
    for (const key of created) expect(key.startsWith(`${hostile.name}/`) || key === operatorsOwn, key).toBe(true);

    // Nothing of the victim reached the attacker's host.
    const victim = (await admin.get(secretsResource, { namespace: hostile.name, name: 'victim-tokens' }))!;
    const stolen = Object.entries(victim.data ?? {})
      .filter(([key]) => /token/i.test(key) && !/type/i.test(key))
      .map(([, v]) => Buffer.from(v, 'base64').toString('utf8'));
    expect(stolen.length).toBeGreaterThan(0);
    const seenByThief = evil.requests.filter((r) => r.host === HOSTILE_HOSTS.thief).map((r) => r.headers + r.body).join('\n');
    for (const value of [...stolen, 'app-secret']) expect(seenByThief.includes(value)).toBe(false);
  }, 2 * READY_DEADLINE_MS + 120_000);
});
