import { describe, expect, it } from 'vitest';
import {
  earliestRefreshAt,
  payloadOf,
  refreshAt,
  refreshTokenEndsSoon,
  REFRESH_TOKEN_LIFETIME_MS,
} from './schedule.ts';
import type { StoredPayload } from './stored.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const stored = (lifeMs: number): StoredPayload => ({
  access_token: 'a',
  token_type: 'Bearer',
  obtained_at: new Date(T0).toISOString(),
  access_token_expires_at: new Date(T0 + lifeMs).toISOString(),
});

describe('refreshAt', () => {
  it.each([
    // life, refreshBefore, earliest, latest (ms after T0)
    [1_800_000, 300_000, 1_800_000 - 300_000 - 150_000, 1_800_000 - 300_000],
    [60_000, 55_000, 6_000 - 600, 6_000],
    [60_000, 3_600_000, 6_000 - 600, 6_000],
  ])('life %i ms, refreshBefore %i ms: between %i and %i ms after issue', (life, before, earliest, latest) => {
    const at = refreshAt(stored(life), before, 'uid-1')!.getTime() - T0;
    expect(at).toBeGreaterThanOrEqual(earliest);
    expect(at).toBeLessThanOrEqual(latest);
  });

  it('is the same on every call (a restart keeps the schedule) and differs between connections', () => {
    const times = ['a', 'a', 'b', 'c', 'd'].map((k) => refreshAt(stored(1_800_000), 300_000, k)!.getTime());
    expect(times[0]).toBe(times[1]);
    expect(new Set(times).size).toBeGreaterThan(2);
  });

  it('is never before earliestRefreshAt, whatever the jitter (a new process looks by then)', () => {
    for (const [life, before] of [
      [1_800_000, 300_000],
      [60_000, 55_000],
      [1_000, 300_000],
    ] as const) {
      const payload = stored(life);
      const earliest = earliestRefreshAt(payload.obtained_at, payload.access_token_expires_at!, before).getTime();
      const times = Array.from({ length: 200 }, (_, i) => refreshAt(payload, before, `uid-${i}`)!.getTime());
      expect(Math.min(...times)).toBeGreaterThanOrEqual(earliest);
      // The bound is tight: the jitter of some connection comes within a hundredth of it.
      expect(Math.min(...times) - earliest).toBeLessThanOrEqual(Math.max(1, (life * 0.1) / 100) * 2);
    }
  });

  it('is undefined when the server gave no lifetime', () => {
    expect(refreshAt({ ...stored(1), access_token_expires_at: undefined } as StoredPayload, 1000, 'k')).toBeUndefined();
  });
});

describe('payloadOf', () => {
  const issued = (refreshToken: string | undefined) => ({
    accessToken: 'a2',
    refreshToken,
    tokenType: 'Bearer',
    expiresInSeconds: 60,
    scope: undefined,
    obtainedAt: new Date(T0),
  });
  const before = {
    ...stored(60_000),
    refresh_token: 'r1',
    refresh_token_expires_at: '2026-06-01T00:00:00.000Z',
    account: 'JSMITH',
  };

  it.each([
    ['a rotated refresh token gets a full lifetime', 'r2', new Date(T0 + REFRESH_TOKEN_LIFETIME_MS).toISOString()],
    ['an unrotated one keeps its end', 'r1', '2026-06-01T00:00:00.000Z'],
    ['an answer without one keeps the stored token and its end', undefined, '2026-06-01T00:00:00.000Z'],
  ])('%s', (_title, refreshToken, ends) => {
    const payload = payloadOf(issued(refreshToken), before, {});
    expect(payload.refresh_token_expires_at).toBe(ends);
    expect(payload.refresh_token).toBe(refreshToken ?? 'r1');
    expect(payload.account).toBe('JSMITH');
    expect(payload.access_token_expires_at).toBe(new Date(T0 + 60_000).toISOString());
  });
});

it.each([
  [29, true],
  [31, false],
])('refresh token ending in %i days warns: %s', (days, warns) => {
  const payload = { ...stored(1), refresh_token_expires_at: new Date(T0 + days * 86_400_000).toISOString() };
  expect(refreshTokenEndsSoon(payload, new Date(T0))).toBe(warns);
});
