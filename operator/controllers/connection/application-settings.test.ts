// ApplicationSettingsMismatch (issue 14): what the token responses told (a refresh token or none,
// expires_in) against what the grant needs and the profile's seed expects; one row per rule, then
// what it means for TokensReady and Ready.
import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import type { StoredPayload } from '../../tokens/stored.ts';
import { applicationMismatches } from '../../tokens/application-settings.ts';
import { decideConnection } from './decide.ts';
import type { ObservedConnection } from './observed.ts';

const now = new Date('2026-11-23T12:00:00Z');
const payload = (minutes: number | undefined, refresh: boolean): StoredPayload => ({
  access_token: 'a',
  token_type: 'Bearer',
  obtained_at: '2026-11-23T11:59:00.000Z',
  ...(minutes === undefined
    ? {}
    : { access_token_expires_at: new Date(Date.parse('2026-11-23T11:59:00Z') + minutes * 60_000).toISOString() }),
  ...(refresh ? { refresh_token: 'r', refresh_token_expires_at: '2027-11-23T11:59:00.000Z' } : {}),
});
const connection = (profile: string, grant: string) =>
  mergePatch(baseConnection(), {
    metadata: { generation: 1 },
    spec: { profile, environments: null, auth: { grant, credentialsSecretRef: { name: 'svc' } } },
  });

describe('applicationMismatches', () => {
  it.each([
    // profile, grant, expires_in minutes, refresh token returned, expected [setting, blocking]
    ['Actionstep', 'Password', 90, true, []],
    ['Actionstep', 'Password', 30, true, [['Access Token Expiry', false]]],
    ['Actionstep', 'Password', 90, false, [['Allow Refresh Token', false]]],
    ['Actionstep', 'AuthorizationCode', 90, false, [['Allow Refresh Token', true]]],
    [
      'Actionstep',
      'AuthorizationCode',
      60,
      false,
      [
        ['Allow Refresh Token', true],
        ['Access Token Expiry', false],
      ],
    ],
    ['Actionstep', 'Password', undefined, true, []], // no expires_in: nothing told, nothing compared
    ['Syncly', 'Password', 30, false, [['Allow Refresh Token', false]]],
    ['Syncly', 'Password', 45, true, []], // Syncly keeps the default expiry: any is fine
    ['Generic', 'AuthorizationCode', 30, false, [['Allow Refresh Token', true]]],
    ['Generic', 'Password', 30, false, []], // the operator grants again with the password
    ['Actionstep', 'ClientCredentials', 90, false, []], // no refresh token by design (RFC 6749 §4.4.3)
  ] as const)('%s, %s, %s min, refresh token %s → %j', (profile, grant, minutes, refresh, expected) => {
    const found = applicationMismatches(connection(profile, grant), payload(minutes, refresh));
    expect(found.map((m) => [m.setting, m.blocking])).toEqual(expected);
  });

  it('names the seed and the values told', () => {
    const [m] = applicationMismatches(connection('Actionstep', 'Password'), payload(30, true));
    expect(m).toMatchObject({ expected: '90 minutes', actual: '30 minutes (expires_in 1800)' });
    expect(m?.because).toMatch(/^profile Actionstep \(Actionstep's iManage guide: ".*Access Token Expiry 90 mins"\)$/);
  });
});

describe('ApplicationSettingsMismatch in TokensReady', () => {
  const probed: ObservedConnection = {
    clientIdSource: "Secret 'app' key clientId",
    credentials: { name: 'svc', found: true, keys: ['password', 'refreshToken', 'username'] },
    reachability: {
      value: { outcome: { kind: 'Answered', httpStatus: 401 }, latencyMs: 5 },
      checkedAt: now,
      nextAt: new Date('2026-11-23T12:05:00Z'),
    },
  };
  const decide = (profile: string, grant: string, p: StoredPayload) => {
    const tokens = { secretName: 'acme-tokens', encrypted: false, grant, payload: p };
    const d = decideConnection(connection(profile, grant), { ...probed, tokens }, now);
    return Object.fromEntries(d.conditions.set.map((c) => [c.type, c]));
  };

  it('a setting the profile expects otherwise warns, and Ready stays True', () => {
    const byType = decide('Actionstep', 'Password', payload(30, true));
    expect(byType['TokensReady']).toMatchObject({ status: 'True', reason: 'ApplicationSettingsMismatch' });
    expect(byType['TokensReady']?.message).toMatch(
      /^tokens are held in Secret 'acme-tokens' .*; the settings of the application in Secret 'app' key clientId differ: Access Token Expiry is 30 minutes/,
    );
    expect(byType['TokensReady']?.message).toMatch(/Change it in Control Center \(Settings → Applications/);
    expect(byType['Ready']).toMatchObject({ status: 'True', reason: 'Connected' });
  });

  it('no refresh token for a linked account: tokens cannot be renewed, so Ready=False and Stalled', () => {
    const byType = decide('Generic', 'AuthorizationCode', payload(30, false));
    expect(byType['TokensReady']).toMatchObject({ status: 'False', reason: 'ApplicationSettingsMismatch' });
    expect(byType['Ready']).toMatchObject({ status: 'False', reason: 'ApplicationSettingsMismatch' });
    expect(byType['Stalled']).toMatchObject({ status: 'True' });
    expect(byType['Ready']?.message).toMatch(/Allow Refresh Token is No .*expected Yes.*then link the account again/);
  });

  it('settings as expected: Linked, as before', () => {
    expect(decide('Actionstep', 'Password', payload(90, true))['TokensReady']).toMatchObject({ reason: 'Linked' });
  });
});
