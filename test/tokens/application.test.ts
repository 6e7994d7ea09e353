// What the operator learns of an iManage application, against the real API server with the
// simulator as iManage (issues 11 and 14): its own sign-in callback is probed like any redirect
// URI (registered, and not: CallbackNotRegistered); what the token responses tell (a refresh token
// or none, expires_in) is compared with the grant and the profile (ApplicationSettingsMismatch),
// including an account linked through the callback on an application that issues no refresh
// token. Every request stays on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { signInThroughBrowser } from '../../simulator/testing/browser.ts';
import { send } from '../../simulator/testing/client.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { signInUrlOf } from './link-cli.ts';
import { type KubeJson, type OperatorProcess, startOperator } from '../harness/operator.ts';
import {
  caSecret,
  condition,
  connection,
  environmentsOf,
  list,
  resolveToSimulator,
  secret,
  startFileSimulator,
  waitForCondition,
} from '../probes/helpers.ts';

const ONPREM = 'apps.example';
const CLOUD = 'apps.cloudimanage.com';
const CALLBACK = 'https://imanage-operator.example.test/oauth/callback';
const SYNCLY_REDIRECT = 'https://firm.syncly.io/api/connectors/authorised';
const app = (clientId: string, settings: object) => ({ clientId, clientSecret: `${clientId}-secret`, ...settings });
const scenario = {
  hosts: [
    { name: ONPREM, customers: ['100'] },
    { name: CLOUD, customers: ['100'] },
  ],
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US' }],
      users: [{ username: 'jsmith', password: 'jsmith-pass' }],
      applications: [
        app('cb-yes', { redirectUris: [CALLBACK], allowRefreshToken: true }),
        app('cb-no', { redirectUris: [], allowRefreshToken: true }),
        app('as-30', { allowRefreshToken: true, accessTokenMinutes: 30 }),
        app('as-90', { allowRefreshToken: true, accessTokenMinutes: 90 }),
        app('no-refresh', { redirectUris: [CALLBACK, SYNCLY_REDIRECT], allowRefreshToken: false }),
      ],
    },
  ],
} as Scenario;

const ns = useTestNamespace('appsettings');
let sim: RunningSimulator;
let op: OperatorProcess;
const password = { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } };
const onPremise = (name: string, clientId: string, extraSpec: object) =>
  connection(name, `https://${ONPREM}`, {
    clientSecretRef: clientId,
    caSecret: 'imanage-ca',
    extraSpec: { library: 'ACTIVE_US', ...extraSpec },
  });
const actionstep = (name: string, clientId: string) =>
  connection(name, `https://${CLOUD}`, {
    connectionType: 'Cloud',
    customerId: '100',
    clientSecretRef: clientId,
    caSecret: 'imanage-ca',
    extraSpec: { profile: 'Actionstep', library: 'ACTIVE_US', auth: password },
  });

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  const clients = ['cb-yes', 'cb-no', 'as-30', 'as-90', 'no-refresh'];
  await ns.apply(
    list(
      ...clients.map((id) => secret(id, { clientId: id, clientSecret: `${id}-secret` })),
      secret('jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
      caSecret('imanage-ca', sim),
      onPremise('callback-registered', 'cb-yes', { auth: { grant: 'AuthorizationCode' } }),
      onPremise('callback-missing', 'cb-no', { auth: { grant: 'AuthorizationCode' } }),
      onPremise('linked-no-refresh', 'no-refresh', { auth: { grant: 'AuthorizationCode' } }),
      onPremise('syncly-no-refresh', 'no-refresh', {
        profile: 'Syncly',
        auth: password,
        environments: [{ name: 'production', baseUrl: 'https://firm.syncly.io', redirectUri: SYNCLY_REDIRECT }],
      }),
      actionstep('actionstep-30', 'as-30'),
      actionstep('actionstep-90', 'as-90'),
    ),
  );
  op = await startOperator({
    namespace: ns.name,
    probes: true,
    tokens: true,
    extraArgs: [
      '--allow-loopback-probes=true',
      ...resolveToSimulator(sim, [ONPREM, CLOUD]).flatMap((r) => ['--resolve', r]),
      `--callback-url=${CALLBACK}`,
      '--callback-address=127.0.0.1:0',
    ],
  });
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await sim?.stop();
});

