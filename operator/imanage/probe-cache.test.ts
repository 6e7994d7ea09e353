import { describe, expect, it } from 'vitest';
import { FakeClock } from '../runtime/clock.ts';
import { type Assessment, HostPhases, ProbeCache, type ProbeRequest } from './probe-cache.ts';

type Result = Assessment & { n: number };

function setup(answers: (n: number, key: string) => Assessment = () => ({ ok: true })) {
  const clock = new FakeClock(0);
  const sent: string[] = [];
  const cache = new ProbeCache<Result>({ clock, phaseUnit: () => 0.5, onProbe: (k) => sent.push(k) });
  let n = 0;
  const request = (key: string, intervalMs = 60_000, phase = key.split('|')[0]!): ProbeRequest<Result> => ({
    key,
    phase,
    intervalMs,
    assess: (r) => r,
    probe: async () => ({ ...answers(++n, key), n }),
  });
  return { clock, cache, sent, request };
}

/** Answers keys ending in `suffix` with a 429 and Retry-After: 300, the others with success. */
const rateLimiting =
  (suffix: string) =>
  (_n: number, key: string): Assessment =>
    key.endsWith(suffix) ? { ok: false, retryAfterMs: 300_000 } : { ok: true };

describe('ProbeCache', () => {
  it('sends one probe per interval however many ask', async () => {
    const { clock, cache, sent, request } = setup();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.get(`c${i}`, request('host-a'))));
    expect(sent).toHaveLength(1);
    expect(new Set(results.map((r) => r.value.n))).toEqual(new Set([1]));
    await clock.advance(59_999);
    await cache.get('c0', request('host-a'));
    expect(sent).toHaveLength(1);
    await clock.advance(1);
    await cache.get('c0', request('host-a'));
    expect(sent).toHaveLength(2);
  });

  it('keeps hosts apart, and tells when to ask again', async () => {
    const { cache, sent, request } = setup();
    const a = await cache.get('c', request('a'));
    await cache.get('c', request('b'));
    expect(sent).toEqual(['a', 'b']);
    expect(a.nextAt.getTime() - a.checkedAt.getTime()).toBe(60_000); // jitter 0.9 + 0.2·0.5 = 1
  });

  it('waits as long as Retry-After asks, but never beyond the documented maximum (an hour)', async () => {
    const { cache, request } = setup((_n, key) => ({
      ok: false,
      retryAfterMs: key === 'a' ? 300_000 : 99_999_999_000,
    }));
    expect((await cache.get('c', request('a'))).nextAt.getTime()).toBe(300_000);
    expect((await cache.get('c', request('b'))).nextAt.getTime()).toBe(3_600_000);
  });

  it('bounds an interval a connection asks for at an hour', async () => {
    const { cache, request } = setup();
    const r = await cache.get('c', request('a', 1e15));
    expect(r.nextAt.getTime()).toBe(3_600_000);
  });

  it('backs a failing host off exponentially, up to the cap, and resets on success', async () => {
    let failing = true;
    const { clock, cache, sent, request } = setup(() => ({ ok: !failing }));
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await cache.get('c', request('a'));
      delays.push(r.nextAt.getTime() - r.checkedAt.getTime());
      await clock.advance(r.nextAt.getTime() - clock.now().getTime());
    }
    expect(delays).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
    failing = false;
    const ok = await cache.get('c', request('a'));
    expect(ok.nextAt.getTime() - ok.checkedAt.getTime()).toBe(60_000);
    expect(sent).toHaveLength(7);
  });

  it('counts the requests to a failing host over 10 minutes', async () => {
    const { clock, cache, sent, request } = setup(() => ({ ok: false }));
    // Ask every second, as a busy controller would: the cache decides what is sent.
    for (let t = 0; t < 600; t++) {
      await cache.get('c', request('down', 30_000));
      await clock.advance(1000);
    }
    expect(sent.length).toBe(5); // 0, 30 s, 90 s, 210 s, 450 s
  });
});

describe('backoff per host, as each namespace sees it', () => {
  it('a 429 on one key holds back every key of the host, and siblings failing in the same round do not deepen it', async () => {
    const { clock, cache, sent, request } = setup(rateLimiting('uat'));
    await cache.get('c', request('host|uat'));
    const prod = await cache.get('c', request('host|prod'));
    expect(prod.nextAt.getTime()).toBe(300_000); // probed once (new key), then held back with its host
    await clock.advance(60_000);
    await cache.get('c', request('host|prod'));
    expect(sent).toEqual(['host|uat', 'host|prod']);
    const other = await cache.get('c', request('elsewhere|prod'));
    expect(other.nextAt.getTime()).toBe(120_000);
  });
});

