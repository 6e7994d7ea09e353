import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import {
  AFTER_REFERENCE_MS,
  LOOK_TICK_MS,
  type SpreadLook,
  LookSchedule,
  lookWindowMs,
  planLooks,
  runLooks,
  settled,
} from './spread-looks.ts';
import type { KubeObject } from './kube/resources.ts';

type Obj = KubeObject & { status?: unknown };

function object(
  name: string,
  opts: { generation?: number; observed?: number; ready?: string; deleting?: boolean } = {},
): Obj {
  const { generation = 1, observed = generation, ready = 'True', deleting = false } = opts;
  return {
    apiVersion: 'v1',
    kind: 'Thing',
    metadata: { name, namespace: 'n', generation, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    status: { observedGeneration: observed, conditions: [{ type: 'Ready', status: ready }] },
  } as Obj;
}

describe('settled', () => {
  it.each([
    ['Ready for its generation', object('a'), true],
    ['a new generation not yet observed', object('a', { generation: 2, observed: 1 }), false],
    ['not Ready', object('a', { ready: 'False' }), false],
    ['Ready unknown', object('a', { ready: 'Unknown' }), false],
    ['being deleted', object('a', { deleting: true }), false],
    ['never reconciled', { apiVersion: 'v1', kind: 'Thing', metadata: { name: 'a', generation: 1 } }, false],
    ['without a generation', { ...object('a'), metadata: { name: 'a' } }, false],
  ])('%s: %s', (_what, o, expected) => {
    expect(settled(o as KubeObject)).toBe(expected);
  });
});

describe('lookWindowMs', () => {
  it('is the count over the rate, capped, and nothing when off or for one object', () => {
    expect(lookWindowMs(6_000, 100, 300_000)).toBe(60_000);
    expect(lookWindowMs(80_000, 100, 300_000)).toBe(300_000);
    expect(lookWindowMs(6_000, 0, 300_000)).toBe(0);
    expect(lookWindowMs(1, 100, 300_000)).toBe(0);
  });
});

describe('planLooks', () => {
  const row = (l: SpreadLook) => [l.key, l.afterMs, l.priority];

  it('looks at once at what is not settled, and spreads each kind of the settled over the window', () => {
    const connections = [object('c0'), object('c1', { generation: 2, observed: 1 }), object('c2')];
    const repositories = [object('r0'), object('r1'), object('r2', { ready: 'False' }), object('r3'), object('r4')];
    const plan = planLooks(
      [
        { kind: 'C', objects: connections },
        { kind: 'R', objects: repositories },
      ],
      2,
      600_000,
    );
    expect(plan.spread).toBe(6);
    expect(plan.windowMs).toBe(3_000);
    expect(plan.looks.map(row)).toEqual([
      ['C/n/c1', 0, 'change'],
      ['C/n/c0', 0, 'resync'],
      ['C/n/c2', 1_500, 'resync'],
      ['R/n/r2', 0, 'change'],
      ['R/n/r0', 0, 'resync'],
      ['R/n/r1', 750, 'resync'],
      ['R/n/r3', 1_500, 'resync'],
      ['R/n/r4', 2_250, 'resync'],
    ]);
  });

  it('looks at an object a while after the object it refers to, when that one is spread too', () => {
    // r0 names the last settled connection, r1 the first, r2 one that is not settled (looked at
    // now), r3 none: each comes AFTER_REFERENCE_MS after its connection's slot, or at its own slot
    // when that is later or its connection is not spread.
    const connections = [object('c0'), object('c1'), object('c2'), object('c3', { ready: 'False' })];
    const repositories = ['r0', 'r1', 'r2', 'r3'].map((n) => object(n));
    const names: Record<string, string | undefined> = { r0: 'C/n/c2', r1: 'C/n/c0', r2: 'C/n/c3', r3: undefined };
    const plan = planLooks(
      [
        { kind: 'C', objects: connections },
        { kind: 'R', objects: repositories, refersTo: (o: Obj) => names[o.metadata.name!] },
      ],
      0.1,
      600_000,
    );
    expect(plan.windowMs).toBe(70_000);
    expect(plan.looks.filter((l) => l.key.startsWith('C/')).map(row)).toContainEqual(['C/n/c2', 46_666, 'resync']);
    expect(plan.looks.filter((l) => l.key.startsWith('R/')).map(row)).toEqual([
      ['R/n/r0', 46_666 + AFTER_REFERENCE_MS, 'resync'],
      ['R/n/r1', 17_500, 'resync'],
      ['R/n/r2', 35_000, 'resync'],
      ['R/n/r3', 52_500, 'resync'],
    ]);
  });

  it('never pushes a look past the longest window, whatever it refers to', () => {
    const plan = planLooks(
      [
        { kind: 'C', objects: [object('c0'), object('c1')] },
        { kind: 'R', objects: [object('r0')], refersTo: () => 'C/n/c1' },
      ],
      100,
      400,
    );
    expect(plan.windowMs).toBe(30);
    expect(plan.looks.find((l) => l.key === 'R/n/r0')?.afterMs).toBe(400);
  });

  it('brings a look forward when its controller says it is due, in the lane of first-time work', () => {
    const objects = ['a', 'b', 'c', 'd'].map((n) => object(n));
    const due: Record<string, number | undefined> = { a: undefined, b: 100, c: -5_000, d: 60_000 };
    const plan = planLooks([{ kind: 'K', objects, dueInMs: (o) => due[o.metadata.name!] }], 1, 600_000);
    expect(plan.windowMs).toBe(4_000);
    expect(plan.looks.map(row)).toEqual([
      ['K/n/a', 0, 'resync'],
      ['K/n/b', 100, 'change'],
      ['K/n/c', 0, 'change'],
      ['K/n/d', 3_000, 'resync'],
    ]);
  });

  it('looks at once at an object whose controller throws or answers NaN', () => {
    const objects = ['a', 'b', 'c'].map((n) => object(n));
    const dueInMs = (o: Obj): number | undefined => {
      if (o.metadata.name === 'b') throw new Error('malformed status');
      return o.metadata.name === 'c' ? Number.NaN : undefined;
    };
    const plan = planLooks([{ kind: 'K', objects, dueInMs }], 1, 600_000);
    expect(plan.looks.map((l) => [l.afterMs, l.priority])).toEqual([
      [0, 'resync'],
      [0, 'change'],
      [0, 'change'],
    ]);
  });

  it('looks at everything at once, in the first-time lane, when the rate is 0', () => {
    const objects = [object('a'), object('b'), object('c', { ready: 'False' })];
    const plan = planLooks([{ kind: 'K', objects }], 0, 600_000);
    expect(plan.windowMs).toBe(0);
    expect(plan.looks.map(row)).toEqual([
      ['K/n/a', 0, 'change'],
      ['K/n/b', 0, 'change'],
      ['K/n/c', 0, 'change'],
    ]);
  });
});

describe('LookSchedule and runLooks', () => {
  const look = (key: string, afterMs: number): SpreadLook => ({ key, afterMs, priority: 'resync' });

  it('hands each look over when due, in time order, and skips a key reconciled meanwhile', async () => {
    const clock = new FakeClock(0);
    const schedule = new LookSchedule([look('c', 1_000), look('a', 0), look('b', 500), look('d', 1_000)]);
    const added: string[] = [];
    const stop = new AbortController();
    const running = runLooks(schedule, clock, stop.signal, (l) => added.push(l.key));
    await clock.advance(LOOK_TICK_MS);
    expect(added).toEqual(['a']);
    schedule.taken('c');
    await clock.advance(1_000);
    await clock.advance(LOOK_TICK_MS);
    expect(added).toEqual(['a', 'b', 'd']);
    await running; // nothing left: the loop ends by itself
    expect(clock.pending()).toBe(0);
  });

  it('batches looks due within one tick, and stops when its signal aborts', async () => {
    const clock = new FakeClock(0);
    const looks = Array.from({ length: 100 }, (_, i) => look(`k${i}`, i));
    const schedule = new LookSchedule(looks);
    const batches: number[] = [];
    let last = -1;
    const stop = new AbortController();
    const running = runLooks(schedule, clock, stop.signal, () => {
      if (clock.now().getTime() !== last) batches.push(0);
      last = clock.now().getTime();
      batches[batches.length - 1]!++;
    });
    await clock.advance(LOOK_TICK_MS);
    await clock.advance(LOOK_TICK_MS);
    // The floor: no wake-up more often than a tick, so looks 1 ms apart come in batches.
    expect(batches).toEqual([51, 49]);
    stop.abort();
    await running;
  });
});
