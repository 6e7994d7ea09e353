// Tokens end to end (issue 11): the operator as a process, the simulator as iManage, the real API
// server. Password grant, client credentials accepted and refused, a seeded refresh token taken
// over, refresh with both rotation kinds, the encrypted Secret decrypted with jose alone (the
// shipped example), a changed passphrase (EncryptionKeyChanged, tokens intact), rotation with
// previousPassphraseSecretRef, and a canary scan: no token value in logs, Events, status, metrics
// or the Secret's metadata. Access tokens live 60 s (the simulator's minimum) and refreshBefore
// is 55s, so each connection refreshes every few seconds.
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptTokenSecret } from '../../examples/decrypt/decrypt.ts';
import { OTHER_PASSPHRASE, PASSPHRASE, tlsSecretData } from '../../operator/tokens/testdata/fixtures.ts';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, type KubeJson, type OperatorProcess, startOperator, waitFor } from '../harness/operator.ts';
import {
  caSecret, condition, connection, leakForms, list, resolveToSimulator, secret, startFileSimulator,
  waitForCondition, waitForObject,
} from '../probes/helpers.ts';

const HOST = 'tokens.example';
const URL_ = `https://${HOST}`;
const app = (clientId: string, extra: Record<string, unknown> = {}) => ({
  clientId, clientSecret: `${clientId}-secret`, allowRefreshToken: true, accessTokenMinutes: 1, ...extra,
});
const scenario: Scenario = {
  hosts: [{ name: HOST, customers: ['100'] }],
  customers: [{
    id: '100',
    libraries: [{ id: 'ACTIVE_US' }],
    users: [{ username: 'jsmith', password: 'jsmith-pass' }, { username: 'svc', password: 'svc-pass' }],
    applications: [
      app('strict', { grants: ['authorization_code', 'password'] }),
      app('grace', { grants: ['authorization_code', 'password'], refreshTokenRotation: 'until-new-token-used' }),
      app('service', { grants: ['client_credentials'], serviceUser: 'svc' }),
    ],
  }],
} as Scenario;

const ns = useTestNamespace('tokens');
let sim: RunningSimulator;
let op: OperatorProcess;
let seed: string;

const appSecret = (clientId: string) => secret(clientId, { clientId, clientSecret: `${clientId}-secret` });
const tls = tlsSecretData('rsa');
const tokenConnection = (name: string, clientId: string, auth: Record<string, unknown>, tokens: Record<string, unknown> = {}) =>
  connection(name, URL_, {
    clientSecretRef: clientId, caSecret: 'imanage-ca',
    extraSpec: { library: 'ACTIVE_US', auth, tokens: { refreshBefore: '55s', ...tokens } },
  });
const encryption = (passphraseSecret: string, previous?: string) => ({
  encryption: {
    passphraseSecretRef: { name: passphraseSecret, key: 'passphrase' },
    certificateSecretRef: { name: 'token-cert' },
    ...(previous ? { previousPassphraseSecretRef: { name: previous, key: 'passphrase' } } : {}),
  },
});

/** A refresh token for jsmith on the grace application, as an admin would obtain one. */
async function obtainSeed(): Promise<string> {
  const { getJson } = await import('./sim-client.ts');
  const answer = await getJson(sim, HOST, 'grace');
  return answer.refresh_token;
}

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  seed = await obtainSeed();
  await ns.apply(list(
    appSecret('strict'), appSecret('grace'), appSecret('service'), caSecret('imanage-ca', sim),
    secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
    secret('seed', { refreshToken: seed }),
    secret('passphrase', { passphrase: PASSPHRASE }),
    secret('passphrase-2', { passphrase: OTHER_PASSPHRASE }),
    secret('token-cert', { 'tls.crt': tls['tls.crt'].toString(), 'tls.key': tls['tls.key'].toString() }, 'kubernetes.io/tls'),
    tokenConnection('password', 'strict', { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } }),
    tokenConnection('service', 'service', { grant: 'ClientCredentials' }),
    tokenConnection('refused', 'strict', { grant: 'ClientCredentials' }),
    tokenConnection('seeded', 'grace', { grant: 'AuthorizationCode', credentialsSecretRef: { name: 'seed' } }),
    tokenConnection('encrypted', 'grace', { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } },
      encryption('passphrase')),
  ));
  op = await startOperator({
    namespace: ns.name, probes: true, tokens: true, logLevel: 'debug',
    extraArgs: ['--allow-loopback-probes', 'true', '--resolve', resolveToSimulator(sim, [HOST]).join(',')],
  });
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await sim?.stop();
});