const conditionOf = (name: string, type: string, status: string, reason: string) =>
  waitForCondition(ns.name, 'imc', name, type, status, reason);
const callbackRow = (o: KubeJson) => environmentsOf(o).find((e) => e.name === 'operator:callback');

describe("the operator's sign-in callback", () => {
  it('registered: its row says so, and the connection waits only for the link', async () => {
    const object = await conditionOf('callback-registered', 'Ready', 'False', 'NotLinked');
    expect(callbackRow(object)).toMatchObject({ redirectUri: CALLBACK, registration: 'Registered' });
    expect(condition(object, 'Registered')).toMatchObject({ status: 'True' });
  });

  it('not registered: CallbackNotRegistered, with where to register it', async () => {
    const object = await conditionOf('callback-missing', 'Ready', 'False', 'CallbackNotRegistered');
    expect(callbackRow(object)).toMatchObject({ redirectUri: CALLBACK, registration: 'NotRegistered' });
    expect(condition(object, 'Registered')).toMatchObject({ status: 'False', reason: 'CallbackNotRegistered' });
    expect(condition(object, 'Ready')?.message).toMatch(
      /operator:callback: NotRegistered — iManage refuses the operator's sign-in callback .* in Control Center/,
    );
    expect(condition(object, 'TokensReady')).toMatchObject({ status: 'False', reason: 'NotLinked' });
  });
});

describe('ApplicationSettingsMismatch', () => {
  it('Actionstep with a 30-minute access token: warned with the setting to change, Ready stays True', async () => {
    const object = await conditionOf('actionstep-30', 'TokensReady', 'True', 'ApplicationSettingsMismatch');
    expect(condition(object, 'TokensReady')?.message).toMatch(
      /Access Token Expiry is 30 minutes \(expires_in 1800\), expected 90 minutes, because profile Actionstep \(Actionstep's iManage guide/,
    );
    expect(condition(object, 'Ready')).toMatchObject({ status: 'True', reason: 'Connected' });
  });

  it('Actionstep with the settings seed 003 lists: Linked', async () => {
    await conditionOf('actionstep-90', 'TokensReady', 'True', 'Linked');
  });

  it('Syncly on an application without refresh tokens: warned (the password grants again)', async () => {
    const object = await conditionOf('syncly-no-refresh', 'TokensReady', 'True', 'ApplicationSettingsMismatch');
    expect(condition(object, 'TokensReady')?.message).toMatch(
      /Allow Refresh Token is No \(iManage returned no refresh token\), expected Yes, because profile Syncly \(Syncly's iManage on-premise guide/,
    );
  });

  it('an account linked on an application without refresh tokens cannot be renewed: Ready=False', async () => {
    const waiting = await conditionOf('linked-no-refresh', 'Ready', 'False', 'NotLinked');
    expect(waiting.status?.['tokens']).toMatchObject({ signInSecret: 'linked-no-refresh-sign-in' });
    const signInUrl = String(await signInUrlOf(ns.name, 'linked-no-refresh'));
    const callback = await signInThroughBrowser({ port: sim.httpsPort, host: ONPREM, ca: sim.caPem }, signInUrl, {
      username: 'jsmith',
      password: 'jsmith-pass',
    });
    const served = await op.waitForLog((e) => e?.msg === 'sign-in callback served', 10_000);
    const port = Number(/:(\d+)$/.exec(String(served['address']))?.[1]);
    const page = await send({ port, host: callback.host }, { path: `${callback.pathname}${callback.search}` });
    expect(page.status, page.text).toBe(200);
    const object = await conditionOf('linked-no-refresh', 'Ready', 'False', 'ApplicationSettingsMismatch');
    expect(condition(object, 'TokensReady')).toMatchObject({ status: 'False', reason: 'ApplicationSettingsMismatch' });
    expect(condition(object, 'Stalled')).toMatchObject({ status: 'True' });
    expect(condition(object, 'Ready')?.message).toMatch(
      /Allow Refresh Token is No .* because the AuthorizationCode grant renews .* only with a refresh token/,
    );
    expect(condition(object, 'Ready')?.message).toMatch(/then link the account again \(imanage-operator link/);
  });
});
