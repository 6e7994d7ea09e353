// Token life beyond refresh (issue 11), against the real API server with the simulator as iManage:
// deletion revokes the tokens at iManage (a Cloud connection on the operator's default application,
// and an on-premise one on its own, both behind the simulator's private CA); an AuthorizationCode
// connection with no account waits NotLinked with a sign-in URL from the real LinkService;
// removing spec.tokens.encryption leaves the encrypted Secret alone and says so; a refused seed is
// sent once, not on every reconcile, and a new seed in the Secret is taken over.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSPHRASE, tlsSecretData } from '../../operator/tokens/testdata/fixtures.ts';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, type OperatorProcess, startOperator, waitFor } from '../harness/operator.ts';
import {
  caSecret,
  condition,
  connection,
  list,
  resolveToSimulator,
  secret,
  startFileSimulator,
  waitForCondition,
} from '../probes/helpers.ts';
import { signInUrlOf } from './link-cli.ts';
import { getJson, refreshWith } from './sim-client.ts';

const CLOUD = 'lifecycle.cloudimanage.com';
const ONPREM = 'lifecycle.example';
const SEEDED = 'seed.example';
const CALLBACK = 'https://imanage-operator.example.test/oauth/callback';
const app = (clientId: string) => ({
  clientId,
  clientSecret: `${clientId}-secret`,
  allowRefreshToken: true,
  redirectUris: [CALLBACK],
});
const scenario = {
  hosts: [CLOUD, ONPREM, SEEDED].map((name) => ({ name, customers: ['100'] })),
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US' }],
      users: [{ username: 'jsmith', password: 'jsmith-pass' }],
      applications: [app('global'), app('own')],
    },
  ],
} as Scenario;

const ns = useTestNamespace('lifecycle');
let sim: RunningSimulator;
let op: OperatorProcess;
const tls = tlsSecretData('rsa');

const password = { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } };
async function caFile(pem: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'imanage-ca-')), 'ca.pem');
  await writeFile(path, pem);
  return path;
}

const common = (auth: object, tokens: object = {}) => ({
  caSecret: 'imanage-ca',
  extraSpec: { library: 'ACTIVE_US', auth, tokens },
});
const encryption = {
  encryption: { passphraseSecretRef: { name: 'passphrase' }, certificateSecretRef: { name: 'token-cert' } },
};
const encryptedConnection = (tokens: object) =>
  connection('encrypted', `https://${ONPREM}`, {
    clientSecretRef: 'own',
    ...common(password, tokens),
  });
const seededConnection = connection('seeded', `https://${SEEDED}`, {
  clientSecretRef: 'own',
  ...common({ grant: 'AuthorizationCode', credentialsSecretRef: { name: 'seed' } }),
});

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  await ns.apply(
    list(
      secret('global', { clientId: 'global', clientSecret: 'global-secret' }),
      secret('own', { clientId: 'own', clientSecret: 'own-secret' }),
      caSecret('imanage-ca', sim),
      secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
      secret('seed', { refreshToken: 'not-a-refresh-token-iManage-issued' }),
      secret('passphrase', { passphrase: PASSPHRASE }),
      secret(
        'token-cert',
        { 'tls.crt': tls['tls.crt'].toString(), 'tls.key': tls['tls.key'].toString() },
        'kubernetes.io/tls',
      ),
      connection('cloud', `https://${CLOUD}`, { connectionType: 'Cloud', customerId: '100', ...common(password) }),
      connection('onprem', `https://${ONPREM}`, { clientSecretRef: 'own', ...common(password) }),
      connection('unlinked', `https://${ONPREM}`, {
        clientSecretRef: 'own',
        ...common({ grant: 'AuthorizationCode' }),
      }),
      encryptedConnection(encryption),
      seededConnection,
    ),
  );
  op = await startOperator({
    namespace: ns.name,
    probes: true,
    tokens: true,
    resyncPeriod: '1s',
    // The default application's token requests trust the system's roots only, never a connection's
    // caBundleSecretRef (issue 18, finding 17): the simulator's CA joins them, as in the demo.
    env: { NODE_EXTRA_CA_CERTS: await caFile(sim.caPem) },
    extraArgs: [
      '--allow-loopback-probes',
      'true',
      '--resolve',
      resolveToSimulator(sim, [CLOUD, ONPREM, SEEDED]).join(','),
      '--default-client-secret',
      `${ns.name}/global`,
      `--callback-url=${CALLBACK}`,
      '--callback-address=127.0.0.1:0',
    ],
  });
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await sim?.stop();
});