describe('backoff per namespace', () => {
  it("a 429 in one namespace holds back that namespace's calls to the host, and no other namespace's", async () => {
    const { clock, cache, sent, request } = setup(rateLimiting('tenant-a-client'));
    await cache.get('tenant-a/conn', request('host|tenant-a-client'));
    const sibling = await cache.get('tenant-a/conn', request('host|tenant-a-other'));
    expect(sibling.nextAt.getTime()).toBe(300_000); // probed once (a new key), then held back with its namespace
    const other = await cache.get('tenant-b/conn', request('host|tenant-b-client'));
    expect(other.nextAt.getTime()).toBe(60_000);
    await clock.advance(60_000);
    await cache.get('tenant-a/conn', request('host|tenant-a-other'));
    await cache.get('tenant-b/conn', request('host|tenant-b-client'));
    expect(sent).toEqual([
      'host|tenant-a-client',
      'host|tenant-a-other',
      'host|tenant-b-client',
      'host|tenant-b-client',
    ]);
  });

  it('a failing key that two namespaces share backs off both', async () => {
    const { clock, cache, sent, request } = setup((_n, key) => (key === 'host|shared' ? { ok: false } : { ok: true }));
    await cache.get('tenant-a/conn', request('host|shared'));
    await cache.get('tenant-b/conn', request('host|shared'));
    await clock.advance(60_000);
    // Failed again, now held by both: tenant-a's second failed round, tenant-b's first.
    const a = await cache.get('tenant-a/conn', request('host|shared'));
    expect(a.nextAt.getTime()).toBe(180_000);
    const b = await cache.get('tenant-b/conn', request('host|own'));
    expect(b.nextAt.getTime()).toBe(120_000);
    expect(sent).toEqual(['host|shared', 'host|shared', 'host|own']);
  });

  it("forgets a namespace's backoff with its last key of the host", async () => {
    const { cache, request } = setup(() => ({ ok: false }));
    const hosts = new HostPhases();
    const shared = new ProbeCache<Result>({ clock: new FakeClock(0), hosts, phaseUnit: () => 0.5 });
    const ask = (owner: string, key: string) => shared.get(owner, { ...request(key), assess: () => ({ ok: false }) });
    await ask('tenant-a/one', 'host|a');
    await ask('tenant-b/one', 'host|b');
    expect(hosts.backingOffUntil('host', 'tenant-a', 0)).toEqual(new Date(60_000));
    shared.release('tenant-a/one');
    expect(hosts.backingOffUntil('host', 'tenant-a', 0)).toBeUndefined();
    expect([...hosts.byHost.get('host')!.tenants.keys()]).toEqual(['tenant-b']);
    shared.release('tenant-b/one');
    expect(hosts.byHost.size).toBe(0);
    expect(cache.size).toBe(0);
  });
});

describe('backoff per key', () => {
  // Each round the failing key is asked first, as a race between two connections may order it:
  // were its failure the host's, the healthy key would wait 60, 120, 240 s… behind it.
  it("a failure of one key's own backs off that key alone; the host's other keys keep their interval", async () => {
    const { clock, cache, sent, request } = setup((_n, key) =>
      key.endsWith('bad-ca') ? { ok: false, scope: 'key' } : { ok: true },
    );
    const badDelays: number[] = [];
    for (let t = 0; t < 600_000; t += 1000) {
      const bad = await cache.get('tenant-a', request('host|bad-ca'));
      await cache.get('tenant-b', request('host|good-ca'));
      if (bad.checkedAt.getTime() === t) badDelays.push(bad.nextAt.getTime() - t);
      await clock.advance(1000);
    }
    expect(sent.filter((k) => k === 'host|good-ca')).toHaveLength(10); // every 60 s
    expect(badDelays).toEqual([60_000, 120_000, 240_000, 480_000]); // 0, 60, 180, 420 s
  });

  it("a success ends the key's backoff", async () => {
    let failing = true;
    const { clock, cache, request } = setup(() => (failing ? { ok: false, scope: 'key' } : { ok: true }));
    await cache.get('c', request('host|k'));
    await clock.advance(60_000);
    expect((await cache.get('c', request('host|k'))).nextAt.getTime()).toBe(180_000);
    failing = false;
    await clock.advance(120_000);
    await cache.get('c', request('host|k'));
    failing = true;
    await clock.advance(60_000);
    expect((await cache.get('c', request('host|k'))).nextAt.getTime()).toBe(300_000);
  });
});

describe('phases', () => {
  it('keys of one host share their jitter, so they fall due together', async () => {
    const clock = new FakeClock(0);
    const cache = new ProbeCache<Assessment>({ clock });
    const get = (key: string, phase: string) =>
      cache.get('c', { key, phase, intervalMs: 60_000, assess: (r) => r, probe: async () => ({ ok: true }) });
    const a = await get('host-a|reachability', 'host-a');
    const b = await get('host-a|registration|uat', 'host-a');
    const c = await get('host-b|reachability', 'host-b');
    expect(a.nextAt.getTime()).toBe(b.nextAt.getTime());
    expect(a.nextAt.getTime()).not.toBe(c.nextAt.getTime());
    for (const r of [a, b, c]) {
      expect(r.nextAt.getTime()).toBeGreaterThanOrEqual(54_000);
      expect(r.nextAt.getTime()).toBeLessThan(66_000);
    }
  });
});

describe('forgetting', () => {
  it('keeps a key while any owner holds it, and forgets it and its host with the last', async () => {
    const { cache, request } = setup();
    await cache.get('ns/a', request('shared'));
    await cache.get('ns/b', request('shared'));
    await cache.get('ns/b', request('only-b'));
    expect(cache.release('ns/a')).toEqual([]);
    expect(cache.retain('ns/b', ['shared'])).toEqual(['only-b']);
    expect([cache.size, cache.phases]).toEqual([1, 1]);
    expect(cache.release('ns/b')).toEqual(['shared']);
    expect([cache.size, cache.phases]).toEqual([0, 0]);
  });
});
