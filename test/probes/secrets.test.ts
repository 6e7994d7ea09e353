// No secret leaves the operator: with probes running (passing and failing ones), canary values in
// every Secret a connection names — the client secret, the fall-back account's refresh token and
// password, the token-encryption passphrase and key — and the operator's own API-server token
// appear in none of its logs (at trace level), Events, status or metrics, nor in what it sent to
// iManage; and no Authorization or X-Auth-Token header value appears anywhere either.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { startOperator, waitFor, type OperatorProcess } from '../harness/operator.ts';
import {
  caSecret, connection, leakForms, list, resolveToSimulator, secret, startFileSimulator, waitForCondition,
} from './helpers.ts';

const HOST = 'secrets.cloudimanage.com';
const FAILING_HOST = 'failing.cloudimanage.com';
const CUSTOMER = '100';
const REGISTERED = 'https://sec.example.com';

const canaries: string[] = [];

function canary(label: string, minLength = 0): string {
  const value = `CANARY-${label}-${randomBytes(8).toString('hex')}`;
  // Random padding: a passphrase that repeats one character is refused as predictable (PassphraseTooWeak).
  const padding = randomBytes(minLength).toString('base64url').slice(0, Math.max(0, minLength - value.length - 1));
  const padded = value.length >= minLength ? value : `${value}-${padding}`;
  canaries.push(padded);
  return padded;
}

/** A canary in every form a leak could take, including its random part alone. */
function forms(value: string): string[] {
  const random = /^CANARY-[a-z-]+-([0-9a-f]{16})/.exec(value)?.[1];
  return [...leakForms(value), ...(random ? [random] : [])];
}

function leaksIn(text: string): string[] {
  return canaries.filter((c) => forms(c).some((f) => text.includes(f)));
}

/** Header names whose values are credentials, written as a header or as a logged property. */
const CREDENTIAL_HEADER = /x-auth-token|"authorization"\s*:|authorization:\s*\S|bearer\s+[A-Za-z0-9._~+/-]{8,}/i;

/** The token-encryption certificate: a real key pair borrowed from an example (its key is a canary). */
const exampleTls = (() => {
  const file = join(import.meta.dirname, '..', '..', 'examples', 'clio-operate-cloud', 'secrets.yaml');
  const docs = loadAll(readFileSync(file, 'utf8')) as ({ type?: string; data?: Record<string, string> } | null)[];
  const tls = docs.find((d) => d?.type === 'kubernetes.io/tls');
  if (!tls?.data?.['tls.crt'] || !tls.data['tls.key']) throw new Error(`no kubernetes.io/tls Secret in ${file}`);
  return { 'tls.crt': tls.data['tls.crt'], 'tls.key': tls.data['tls.key'] };
})();

const scenario: Scenario = {
  hosts: [{ name: HOST, customers: [CUSTOMER] }, { name: FAILING_HOST, customers: [CUSTOMER] }],
  customers: [{ id: CUSTOMER, applications: [{ clientId: 'sec-app', clientSecret: 'not-the-canary', redirectUris: [`${REGISTERED}/externalServices/replyFrom`] }] }],
  faults: [{ kind: 'status', status: 503, host: FAILING_HOST, path: '/api' }],
};

const ns = useTestNamespace('secrets');
let sim: RunningSimulator;
let op: OperatorProcess;
/** The operator's own credential for the API server (the kubeconfig's token): a canary too. */
let apiServerToken: string | undefined;

interface Auth { grant: 'AuthorizationCode' | 'Password'; secret: string }

function cloud(name: string, o: { host?: string; app?: string; auth?: Auth; passphrase?: string; environment?: string }): object {
  return connection(name, `https://${o.host ?? HOST}`, {
    connectionType: 'Cloud', customerId: CUSTOMER, caSecret: 'imanage-ca',
    ...(o.app ? { clientSecretRef: o.app } : {}),
    environments: [{ name: 'production', baseUrl: o.environment ?? REGISTERED }],
    extraSpec: {
      ...(o.auth ? { auth: { grant: o.auth.grant, credentialsSecretRef: { name: o.auth.secret } } } : {}),
      tokens: {
        secretName: `${name}-tokens`,
        encryption: { passphraseSecretRef: { name: o.passphrase ?? 'passphrase', key: 'passphrase' }, certificateSecretRef: { name: 'token-cert' } },
      },
    },
  });
}

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  const kubeconfig = load(readFileSync(inject('kubeconfigPath'), 'utf8')) as { users: { user: { token?: string } }[] };
  apiServerToken = kubeconfig.users[0]?.user.token;
  if (apiServerToken) canaries.push(apiServerToken);
  canaries.push(Buffer.from(exampleTls['tls.key'], 'base64').toString('utf8').split('\n')[1]!);

  await ns.apply(list(
    secret('sec-app', { clientId: 'sec-app', clientSecret: canary('client-secret') }),
    secret('unknown-app', { clientId: 'no-such-client', clientSecret: canary('unknown-client-secret') }),
    secret('default-app', { clientId: 'sec-app', clientSecret: canary('default-client-secret') }),
    secret('fallback-code', { refreshToken: canary('refresh-token') }),
    secret('fallback-password', { username: canary('username'), password: canary('password') }),
    // A Secret with the wrong keys: its values must not show up in the "lacks key" message either.
    secret('fallback-wrong-keys', { password: canary('stray-password'), token: canary('stray-token') }),
    secret('passphrase', { passphrase: canary('passphrase', 120) }),
    secret('short-passphrase', { passphrase: canary('short-passphrase') }),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token-cert' }, type: 'kubernetes.io/tls', data: exampleTls },
    caSecret('imanage-ca', sim),
  ));
  op = await startOperator({
    namespace: ns.name, probes: true, logLevel: 'trace',
    extraArgs: [
      '--resolve', resolveToSimulator(sim, [HOST, FAILING_HOST]).join(','), '--allow-loopback-probes', 'true',
      '--default-client-secret', `${ns.name}/default-app`,
    ],
  });
  await ns.apply(list(
    cloud('auth-code', { app: 'sec-app', auth: { grant: 'AuthorizationCode', secret: 'fallback-code' } }),
    cloud('default-app', { auth: { grant: 'AuthorizationCode', secret: 'fallback-code' } }),
    cloud('password-unregistered', { app: 'sec-app', auth: { grant: 'Password', secret: 'fallback-password' }, environment: 'https://unregistered.example.com' }),
    cloud('http-error', { host: FAILING_HOST, app: 'sec-app', auth: { grant: 'AuthorizationCode', secret: 'fallback-code' } }),
    cloud('invalid-client', { app: 'unknown-app', auth: { grant: 'Password', secret: 'fallback-password' } }),
    cloud('short-passphrase', { app: 'sec-app', passphrase: 'short-passphrase' }),
    cloud('wrong-keys', { app: 'sec-app', auth: { grant: 'AuthorizationCode', secret: 'fallback-wrong-keys' } }),
  ));
});