async function storedTokens(name: string): Promise<{ data: Record<string, string> }> {
  const stored = await getObject<{ data: Record<string, string> }>(ns.name, 'secret', `${name}-tokens`);
  if (!stored) throw new Error(`no Secret ${name}-tokens`);
  return stored;
}
const plain = (s: { data: Record<string, string> }, key: string) => Buffer.from(s.data[key] ?? '', 'base64').toString();

describe('deletion', () => {
  it.each([
    ['cloud', CLOUD, 'global', "the operator's default application"],
    ['onprem', ONPREM, 'own', 'its own application'],
  ])('revokes the tokens of %s at iManage (%s, %s: %s) and goes', async (name, host, clientId) => {
    await waitForCondition(ns.name, 'imc', name, 'TokensReady', 'True', 'Linked');
    const refreshToken = plain(await storedTokens(name), 'refresh_token');
    const revokesBefore = sim.requestLog({ host, path: '/auth/oauth2/revoke-token' }).length;
    await ns.kubectl(['delete', 'imc', name, '--wait=true', '--timeout=30s']);
    expect(await getObject(ns.name, 'imc', name)).toBeUndefined();
    const revokes = sim.requestLog({ host, path: '/auth/oauth2/revoke-token' }).slice(revokesBefore);
    expect(revokes.map((r) => r.status)).toEqual([200, 200]);
    expect((await refreshWith(sim, host, clientId, refreshToken)).status).toBe(400);
  });
});

describe('not linked', () => {
  it('waits NotLinked with a one-time sign-in URL (PKCE S256, state) in the Secret status names, never in status', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'unlinked', 'TokensReady', 'False', 'NotLinked');
    const tokens = object.status?.['tokens'] as { signInSecret?: string; signInUrlExpiresAt?: string };
    expect(tokens.signInSecret).toBe('unlinked-sign-in');
    const url = new URL((await signInUrlOf(ns.name, 'unlinked')) ?? '');
    expect(JSON.stringify(object.status)).not.toContain(url.searchParams.get('state'));
    expect(`${url.origin}${url.pathname}`).toBe(`https://${ONPREM}/auth/oauth2/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(url.searchParams.get('state')).toMatch(/.{16,}/);
    expect(Date.parse(tokens.signInUrlExpiresAt ?? '') - Date.now()).toBeGreaterThan(60_000);
    expect(condition(object, 'Ready')).toMatchObject({ status: 'False', reason: 'NotLinked' });
    expect(condition(object, 'Ready')?.message).toMatch(
      /run imanage-operator link unlinked, which prints the sign-in URL \(kept in Secret 'unlinked-sign-in'/,
    );
  });
});

describe('encryption removed', () => {
  it('leaves the encrypted Secret as it is and says that spec.tokens.encryption was removed, and what to do', async () => {
    await waitForCondition(ns.name, 'imc', 'encrypted', 'TokensReady', 'True', 'Linked');
    const before = await storedTokens('encrypted');
    await ns.apply(list(encryptedConnection({})));
    const object = await waitForCondition(ns.name, 'imc', 'encrypted', 'TokensReady', 'False', 'EncryptionKeyChanged');
    const message = condition(object, 'TokensReady')?.message ?? '';
    expect(message).toMatch(/spec\.tokens\.encryption was removed, so the operator cannot read them/);
    expect(message).not.toMatch(/certificate key/);
    expect((await storedTokens('encrypted')).data).toEqual(before.data);
  });
});

describe('a refused seed', () => {
  it('is sent once, not on every reconcile; a new seed in the Secret is taken over', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'seeded', 'TokensReady', 'False', 'RefreshTokenRevoked');
    expect(condition(object, 'TokensReady')?.message).toMatch(
      /^iManage refused the refresh token in Secret 'seed' key refreshToken/,
    );
    // --resync-period 1s reconciles every second; the refused seed must not go out again.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const sent = sim.requestLog({ host: SEEDED, method: 'POST', path: '/auth/oauth2/token' });
    expect(sent.map((r) => r.status)).toEqual([400]);
    const seed = (await getJson(sim, SEEDED, 'own')).refresh_token;
    await ns.apply(list(secret('seed', { refreshToken: seed })));
    await waitFor(
      async () => {
        const now = await getObject(ns.name, 'imc', 'seeded');
        return condition(now, 'TokensReady')?.reason === 'Linked';
      },
      120_000,
      500,
      'the new seed taken over',
    );
  });
});
