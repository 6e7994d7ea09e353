import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

const limits = { perSource: { burst: 3, perSecond: 1 }, global: { burst: 5, perSecond: 10 }, maxSources: 2 };

function limiter(globalBurst = limits.global.burst) {
  let now = 0;
  const l = new RateLimiter({ ...limits, global: { burst: globalBurst, perSecond: 10 } }, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe('callback rate limits', () => {
  it('serves a burst per source, then refuses that source until its bucket refills', () => {
    const { l, advance } = limiter();
    expect([1, 2, 3, 4].map(() => l.take('a'))).toEqual([true, true, true, false]);
    expect(l.take('b')).toBe(true); // another source still has its turn
    advance(1000);
    expect(l.take('a')).toBe(true);
  });

  it('refuses every source once the global bucket is empty', () => {
    const { l } = limiter();
    const served = ['a', 'a', 'a', 'b', 'b', 'b', 'c'].map((s) => l.take(s));
    expect(served.filter(Boolean)).toHaveLength(5);
    expect(l.take('d')).toBe(false);
  });

  it('remembers at most maxSources sources: a spray of addresses costs bounded memory', () => {
    const { l } = limiter(100);
    for (const s of ['a', 'a', 'a']) l.take(s);
    l.take('b');
    l.take('c'); // forgets 'a', the least recently seen
    expect(l.take('a')).toBe(true);
  });
});
