// What the token responses tell of the application's settings in Control Center, compared with what
// the grant needs and what the connection's profile expects (issue 14, seeds 003 and 004). iManage
// tells two of them: whether a refresh token comes back (Allow Refresh Token) and expires_in (Access
// Token Expiry, minutes of inactivity). Refresh Token Expiry (days) is told by no response, so it
// cannot be compared: status.tokens.refreshTokenExpiresAt assumes iManage's default of 365 days.
// Pure: it reads only the stored payload, where both answers are recorded.

import { grantOf, profileOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { guideSays, type Profile, type SeedRule } from '../api/schemas/profiles.ts';
import type { StoredPayload } from './stored.ts';

export interface SettingMismatch {
  /** The Control Center setting to change, as Control Center names it. */
  readonly setting: string;
  readonly expected: string;
  readonly actual: string;
  /** Why it is expected: the grant itself, or the profile's seed. */
  readonly because: string;
  /** Tokens cannot keep working until it is changed. */
  readonly blocking: boolean;
}

interface ProfileExpectations {
  readonly allowRefreshToken?: true;
  readonly accessTokenMinutes?: number;
  readonly from: SeedRule;
}

const EXPECTED: Partial<Record<Profile, ProfileExpectations>> = {
  Actionstep: {
    allowRefreshToken: true,
    accessTokenMinutes: 90,
    from: { seed: '003', says: 'Allow Refresh Token Yes, Refresh Token Expiry 365 days, Access Token Expiry 90 mins' },
  },
  Syncly: { allowRefreshToken: true, from: { seed: '004', says: 'Enable "Allow refresh token"' } },
};

const REFRESH = 'Allow Refresh Token';
const ACCESS = 'Access Token Expiry';

/** The settings that differ, blocking ones first; empty when the responses agree or told nothing. */
export function applicationMismatches(connection: IManageConnection, payload: StoredPayload): SettingMismatch[] {
  const grant = grantOf(connection);
  const profile = profileOf(connection) as Profile;
  const expected = EXPECTED[profile];
  const seed = expected && `profile ${profile} (${guideSays(expected.from)})`;
  const out: SettingMismatch[] = [];
  // Client credentials get no refresh token by design (RFC 6749 §4.4.3): its absence tells nothing.
  const noRefreshToken = payload.refresh_token === undefined && grant !== 'ClientCredentials';
  if (noRefreshToken && grant === 'AuthorizationCode') {
    const because = `the ${grant} grant renews the linked account's tokens only with a refresh token${seed ? `, and ${seed}` : ''}`;
    out.push({
      setting: REFRESH,
      expected: 'Yes',
      actual: 'No (iManage returned no refresh token)',
      because,
      blocking: true,
    });
  } else if (noRefreshToken && seed && expected.allowRefreshToken) {
    out.push({
      setting: REFRESH,
      expected: 'Yes',
      actual: 'No (iManage returned no refresh token)',
      because: seed,
      blocking: false,
    });
  }
  const minutes = accessTokenMinutes(payload);
  if (
    seed &&
    expected.accessTokenMinutes !== undefined &&
    minutes !== undefined &&
    minutes !== expected.accessTokenMinutes
  ) {
    const actual = `${minutes} minutes (expires_in ${minutes * 60})`;
    out.push({
      setting: ACCESS,
      expected: `${expected.accessTokenMinutes} minutes`,
      actual,
      because: seed,
      blocking: false,
    });
  }
  return out;
}

/** expires_in of the response the payload holds, in whole minutes; undefined when the server sent none. */
function accessTokenMinutes(payload: StoredPayload): number | undefined {
  if (payload.access_token_expires_at === undefined) return undefined;
  const ms = Date.parse(payload.access_token_expires_at) - Date.parse(payload.obtained_at);
  return Number.isFinite(ms) ? Math.round(ms / 60_000) : undefined;
}

/** One sentence per setting: what it is, what it should be, why, and where to change it. */
export function mismatchWords(mismatches: readonly SettingMismatch[], application: string): string {
  const each = mismatches.map((m) => `${m.setting} is ${m.actual}, expected ${m.expected}, because ${m.because}`);
  return (
    `the settings of the application in ${application} differ: ${each.join('; ')}. Change ` +
    `${mismatches.length > 1 ? 'them' : 'it'} in Control Center (Settings → Applications → the application → ` +
    'Authentication); iManage applies it to tokens issued afterwards'
  );
}
