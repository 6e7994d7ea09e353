// ApplicationSettingsMismatch (issue 14): what the token responses told (a refresh token or none,
// expires_in) against what the grant needs and the profile's seed expects; one row per rule, then
// the words a mismatch is told in (its conditions: controllers/connection/application-settings.test.ts).
import { describe, expect, it } from 'vitest';
import { applicationMismatches } from './application-settings.ts';
import { connection, payload } from './testdata/application-settings.ts';


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
