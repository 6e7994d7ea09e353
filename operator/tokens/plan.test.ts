// The token planner, one case per action and reason, with no I/O: a stored payload, a seed and a
// clock go in, the one action to take comes out.
import { describe, expect, it } from 'vitest';
import { type Grant, planAfterConflict, planAfterRefusal, planTokens, type TokenSituation } from './plan.ts';
import { sha256 } from './digest.ts';
import type { StoredPayload } from './stored.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();

/** Obtained an hour ago; the access token ends in `endsInMs`. */
function payload(endsInMs: number, extra: Partial<StoredPayload> = {}): StoredPayload {
  return {
    access_token: 'a',
    token_type: 'Bearer',
    obtained_at: at(-HOUR),
    access_token_expires_at: at(endsInMs),
    refresh_token: 'r',
    ...extra,
  };
}
const fresh = payload(HOUR);
const due = payload(60_000);

function situation(
  grant: Grant,
  stored: StoredPayload | undefined,
  more: Partial<TokenSituation> = {},
): TokenSituation {
  return {
    grant,
    ...(stored ? { stored: { payload: stored } } : {}),
    now: NOW,
    refreshBeforeMs: 5 * 60_000,
    jitterKey: 'uid-1',
    ...more,
  };
}

describe('planTokens', () => {
  it.each([['Encrypt'], ['PreviousPassphrase'], ['PassphraseVerifier'], ['Adopted']] as const)(
    'stores the same tokens again first when the Secret needs a rewrite (%s)',
    (reason) => {
      const s = {
        ...situation('Password', due),
        stored: { payload: due, rewrite: reason },
      };
      expect(planTokens(s)).toEqual({ action: 'store', reason });
    },
  );

  it.each([
    ['SeedNew', undefined],
    ['SeedChanged', fresh && { ...fresh, seed_sha256: sha256('old seed') }],
    ['LinkedTokensRefused', { ...fresh, refresh_token_refused_at: at(-60_000) }],
  ] as const)('adopts a seeded refresh token (%s)', (reason, stored) => {
    expect(planTokens(situation('AuthorizationCode', stored, { seed: 'seed' }))).toEqual({
      action: 'adopt',
      reason,
      seed: 'seed',
    });
  });

  it('does not adopt a seed already taken over, nor one that wins over tokens from a sign-in', () => {
    const taken = { ...fresh, seed_sha256: sha256('seed') };
    expect(planTokens(situation('AuthorizationCode', taken, { seed: 'seed' }))).toEqual({
      action: 'nothing',
      reason: 'Fresh',
    });
    expect(planTokens(situation('AuthorizationCode', fresh, { seed: 'seed' }))).toEqual({
      action: 'nothing',
      reason: 'Fresh',
    });
  });

  it('does not send a seed iManage refused before', () => {
    const s = situation('AuthorizationCode', undefined, {
      seed: 'seed',
      seedRefusedBefore: true,
    });
    expect(planTokens(s)).toEqual({
      action: 'nothing',
      reason: 'SeedRefusedBefore',
    });
  });

  it('ignores a seed for grants that do not link an account', () => {
    expect(planTokens(situation('Password', undefined, { seed: 'seed' }))).toEqual({
      action: 'obtain',
      reason: 'NoTokens',
    });
  });

  it.each(['Password', 'ClientCredentials'] as const)('obtains tokens when none are stored (%s)', (grant) => {
    expect(planTokens(situation(grant, undefined))).toEqual({
      action: 'obtain',
      reason: 'NoTokens',
    });
  });

  it('waits for a sign-in when an AuthorizationCode connection holds no tokens', () => {
    expect(planTokens(situation('AuthorizationCode', undefined))).toEqual({
      action: 'nothing',
      reason: 'NotLinked',
    });
  });

  it('obtains again after a refused refresh token, or waits for a new link', () => {
    const refused = { ...fresh, refresh_token_refused_at: at(-60_000) };
    expect(planTokens(situation('Password', refused))).toEqual({
      action: 'obtain',
      reason: 'RefreshTokenRefused',
    });
    expect(planTokens(situation('AuthorizationCode', refused))).toEqual({
      action: 'nothing',
      reason: 'RefreshTokenRefused',
    });
  });

  it('refreshes when the refresh is due, with the stored refresh token', () => {
    expect(planTokens(situation('AuthorizationCode', due))).toEqual({
      action: 'refresh',
      reason: 'Due',
      refreshToken: 'r',
    });
  });

  it('does nothing while the access token is fresh, or has no expiry', () => {
    expect(planTokens(situation('Password', fresh))).toEqual({
      action: 'nothing',
      reason: 'Fresh',
    });
    const { access_token_expires_at: _, ...forever } = fresh;
    expect(planTokens(situation('Password', forever))).toEqual({
      action: 'nothing',
      reason: 'Fresh',
    });
  });

  it('without a refresh token, obtains again when due, or lets a linked account expire', () => {
    const { refresh_token: _, ...bare } = due;
    expect(planTokens(situation('ClientCredentials', bare))).toEqual({
      action: 'obtain',
      reason: 'NoRefreshToken',
    });
    expect(planTokens(situation('AuthorizationCode', bare))).toEqual({
      action: 'nothing',
      reason: 'NoRefreshToken',
    });
  });
});

describe('planAfterRefusal', () => {
  it('keeps tokens another writer rotated meanwhile', () => {
    expect(planAfterRefusal('Password', 'r', { ...fresh, refresh_token: 'newer' })).toEqual({
      action: 'nothing',
      reason: 'RotatedElsewhere',
    });
  });

  it('obtains again for a grant that needs no human', () => {
    expect(planAfterRefusal('Password', 'r', fresh)).toEqual({
      action: 'obtain',
      reason: 'RefreshTokenRefused',
    });
  });

  it('records the refusal for a linked account, or fails when the Secret is gone', () => {
    expect(planAfterRefusal('AuthorizationCode', 'r', fresh)).toEqual({
      action: 'store',
      reason: 'RefreshTokenRefused',
    });
    expect(planAfterRefusal('AuthorizationCode', 'r', undefined)).toEqual({
      action: 'fail',
      reason: 'RefreshTokenRefused',
    });
  });
});

describe('planAfterConflict', () => {
  it('stores again over a version that holds the same lineage', () => {
    expect(planAfterConflict(fresh, { ...fresh, account: 'jsmith' })).toEqual({
      action: 'store',
      reason: 'Unchanged',
    });
  });

  it('keeps newer tokens another writer stored, and revokes its own', () => {
    expect(planAfterConflict(fresh, { ...fresh, refresh_token: 'signed-in' })).toEqual({
      action: 'revoke',
      reason: 'NewerTokensStored',
    });
  });

  it('fails when the Secret was deleted meanwhile', () => {
    expect(planAfterConflict(fresh, undefined)).toEqual({
      action: 'fail',
      reason: 'SecretDeleted',
    });
  });
});
