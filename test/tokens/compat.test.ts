// The operator against iManage as public clients show it (issue 19), the simulator answering in
// each shape per host: a refresh token iManage refuses is RefreshTokenRevoked whether the error
// is RFC 6749's, iManage's own object or an array; token responses without token_type still link;
// discovery with customer_id as a number and dms_version puts the version in status; a client
// registered without a secret links by the password grant; spec.auth.pkce Disabled gives a
// sign-in URL without PKCE for a server that refuses parameters it does not know.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { signInUrlOf } from './link-cli.ts';
import { type OperatorProcess, startOperator } from '../harness/operator.ts';
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

const HOSTS = {
  rfc: 'rfc.compat.example',
  imanage: 'imanage.compat.example',
  array: 'array.compat.example',
  numeric: 'numeric.compat.example',
  strict: 'strict.compat.example',
} as const;
const CALLBACK = 'https://imanage-operator.example.test/oauth/callback';
const scenario: Scenario = {
  hosts: [
    { name: HOSTS.rfc, customers: ['100'] },
    { name: HOSTS.imanage, customers: ['100'], dialect: { tokenErrors: 'imanage', tokenType: 'omit' } },
    { name: HOSTS.array, customers: ['100'], dialect: { tokenErrors: 'array', tokenType: 'omit' } },
    {
      name: HOSTS.numeric,
      customers: ['100'],
      dmsVersion: '10.4.2',
      dialect: { customerIdAs: 'number', tokenType: 'omit' },
    },
    { name: HOSTS.strict, customers: ['100'], dialect: { unknownParameters: 'reject' } },
  ],
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US' }],
      users: [{ username: 'jsmith', password: 'jsmith-pass' }],
      applications: [
        { clientId: 'own', clientSecret: 'own-secret', allowRefreshToken: true, redirectUris: [CALLBACK] },
        { clientId: 'desktop-auth', grants: ['password'], allowRefreshToken: true },
      ],
    },
  ],
};

const ns = useTestNamespace('compat');
let sim: RunningSimulator;
let op: OperatorProcess;

const onprem = (name: string, host: string, auth: object, clientSecretRef = 'own') =>
  connection(name, `https://${host}`, {
    clientSecretRef,
    caSecret: 'imanage-ca',
    extraSpec: { library: 'ACTIVE_US', auth },
  });
const seeded = { grant: 'AuthorizationCode', credentialsSecretRef: { name: 'seed' } };
const password = { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } };

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  await ns.apply(
    list(
      secret('own', { clientId: 'own', clientSecret: 'own-secret' }),
      secret('desktop', { clientId: 'desktop-auth' }),
      caSecret('imanage-ca', sim),
      secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
      secret('seed', { refreshToken: 'not-a-refresh-token-iManage-issued' }),
      onprem('dead-rfc', HOSTS.rfc, seeded),
      onprem('dead-imanage', HOSTS.imanage, seeded),
      onprem('dead-array', HOSTS.array, seeded),
      connection('numeric', `https://${HOSTS.numeric}`, {
        clientSecretRef: 'own',
        caSecret: 'imanage-ca',
        extraSpec: { library: 'ACTIVE_US', customerId: '100', auth: password },
      }),
      onprem('secretless', HOSTS.imanage, password, 'desktop'),
      onprem('no-pkce', HOSTS.strict, { grant: 'AuthorizationCode', pkce: 'Disabled' }),
    ),
  );
  op = await startOperator({
    namespace: ns.name,
    probes: true,
    tokens: true,
    resyncPeriod: '1s',
    extraArgs: [
      '--allow-loopback-probes',
      'true',
      '--resolve',
      resolveToSimulator(sim, Object.values(HOSTS)).join(','),
      `--callback-url=${CALLBACK}`,
      '--callback-address=127.0.0.1:0',
    ],
  });
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await sim?.stop();
});

describe('a refresh token iManage refuses', () => {
  it.each([
    ['RFC 6749 {"error":"invalid_grant"}', 'dead-rfc'],
    ['iManage\'s {"error":{"code":"INVALID_GRANT",…}}', 'dead-imanage'],
    ['{"error":[{"code":"invalid_grant",…}]}', 'dead-array'],
  ])('is RefreshTokenRevoked with the re-link advice when iManage answers %s', async (_shape, name) => {
    const object = await waitForCondition(ns.name, 'imc', name, 'TokensReady', 'False', 'RefreshTokenRevoked');
    expect(condition(object, 'TokensReady')?.message).toMatch(/^iManage refused the refresh token/);
  });
});

describe('tokens and discovery as public clients see them', () => {
  it('links without token_type, and shows the dms_version and the numeric customer id in status', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'numeric', 'Ready', 'True', 'Connected');
    expect(object.status?.['server']).toMatchObject({ customerId: '100', version: '10.4.2' });
  });

  it('links a client registered without a secret by the password grant', async () => {
    await waitForCondition(ns.name, 'imc', 'secretless', 'TokensReady', 'True', 'Linked');
    const sent = sim.requestLog({ host: HOSTS.imanage, method: 'POST', path: '/auth/oauth2/token' });
    expect(sent.some((r) => r.status === 200)).toBe(true);
  });

  it('offers a sign-in URL without PKCE when spec.auth.pkce is Disabled', async () => {
    await waitForCondition(ns.name, 'imc', 'no-pkce', 'TokensReady', 'False', 'NotLinked');
    // The sign-in URL is kept in the Secret <name>-sign-in (status.tokens.signInSecret names it).
    const url = new URL((await signInUrlOf(ns.name, 'no-pkce')) ?? '');
    expect(url.host).toBe(HOSTS.strict);
    expect(url.searchParams.has('code_challenge')).toBe(false);
    expect(url.searchParams.has('code_challenge_method')).toBe(false);
  });
});
