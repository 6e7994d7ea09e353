// The registration probe end to end: for each environment's effective redirect URI the operator
// asks the simulator's authorize endpoint (never following the redirect), and combines the answer
// with spec.registration.requestedAt into Registered / NotRegistered / Pending / Overdue /
// InvalidClient, per environment and summed up in the Registered condition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, startOperator, waitFor, type KubeJson } from '../harness/operator.ts';
import {
  caSecret, condition, connection, environmentsOf, list, resolveToSimulator, secret, startFileSimulator,
  STATUS_TIMEOUT_MS, waitForCondition, waitForObject,
} from './helpers.ts';

const HOST = 'firm.cloudimanage.com';
/** Its authorize endpoint answers 429 with Retry-After, longer than the first backoff (≤ 11 s). */
const LIMITED_HOST = 'limited.cloudimanage.com';
const RETRY_AFTER_S = 12;
const URL_ = `https://${HOST}`;
const CUSTOMER = '100';
const HOUR_MS = 3_600_000;

const uri = (base: string): string => `${base}/externalServices/replyFrom`;
const env = (name: string, sub: string): { name: string; baseUrl: string } => ({ name, baseUrl: `https://${sub}.example.com` });

const scenario: Scenario = {
  hosts: [{ name: HOST, customers: [CUSTOMER] }, { name: LIMITED_HOST, customers: [CUSTOMER] }],
  faults: [{ kind: 'rate-limit', retryAfterSeconds: RETRY_AFTER_S, host: LIMITED_HOST, path: '/auth/oauth2/authorize' }],
  customers: [{
    id: CUSTOMER,
    applications: [
      {
        clientId: 'app-one', clientSecret: 'app-one-secret',
        redirectUris: ['all', 'all-uat', 'missing', 'pending', 'overdue'].map((s) => uri(`https://${s}.example.com`)),
      },
      // The operator's default application for Cloud connections without clientSecretRef.
      { clientId: 'global-app', clientSecret: 'global-app-secret', redirectUris: ['cloud', 'cloud-uat'].map((s) => uri(`https://${s}.example.com`)) },
    ],
  }],
};

const ns = useTestNamespace('registration');
let sim: RunningSimulator;

const cloud = (name: string, o: { app?: string; environments: { name: string; baseUrl: string }[]; requestedAt?: Date }): object =>
  connection(name, URL_, {
    connectionType: 'Cloud', customerId: CUSTOMER, caSecret: 'imanage-ca', environments: o.environments,
    ...(o.app ? { clientSecretRef: o.app } : {}),
    ...(o.requestedAt ? { requestedAt: o.requestedAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
  });

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  await ns.apply(list(
    secret('app-one', { clientId: 'app-one', clientSecret: 'app-one-secret' }),
    secret('unknown-app', { clientId: 'no-such-client', clientSecret: 'whatever' }),
    secret('global-app', { clientId: 'global-app' }),
    caSecret('imanage-ca', sim),
  ));
  await startOperator({
    namespace: ns.name, probes: true,
    extraArgs: ['--resolve', resolveToSimulator(sim, [HOST, LIMITED_HOST]).join(','), '--allow-loopback-probes', 'true', '--default-client-secret', `${ns.name}/global-app`],
  });
  const now = Date.now();
  await ns.apply(list(
    cloud('all', { app: 'app-one', environments: [env('production', 'all'), env('uat', 'all-uat')] }),
    cloud('missing', { app: 'app-one', environments: [env('production', 'missing'), env('uat', 'missing-uat')] }),
    cloud('pending', { app: 'app-one', environments: [env('production', 'pending'), env('uat', 'pending-uat')], requestedAt: new Date(now - HOUR_MS) }),
    cloud('overdue', {
      app: 'app-one', environments: [env('production', 'overdue'), env('uat', 'overdue-uat'), env('training', 'overdue-training')],
      requestedAt: new Date(now - 49 * HOUR_MS),
    }),
    cloud('invalid-client', { app: 'unknown-app', environments: [env('production', 'all')] }),
    cloud('default-app', { environments: [env('production', 'cloud'), env('uat', 'cloud-uat')] }),
    cloud('later', { app: 'app-one', environments: [env('production', 'later')], requestedAt: new Date(now - HOUR_MS) }),
    connection('rate-limited', `https://${LIMITED_HOST}`, {
      connectionType: 'Cloud', customerId: CUSTOMER, caSecret: 'imanage-ca', clientSecretRef: 'app-one', environments: [env('production', 'all')],
    }),
  ));
});

afterAll(async () => {
  await sim?.stop();
});

