// When a connection is looked at again: its next probe or token refresh, never sooner than the
// floor (issue 18, finding 3: `expires_in: 0` requeued the key after 1 ms; the token side of it is
// operator/tokens/expiry.test.ts).
import { describe, expect, it } from 'vitest';
import { MIN_PROBE_DELAY_MS } from '../../imanage/delays.ts';
import type { IManageConnection } from '../../api/generated/types.ts';
import { nextLookInMs, tokenRefreshDueInMs } from './controller.ts';

describe('nextLookInMs', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it.each([
    ['a refresh already due', 60_000, new Date(now.getTime() - 5_000), MIN_PROBE_DELAY_MS],
    ['a refresh due in 1 ms', 60_000, new Date(now.getTime() + 1), MIN_PROBE_DELAY_MS],
    ['a probe due at once', 0, undefined, MIN_PROBE_DELAY_MS],
    ['a refresh before the probe', 60_000, new Date(now.getTime() + 30_000), 30_000],
    ['the probe first', 20_000, new Date(now.getTime() + 30_000), 20_000],
  ])('%s', (_t, probeIn, refreshAt, expected) => expect(nextLookInMs(probeIn, refreshAt, now)).toBe(expected));
});

describe('tokenRefreshDueInMs (how long a restarted operator may leave a settled connection)', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const connection = (tokens: object | undefined, refreshBefore?: string): IManageConnection =>
    ({
      spec: { ...(refreshBefore ? { tokens: { refreshBefore } } : {}) },
      status: tokens ? { tokens } : {},
    }) as unknown as IManageConnection;
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();

  it('is the earliest the refresh can be scheduled: refreshBefore and the whole jitter ahead of expiry', () => {
    // 30 minutes of life from 10 minutes ago, 5m ahead: at the latest 25m after issue, and up to a
    // tenth of the remaining 25m sooner (the jitter is in the Secret, which the start has not read).
    const tokens = { lastRefreshAt: at(-600_000), accessTokenExpiresAt: at(1_200_000) };
    expect(tokenRefreshDueInMs(connection(tokens), now)).toBe(1_200_000 - 300_000 - 150_000);
    expect(tokenRefreshDueInMs(connection(tokens, '1m'), now)).toBe(1_200_000 - 60_000 - 174_000);
  });

  it('is negative when the refresh is already due, and undefined without tokens or an expiry', () => {
    expect(
      tokenRefreshDueInMs(connection({ lastRefreshAt: at(-3_600_000), accessTokenExpiresAt: at(-1) }), now),
    ).toBeLessThan(0);
    expect(tokenRefreshDueInMs(connection(undefined), now)).toBeUndefined();
    expect(tokenRefreshDueInMs(connection({ lastRefreshAt: at(-60_000) }), now)).toBeUndefined();
    // An expiry without the time of issue: the schedule cannot be worked out, so at once.
    expect(tokenRefreshDueInMs(connection({ accessTokenExpiresAt: at(600_000) }), now)).toBe(0);
  });
});
