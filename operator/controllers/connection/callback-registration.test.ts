// The operator's sign-in callback is a redirect URI like any other (issue 11): for an
// AuthorizationCode connection the registration probe asks the simulator about it beside the
// environments, status.environments shows it as the row `operator:callback`, and while the account
// must be linked an unregistered callback holds Ready back with its own reason. Loopback only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../../simulator/index.ts';
import { REDIRECT, scenario, VANITY } from '../../../simulator/testing/fixture.ts';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import { HostOverrides, ProbeGuard } from '../../imanage/network.ts';
import { ProbeCache } from '../../imanage/probe-cache.ts';
import type { ReachabilityResult } from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { decideConnection } from './decide.ts';
import { CALLBACK_ROW, connectionFacts } from '../../api/connection.ts';
import type { TokenObservation } from './observed.ts';
import { observeProbes, type ProbeSettings } from './probes.ts';
import { registrationState, summarizeRegistration } from './registration.ts';

const CALLBACK = 'https://imanage-operator.example.test/oauth/callback';
const now = new Date('2026-11-23T12:00:00Z');
let sim: RunningSimulator;
let settings: ProbeSettings;

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  sim.admin.putApplication('100', {
    clientId: 'with-callback',
    clientSecret: 's1',
    redirectUris: [REDIRECT, CALLBACK],
  });
  sim.admin.putApplication('100', { clientId: 'without-callback', clientSecret: 's2', redirectUris: [REDIRECT] });
  const clock = new FakeClock(now.getTime());
  settings = {
    reachability: new ProbeCache<ReachabilityResult>({ clock }),
    registration: new ProbeCache<RegistrationOutcome>({ clock }),
    overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
    blocked: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
    expiryWarningDays: 14,
    now: () => clock.now(),
  };
});
afterAll(() => sim.stop());

const connection = (grant: string) =>
  mergePatch(baseConnection(), {
    metadata: { name: `cb-${grant.toLowerCase()}`, generation: 1 },
    spec: {
      environments: [{ name: 'production', baseUrl: 'https://app.example', redirectUri: REDIRECT }],
      auth: { grant },
    },
  });
const notLinked: TokenObservation = {
  secretName: 'acme-tokens',
  encrypted: false,
  grant: 'AuthorizationCode',
  notLinked: { signIn: { url: `https://${VANITY}/auth/oauth2/authorize?state=s`, expiresAt: now } },
};
const linked: TokenObservation = {
  secretName: 'acme-tokens',
  encrypted: false,
  grant: 'AuthorizationCode',
  payload: {
    access_token: 'a',
    token_type: 'Bearer',
    refresh_token: 'r',
    obtained_at: now.toISOString(),
    access_token_expires_at: '2026-11-23T12:30:00.000Z',
    refresh_token_expires_at: '2027-11-23T12:00:00.000Z',
  },
};

/** Probes the simulator as the controller does, then decides; the ca comes from the simulator. */
async function probeAndDecide(clientId: string, tokens: TokenObservation, grant = 'AuthorizationCode') {
  const c = connection(grant);
  const facts = connectionFacts(c, CALLBACK);
  const probed = await observeProbes(settings, `ns/${c.metadata.name}-${clientId}`, facts, { clientId, ca: sim.caPem });
  const d = decideConnection(c, { ...probed, tokens }, now, facts);
  const byType = Object.fromEntries(d.conditions.set.map((x) => [x.type, x]));
  const row = d.status.environments?.find((e) => e.name === CALLBACK_ROW);
  return { d, byType, row, probed };
}

describe("the operator's callback in the registration probe", () => {
  it('registered: a row of its own, Registered, and Ready as before', async () => {
    const { byType, row } = await probeAndDecide('with-callback', linked);
    expect(row).toMatchObject({ redirectUri: CALLBACK, registration: 'Registered' });
    expect(byType['Registered']).toMatchObject({ status: 'True', reason: 'AllRegistered' });
    expect(byType['Ready']).toMatchObject({ status: 'True', reason: 'Connected' });
  });

  it('not registered while the account must be linked: CallbackNotRegistered, with the Control Center fix', async () => {
    const { byType, row, d } = await probeAndDecide('without-callback', notLinked);
    expect(row).toMatchObject({ redirectUri: CALLBACK, registration: 'NotRegistered' });
    expect(byType['Registered']).toMatchObject({ status: 'False', reason: 'CallbackNotRegistered' });
    expect(byType['Ready']).toMatchObject({ status: 'False', reason: 'CallbackNotRegistered' });
    expect(d.failure?.fieldPath).toBe('spec.environments');
    expect(row?.message).toMatch(/^iManage refuses the operator's sign-in callback https:\/\/imanage-operator/);
    expect(row?.message).toMatch(/cannot be linked: add it to the redirect URIs of the application .* Control Center/);
    expect(row?.message).toMatch(/for iManage Cloud, ask iManage .* for customer id 100$/);
  });

  it('not registered once linked: shown in its row, but the linked connection stays Ready', async () => {
    const { byType, row } = await probeAndDecide('without-callback', linked);
    expect(row).toMatchObject({ registration: 'NotRegistered' });
    expect(byType['Registered']).toMatchObject({ status: 'True' });
    expect(byType['Ready']).toMatchObject({ status: 'True', reason: 'Connected' });
  });

  it('a refused refresh token needs a link again: the unregistered callback holds Ready back again', async () => {
    const revoked = { ...linked, failure: { kind: 'RefreshTokenRevoked', detail: 'invalid_grant' } } as const;
    const { byType } = await probeAndDecide('without-callback', revoked);
    expect(byType['Ready']).toMatchObject({ status: 'False', reason: 'CallbackNotRegistered' });
  });

  it('is neither probed nor shown for a grant that never links interactively', async () => {
    const { row, probed } = await probeAndDecide('without-callback', { ...linked, grant: 'Password' }, 'Password');
    expect(row).toBeUndefined();
    expect([...(probed.registrations?.keys() ?? [])]).toEqual(['production']);
  });
});

describe('summarizeRegistration with the callback', () => {
  const state = (name: string, s: 'NotRegistered' | 'Registered' | 'Overdue', callback = false) =>
    registrationState(
      { name, redirectUri: `https://${name}.example/cb`, ...(callback ? { callback: true as const } : {}) },
      s === 'Registered' ? { kind: 'Registered', via: 'redirect' } : { kind: 'NotRegistered' },
      {
        now,
        clientIdSource: "Secret 'app' key clientId",
        authorizeHost: 'h:443',
        ...(s === 'Overdue' ? { requestedAt: '2026-11-01T00:00:00Z' } : {}),
      },
    );
  it.each([
    [
      'only the callback refused',
      [state('prod', 'Registered'), state('cb', 'NotRegistered', true)],
      'CallbackNotRegistered',
    ],
    [
      'an environment refused too',
      [state('prod', 'NotRegistered'), state('cb', 'NotRegistered', true)],
      'RedirectUriNotRegistered',
    ],
    ['an environment overdue', [state('prod', 'Overdue'), state('cb', 'NotRegistered', true)], 'RegistrationOverdue'],
  ])('%s → %s', (_title, rows, reason) => {
    expect(summarizeRegistration(rows).reason).toBe(reason);
  });
});
