// ApplicationSettingsMismatch (issue 14) in the connection's conditions: what a mismatch the token
// code found (operator/tokens/application-settings.test.ts) means for TokensReady and Ready.
import { describe, expect, it } from 'vitest';
import type { StoredPayload } from '../../tokens/stored.ts';
import { decideConnection } from './decide.ts';
import type { ObservedConnection } from './observed.ts';
import { connection, payload } from '../../tokens/testdata/application-settings.ts';

const now = new Date('2026-11-23T12:00:00Z');

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
