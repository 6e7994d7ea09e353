import { describe, expect, it } from 'vitest';
import { FakeClock } from '../runtime/clock.ts';
import { ProbeCache, type ProbeOutcome } from './probe-cache.ts';

type Result = ProbeOutcome & { n: number };

function setup(answers: (n: number) => Omit<Result, 'n'> = () => ({ ok: true })) {
  const clock = new FakeClock(0);
  const sent: string[] = [];
  const cache = new ProbeCache<Result>({ clock, random: () => 0.5, onProbe: (k) => sent.push(k) });
  let n = 0;
  const probe = async () => ({ ...answers(++n), n });
  return { clock, cache, sent, probe };
}

describe('ProbeCache', () => {
  it('sends one probe per interval however many ask', async () => {
    const { clock, cache, sent, probe } = setup();
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.get('host-a', 60_000, probe)));
    expect(sent).toHaveLength(1);
    expect(new Set(results.map((r) => r.value.n))).toEqual(new Set([1]));
    await clock.advance(59_999);
    await cache.get('host-a', 60_000, probe);
    expect(sent).toHaveLength(1);
    await clock.advance(1);
    await cache.get('host-a', 60_000, probe);
    expect(sent).toHaveLength(2);
  });

  it('keeps hosts apart', async () => {
    const { cache, sent, probe } = setup();
    await cache.get('a', 60_000, probe);
    await cache.get('b', 60_000, probe);
    expect(sent).toEqual(['a', 'b']);
  });

  it('tells when to ask again', async () => {
    const { cache, probe } = setup();
    const r = await cache.get('a', 60_000, probe);
    expect(r.nextAt.getTime() - r.checkedAt.getTime()).toBe(60_000); // jitter 0.9 + 0.2·0.5 = 1
  });

  it('waits as long as Retry-After asks', async () => {
    const { cache, probe } = setup(() => ({ ok: false, retryAfterMs: 300_000 }));
    const r = await cache.get('a', 60_000, probe);
    expect(r.nextAt.getTime()).toBe(300_000);
  });

  it('backs a failing host off exponentially, up to the cap, and resets on success', async () => {
    let failing = true;
    const { clock, cache, sent, probe } = setup(() => ({ ok: !failing }));
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await cache.get('a', 60_000, probe);
      delays.push(r.nextAt.getTime() - r.checkedAt.getTime());
      await clock.advance(r.nextAt.getTime() - clock.now().getTime());
    }
    expect(delays).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
    failing = false;
    const ok = await cache.get('a', 60_000, probe);
    expect(ok.nextAt.getTime() - ok.checkedAt.getTime()).toBe(60_000);
    expect(sent).toHaveLength(7);
  });

  it('counts the requests to a failing host over 10 minutes', async () => {
    const { clock, cache, sent, probe } = setup(() => ({ ok: false }));
    // Ask every second, as a busy controller would: the cache decides what is sent.
    for (let t = 0; t < 600; t++) {
      await cache.get('down', 30_000, probe);
      await clock.advance(1000);
    }
    expect(sent.length).toBe(5); // 0, 30 s, 90 s, 210 s, 450 s
  });
});

describe('phases', () => {
  it('keys of one phase (host) share their jitter, so they fall due together', async () => {
    const { cache, probe } = setup();
    const a = await cache.get('host-a|reachability', 60_000, probe, 'host-a');
    const b = await cache.get('host-a|registration|uat', 60_000, probe, 'host-a');
    const c = await cache.get('host-b|reachability', 60_000, probe, 'host-b');
    expect(a.nextAt.getTime()).toBe(b.nextAt.getTime());
    expect(a.nextAt.getTime()).not.toBe(c.nextAt.getTime());
    for (const r of [a, b, c]) {
      expect(r.nextAt.getTime()).toBeGreaterThanOrEqual(54_000);
      expect(r.nextAt.getTime()).toBeLessThan(66_000);
    }
  });
});