const tokensOf = (o: KubeJson) => o.status?.['tokens'] as Record<string, string | boolean> | undefined;

interface SecretJson {
  metadata: KubeJson['metadata'] & { annotations?: Record<string, string>; ownerReferences?: { uid: string }[] };
  data: Record<string, string>;
}

async function secretJson(name: string): Promise<SecretJson> {
  return (await getObject(ns.name, 'secret', name)) as unknown as SecretJson;
}

const plain = (s: { data: Record<string, string> }, key: string) => Buffer.from(s.data[key] ?? '', 'base64').toString();

describe('grants', () => {
  it('password grant: a plain/v1 Secret owned by the connection, TokensReady Linked, Ready Connected', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'password', 'TokensReady', 'True', 'Linked');
    expect(condition(object, 'Ready')).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(tokensOf(object)).toMatchObject({ secretName: 'password-tokens', encrypted: false, account: 'JSMITH' });
    const stored = await secretJson('password-tokens');
    expect(stored.metadata.annotations?.['imanage.operator.dev/token-format']).toBe('plain/v1');
    expect(stored.metadata.ownerReferences?.[0]?.uid).toBe(object.metadata.uid);
    expect(plain(stored, 'access_token')).not.toBe('');
    expect((object.status?.['server'] as { customerId?: string }).customerId).toBe('100');
  });

  it('client credentials: accepted where the application allows them, GrantNotSupported in plain words where not', async () => {
    await waitForCondition(ns.name, 'imc', 'service', 'TokensReady', 'True', 'Linked');
    const refused = await waitForCondition(ns.name, 'imc', 'refused', 'TokensReady', 'False', 'GrantNotSupported');
    expect(condition(refused, 'TokensReady')?.message).toMatch(/does not allow the client credentials grant/);
    expect(condition(refused, 'Ready')).toMatchObject({ status: 'False', reason: 'GrantNotSupported' });
  });

  it('refresh with strict rotation: lastRefreshAt moves and the previous refresh token stops working', async () => {
    const first = await secretJson('password-tokens');
    const before = plain(first, 'refresh_token');
    const refreshed = await waitFor(async () => {
      const now = await secretJson('password-tokens');
      return plain(now, 'refresh_token') !== before && now;
    }, 60_000, 500, 'a refresh of password-tokens');
    expect(plain(refreshed, 'access_token')).not.toBe(plain(first, 'access_token'));
    const { refreshWith } = await import('./sim-client.ts');
    expect((await refreshWith(sim, HOST, 'strict', before)).status).toBe(400);
  });

  it('seeded refresh token: taken over, rotated (grace rotation), and the seed is spent once the new one is used', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'seeded', 'TokensReady', 'True', 'Linked');
    expect(condition(object, 'TokensReady')?.message).toMatch(/taken over and rotated: it no longer works/);
    const taken = plain(await secretJson('seeded-tokens'), 'refresh_token');
    expect(taken).not.toBe(seed);
    await waitFor(async () => plain(await secretJson('seeded-tokens'), 'refresh_token') !== taken, 60_000, 500,
      'a second refresh of seeded-tokens');
    const { refreshWith } = await import('./sim-client.ts');
    expect((await refreshWith(sim, HOST, 'grace', seed)).status).toBe(400);
  });
});