function environment(object: KubeJson, name: string) {
  const found = environmentsOf(object).find((e) => e.name === name);
  if (!found) throw new Error(`no status.environments entry '${name}' in ${JSON.stringify(object.status)}`);
  return found;
}

function expectRegistered(object: KubeJson, name: string, base: string): void {
  expect(environment(object, name)).toEqual({
    name, redirectUri: uri(base), registration: 'Registered', message: `iManage accepts ${uri(base)}`, checkedAt: expect.any(String),
  });
}

describe('the Registered condition and status.environments', () => {
  it('every environment registered: Registered=True, Ready=True', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'all', 'Registered', 'True', 'AllRegistered');
    expect(condition(object, 'Registered')!.message).toBe('all 2 redirect URIs are registered');
    expect(condition(object, 'Ready')).toMatchObject({ status: 'True', reason: 'Connected', message: `${URL_} is reachable and all 2 redirect URIs are registered.` });
    expectRegistered(object, 'production', 'https://all.example.com');
    expectRegistered(object, 'uat', 'https://all-uat.example.com');
    for (const e of environmentsOf(object)) expect(Date.parse(e.checkedAt!)).toBeLessThanOrEqual(Date.now());
  });

  it('one environment unregistered, no requestedAt: RedirectUriNotRegistered naming it, Ready=False', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'missing', 'Registered', 'False', 'RedirectUriNotRegistered');
    const message = condition(object, 'Registered')!.message;
    expect(message).toBe(`uat: NotRegistered — iManage refuses the URI (invalid_redirect_uri): ask iManage (through your vendor's support) to register ${uri('https://missing-uat.example.com')} for customer id ${CUSTOMER}, then set spec.registration.requestedAt`);
    expect(message).not.toMatch(/production/);
    expect(condition(object, 'Ready')).toMatchObject({ status: 'False', reason: 'RedirectUriNotRegistered', message: `spec.environments: ${message}` });
    expect(condition(object, 'Stalled')).toMatchObject({ status: 'True', reason: 'RedirectUriNotRegistered' });
    expectRegistered(object, 'production', 'https://missing.example.com');
    expect(environment(object, 'uat')).toMatchObject({ registration: 'NotRegistered', redirectUri: uri('https://missing-uat.example.com'), checkedAt: expect.any(String) });
  });

  it('requested an hour ago: Pending with the time left; Ready=Unknown and Reconciling=True (work in progress)', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'pending', 'Registered', 'False', 'RegistrationPending');
    const message = condition(object, 'Registered')!.message;
    expect(message).toBe('uat: Pending — registration requested 1 h ago; iManage takes 24–48 h, so expect it within 47 h');
    expect(condition(object, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'RegistrationPending', message });
    expect(condition(object, 'Reconciling')).toMatchObject({ status: 'True', reason: 'RegistrationPending' });
    expect(condition(object, 'Stalled')).toBeUndefined();
    expectRegistered(object, 'production', 'https://pending.example.com');
    expect(environment(object, 'uat')).toMatchObject({ registration: 'Pending', message: expect.stringMatching(/^registration requested 1 h ago/) });
  });

  it('requested 49 hours ago: Overdue, naming every failing environment and whom to contact; Ready=False', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'overdue', 'Registered', 'False', 'RegistrationOverdue');
    const message = condition(object, 'Registered')!.message;
    const overdue = (e: string, base: string): string =>
      `${e}: Overdue — registration was requested 49 h ago and iManage still refuses the URI (invalid_redirect_uri); contact iManage support (support@imanage.com) with ${uri(base)} for customer id ${CUSTOMER}`;
    expect(message).toBe(`${overdue('uat', 'https://overdue-uat.example.com')}; ${overdue('training', 'https://overdue-training.example.com')}`);
    expect(condition(object, 'Ready')).toMatchObject({ status: 'False', reason: 'RegistrationOverdue', message: `spec.environments: ${message}` });
    expectRegistered(object, 'production', 'https://overdue.example.com');
    expect(environment(object, 'uat').registration).toBe('Overdue');
    expect(environment(object, 'training').registration).toBe('Overdue');
  });

  it('a client id iManage does not know: InvalidClient for every environment', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'invalid-client', 'Registered', 'False', 'InvalidClient');
    // Named by where it is kept, never by its value: the Secret's reader may not be the connection's author.
    const message = "iManage does not know the client id in Secret 'unknown-app' key clientId; check it";
    expect(condition(object, 'Registered')!.message).toBe(`production: InvalidClient — ${message}`);
    expect(condition(object, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidClient' });
    expect(environment(object, 'production')).toMatchObject({ registration: 'InvalidClient', message });
    expect(JSON.stringify(object.status)).not.toContain('no-such-client');
  });

  it('a Cloud connection without clientSecretRef is asked about with the --default-client-secret application', async () => {
    const object = await waitForCondition(ns.name, 'imc', 'default-app', 'Registered', 'True', 'AllRegistered');
    expect(condition(object, 'Ready')).toMatchObject({ status: 'True', reason: 'Connected' });
    expectRegistered(object, 'production', 'https://cloud.example.com');
    const asked = sim.requestLog({ host: HOST, path: '/auth/oauth2/authorize' }).filter((e) => e.query['redirect_uri'] === uri('https://cloud.example.com'));
    expect(asked.length).toBeGreaterThanOrEqual(1);
    expect(asked.every((e) => e.query['client_id'] === 'global-app')).toBe(true);
  });

  it('the probe never follows the redirect to the sign-in page, nor signs anyone in', async () => {
    await waitForCondition(ns.name, 'imc', 'all', 'Registered', 'True', 'AllRegistered');
    const authorize = sim.requestLog({ host: HOST, path: '/auth/oauth2/authorize' });
    expect(authorize.length).toBeGreaterThan(0);
    expect(authorize.every((e) => e.method === 'GET' && [302, 400].includes(e.status))).toBe(true);
    expect(sim.requestLog({ host: HOST, path: '/auth/signin' })).toEqual([]);
    expect(sim.requestLog({ host: HOST, path: '/auth/oauth2/token' })).toEqual([]);
  });
});

