// When a connection is looked at again: its next probe or token refresh, never sooner than the
// floor (issue 18, finding 3: `expires_in: 0` requeued the key after 1 ms; the token side of it is
// operator/tokens/expiry.test.ts).
import { describe, expect, it } from 'vitest';
import { MIN_PROBE_DELAY_MS } from '../../imanage/delays.ts';
import { nextLookInMs } from './controller.ts';

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