describe('encryption', () => {
  it('the encrypted Secret decrypts with jose alone (examples/decrypt)', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'encrypted', 'TokensReady', 'True', 'Linked');
    expect(tokensOf(object)).toMatchObject({ encrypted: true, secretName: 'encrypted-tokens' });
    const stored = await secretJson('encrypted-tokens');
    expect(stored.data['access_token']).toBeUndefined();
    const payload = await decryptTokenSecret(stored, createPrivateKey(tls['tls.key']), PASSPHRASE) as Record<string, string>;
    expect(payload['access_token']).toMatch(/.+/);
    expect(payload['refresh_token']).toMatch(/.+/);
  });

  it('a changed passphrase: EncryptionKeyChanged, the Secret untouched; previousPassphraseSecretRef re-encrypts', async () => {
    await ns.apply(list(tokenConnection('encrypted', 'grace', { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } },
      encryption('passphrase-2'))));
    const changed = await waitForCondition(ns.name, 'imc', 'encrypted', 'TokensReady', 'False', 'EncryptionKeyChanged');
    expect(condition(changed, 'TokensReady')?.message).toMatch(/previousPassphraseSecretRef/);
    // Untouched: still sealed under the old passphrase, not re-sealed under the new one. (Not a
    // byte comparison with a copy read before the change: a refresh due in between rewrites the
    // Secret under the old passphrase, correctly, and failed that comparison under load.)
    const intact = await secretJson('encrypted-tokens');
    await expect(decryptTokenSecret(intact, createPrivateKey(tls['tls.key']), OTHER_PASSPHRASE)).rejects.toThrow();
    const readable = await decryptTokenSecret(intact, createPrivateKey(tls['tls.key']), PASSPHRASE) as Record<string, string>;
    expect(readable['refresh_token']).toMatch(/.+/);
    await ns.apply(list(tokenConnection('encrypted', 'grace', { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } },
      encryption('passphrase-2', 'passphrase'))));
    await waitForObject(ns.name, 'imc', 'encrypted', 'TokensReady Linked after rotation',
      (o) => condition(o, 'TokensReady')?.reason === 'Linked');
    const rotated = await secretJson('encrypted-tokens');
    const opened = await decryptTokenSecret(rotated, createPrivateKey(tls['tls.key']), OTHER_PASSPHRASE) as Record<string, string>;
    expect(opened['access_token']).toMatch(/.+/);
  });
});

describe('canary', () => {
  it('no token value appears in logs, Events, status, metrics or any token Secret metadata', async () => {
    const values = new Set<string>([seed]);
    for (const name of ['password-tokens', 'service-tokens', 'seeded-tokens']) {
      const s = await secretJson(name);
      for (const key of ['access_token', 'refresh_token']) if (s.data[key]) values.add(plain(s, key));
    }
    const enc = await secretJson('encrypted-tokens');
    const opened = await decryptTokenSecret(enc, createPrivateKey(tls['tls.key']), OTHER_PASSPHRASE) as Record<string, string>;
    values.add(opened['access_token']!);
    const statuses = await Promise.all(['password', 'service', 'refused', 'seeded', 'encrypted'].map((n) => getObject(ns.name, 'imc', n)));
    const metadata = await Promise.all(['password', 'service', 'seeded', 'encrypted'].map(async (n) => (await secretJson(`${n}-tokens`)).metadata));
    const events = await ns.kubectl(['get', 'events.events.k8s.io', '-o', 'json']);
    const haystacks = {
      logs: op.logs().join('\n'),
      events: events.stdout,
      status: JSON.stringify(statuses.map((s) => s?.status)),
      metrics: await op.metrics(),
      secretMetadata: JSON.stringify(metadata),
    };
    for (const value of values) {
      for (const [where, text] of Object.entries(haystacks)) {
        for (const form of leakForms(value)) expect(text.includes(form), `a token in ${where}`).toBe(false);
      }
    }
    expect(haystacks.metrics).toMatch(/imanage_token_expiry_seconds\{[^}]*name="password"/);
    expect(haystacks.metrics).toMatch(/imanage_token_requests_total\{[^}]*grant="refresh_token",result="success"/);
  });
});