afterAll(async () => {
  await sim?.stop();
});

const EXPECTED: readonly { name: string; status: string; reason: string }[] = [
  { name: 'auth-code', status: 'True', reason: 'Connected' },
  { name: 'default-app', status: 'True', reason: 'Connected' },
  { name: 'password-unregistered', status: 'False', reason: 'RedirectUriNotRegistered' },
  { name: 'http-error', status: 'False', reason: 'HttpError' },
  { name: 'invalid-client', status: 'False', reason: 'InvalidClient' },
  { name: 'short-passphrase', status: 'False', reason: 'PassphraseTooShort' },
  { name: 'wrong-keys', status: 'False', reason: 'SecretMissingKey' },
];

async function kubectlText(args: string[]): Promise<string> {
  const result = await ns.kubectl(args);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

describe('after probes ran, passing and failing', () => {
  let outputs: Record<string, string>;

  beforeAll(async () => {
    for (const { name, status, reason } of EXPECTED) await waitForCondition(ns.name, 'imc', name, 'Ready', status, reason);
    // Let the failing host be probed (and fail) more than once, and every transition's Event land.
    await waitFor(() => sim.requestLog({ host: FAILING_HOST, path: '/api' }).length >= 2, 60_000, 500, `a second probe of ${FAILING_HOST}`);
    await waitFor(async () => {
      const events = JSON.parse(await kubectlText(['get', 'events.events.k8s.io', '-o', 'json'])) as { items: { regarding?: { name?: string } }[] };
      // A connection whose first status is Ready records no Event; every failing one records a Warning.
      const failing = EXPECTED.filter((e) => e.status === 'False');
      return failing.every((e) => events.items.some((i) => i.regarding?.name === e.name));
    }, 30_000, 500, 'an Event for every failing connection');
    outputs = {
      'operator logs': op.logs().join('\n'),
      'Events (events.k8s.io)': await kubectlText(['get', 'events.events.k8s.io', '-o', 'yaml']),
      'Events (core)': await kubectlText(['get', 'events', '-o', 'yaml']),
      'status (kubectl get imc -o yaml)': await kubectlText(['get', 'imc', '-o', 'yaml']),
      'status (kubectl get imc -o json)': await kubectlText(['get', 'imc', '-o', 'json']),
      '/metrics': await op.metrics(),
      "the simulator's request log": JSON.stringify(sim.requestLog()),
    };
  }, 180_000);

  it('the canaries are real (the check finds each one in the Secrets), and the operator was heard', async () => {
    expect(canaries.length).toBeGreaterThanOrEqual(10);
    const secrets = JSON.parse(await kubectlText(['get', 'secrets', '-o', 'json'])) as { items: { data?: Record<string, string> }[] };
    const decoded = secrets.items.flatMap((s) => Object.values(s.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')));
    const inSecrets = leaksIn(decoded.join('\n'));
    expect(inSecrets).toEqual(canaries.filter((c) => c !== apiServerToken));
    // The operator was heard: its log holds its start and its sync (it logs little, even at trace).
    expect(outputs['operator logs']).toContain('"msg":"caches synced"');
  });

  it.each([
    'operator logs', 'Events (events.k8s.io)', 'Events (core)', 'status (kubectl get imc -o yaml)', 'status (kubectl get imc -o json)',
    '/metrics', "the simulator's request log",
  ])('no canary appears in %s', (where) => {
    expect(leaksIn(outputs[where]!)).toEqual([]);
  });

  it.each(['operator logs', 'Events (events.k8s.io)', 'Events (core)', 'status (kubectl get imc -o yaml)'])(
    'no Authorization or X-Auth-Token header value appears in %s', (where) => {
      expect(outputs[where]!.match(CREDENTIAL_HEADER)?.[0]).toBeUndefined();
    });

  it('the messages that concern a Secret name it and its keys, never its values', async () => {
    const status = outputs['status (kubectl get imc -o json)']!;
    expect(status).toMatch(/the passphrase in Secret 'short-passphrase' key 'passphrase' is too short: at least 100 characters are required/);
    expect(status).not.toMatch(/has \d+ characters/);
    expect(status).toMatch(/Secret 'fallback-wrong-keys' \(fall-back account\) lacks key refreshToken; add it/);
    expect(status).toMatch(/iManage does not know the client id in Secret 'unknown-app' key clientId/);
    expect(status).not.toContain('no-such-client');
  });
});