describe('a rate-limited authorize endpoint', () => {
  it(`is RegistrationUnknown, and its Retry-After (${RETRY_AFTER_S} s) is honoured before the next registration probe`, async () => {
    const object = await waitForCondition(ns.name, 'imc', 'rate-limited', 'Registered', 'False', 'RegistrationUnknown');
    expect(condition(object, 'Registered')!.message).toMatch(
      new RegExp(`^production: Unknown — could not tell whether iManage accepts ${uri('https://all.example.com').replace(/[.]/g, '\\.')}: HTTP 429`));
    expect(condition(object, 'Ready')).toMatchObject({ status: 'False', reason: 'RegistrationUnknown' });
    // iManage could not be asked: retried by itself, not stalled.
    expect(condition(object, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    expect(condition(object, 'Stalled')).toBeUndefined();
    expect(condition(object, 'Reachable')).toMatchObject({ status: 'True', reason: 'Reachable' });
    const asked = await waitFor(() => {
      const seen = sim.requestLog({ host: LIMITED_HOST, path: '/auth/oauth2/authorize' });
      return seen.length >= 2 && seen;
    }, 90_000, 500, `two registration probes of ${LIMITED_HOST}`);
    expect(asked[0]).toMatchObject({ status: 429, fault: 'rate-limit' });
    expect(Date.parse(asked[1]!.time) - Date.parse(asked[0]!.time)).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
  }, 120_000);
});

describe('a pending registration that completes', () => {
  it('turns Registered at the next probe, with nobody touching the object', async () => {
    const before = await waitForObject(ns.name, 'imc', 'later', 'Pending', (o) => environmentsOf(o)[0]?.registration === 'Pending');
    expect(condition(before, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'RegistrationPending' });
    // iManage completes the registration 5 s from now (as it would after 24–48 h).
    const registeredAt = Date.now() + 5_000;
    sim.admin.requestRedirectUri(CUSTOMER, 'app-one', { uri: uri('https://later.example.com'), registeredAfterSeconds: 5 });

    const after = await waitForCondition(ns.name, 'imc', 'later', 'Registered', 'True', 'AllRegistered', STATUS_TIMEOUT_MS);
    expect(condition(after, 'Ready')).toMatchObject({ status: 'True', reason: 'Connected' });
    expectRegistered(after, 'production', 'https://later.example.com');
    // Seen by a probe sent after the registration took effect, not by an edit of the object.
    expect(Date.parse(environment(after, 'production').checkedAt!)).toBeGreaterThanOrEqual(registeredAt);
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec).toEqual(before.spec);
    const notStatus = (o: KubeJson) => ((o.metadata as { managedFields?: { subresource?: string }[] }).managedFields ?? []).filter((f) => f.subresource !== 'status');
    expect(notStatus(after)).toEqual(notStatus(before));
    expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
    // And the status of the object as read now agrees (no later probe flipped it back).
    expect(condition(await getObject(ns.name, 'imc', 'later'), 'Registered')).toMatchObject({ status: 'True' });
  }, 120_000);
});
