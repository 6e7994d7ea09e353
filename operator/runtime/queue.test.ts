import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks, type Clock } from './clock.ts';
import { ConfigurationError, GoneError, TransientError } from './errors.ts';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  DEFAULT_MAX_DELAY_MS,
  FAIRNESS_PERIOD,
  kindOf,
  parseQueueKey,
  queueKey,
  WorkQueue,
  type HandlerResult,
  type Priority,
  type ReconcileResult,
  type WorkQueueOptions,
} from './queue.ts';

function newQueue(options: WorkQueueOptions = {}): { queue: WorkQueue; clock: FakeClock } {
  const clock = new FakeClock(0);
  // No jitter and no rate limit unless a test asks, so delays are exact.
  return { queue: new WorkQueue({ clock, random: () => 0, rateLimit: false, ...options }), clock };
}

/** Takes every key currently waiting, in hand-out order, marking each done. */
async function takeAll(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.depth() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

/** A promise's state without waiting for it. */
async function settled<T>(promise: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let state: { done: boolean; value?: T } = { done: false };
  void promise.then((value) => (state = { done: true, value }));
  await flushMicrotasks();
  return state;
}

/** Lets queued work run until `condition` holds (bounded, so a bug fails instead of hanging). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !condition(); i++) await flushMicrotasks();
  expect(condition()).toBe(true);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('keys', () => {
  it.each([
    ['Connection', 'team-a', 'prod', 'Connection/team-a/prod'],
    ['ClusterThing', undefined, 'x', 'ClusterThing//x'],
  ])('queueKey(%s, %s, %s) = %s and parses back', (kind, namespace, name, key) => {
    expect(queueKey(kind, namespace, name)).toBe(key);
    expect(parseQueueKey(key)).toEqual({ kind, namespace: namespace ?? '', name });
    expect(kindOf(key)).toBe(kind);
  });
});

describe('merging and order', () => {
  it.each<{ name: string; adds: [string, Priority][]; expected: string[] }>([
    {
      name: 'duplicates merge',
      adds: [
        ['a', 'change'],
        ['b', 'change'],
        ['a', 'change'],
      ],
      expected: ['a', 'b'],
    },
    {
      name: 'FIFO within a lane',
      adds: [
        ['c', 'resync'],
        ['a', 'resync'],
        ['b', 'resync'],
      ],
      expected: ['c', 'a', 'b'],
    },
    {
      name: 'change lane before resync lane',
      adds: [
        ['r1', 'resync'],
        ['c1', 'change'],
        ['r2', 'resync'],
      ],
      expected: ['c1', 'r1', 'r2'],
    },
    {
      name: 'a resync of a waiting change does not lower it',
      adds: [
        ['r', 'resync'],
        ['a', 'change'],
        ['a', 'resync'],
      ],
      expected: ['a', 'r'],
    },
    {
      name: 'a change raises a waiting resync',
      adds: [
        ['r1', 'resync'],
        ['a', 'resync'],
        ['a', 'change'],
      ],
      expected: ['a', 'r1'],
    },
  ])('$name', async ({ adds, expected }) => {
    const { queue } = newQueue();
    for (const [key, priority] of adds) queue.add(key, { priority });
    expect(queue.depth()).toBe(expected.length);
    expect(await takeAll(queue)).toEqual(expected);
  });

  it('a change-priority key jumps a backlog of 1,000 resync items', async () => {
    const { queue } = newQueue({ rateLimit: { perSecond: 50, burst: 300 } });
    for (let i = 0; i < 1000; i++) queue.add(`Connection/ns/r${i}`, { priority: 'resync' });
    expect(await queue.get()).toBe('Connection/ns/r0');
    queue.add('Connection/ns/fresh', { priority: 'change' });
    expect(await queue.get()).toBe('Connection/ns/fresh');
    expect(queue.depth()).toBe(999);
  });

  it('a change added while a getter waits for a rate-limit token is the one handed out', async () => {
    const { queue, clock } = newQueue({ rateLimit: { perSecond: 1, burst: 1 } });
    queue.add('r0', { priority: 'resync' });
    queue.add('r1', { priority: 'resync' });
    expect(await queue.get()).toBe('r0');
    const next = queue.get();
    expect((await settled(next)).done).toBe(false);
    queue.add('fresh');
    await clock.advance(1000);
    expect(await next).toBe('fresh');
  });

  it('reports depth by kind', () => {
    const { queue } = newQueue();
    queue.add('A/ns/1');
    queue.add('A/ns/2', { priority: 'resync' });
    queue.add('B/ns/1');
    expect(Object.fromEntries(queue.depthByKind())).toEqual({ A: 2, B: 1 });
  });
});

describe('one key at a time', () => {
  it('never hands out a key that is being processed; an add meanwhile re-queues it when done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.depth()).toBe(0);
    expect((await settled(queue.get())).done).toBe(false);
    queue.done('a');
    expect(queue.depth()).toBe(1);
    expect(await takeAll(queue)).toEqual(['a']);
  });

  it('a dirty key keeps the highest priority it was added with', async () => {
    const { queue } = newQueue();
    queue.add('a');
    await queue.get();
    queue.add('a', { priority: 'resync' });
    queue.add('a', { priority: 'change' });
    queue.add('r', { priority: 'resync' });
    queue.done('a');
    expect(await takeAll(queue)).toEqual(['a', 'r']);
  });

  it('run() with many workers processes each key once at a time and reprocesses a dirty key', async () => {
    const { queue } = newQueue();
    const active = new Set<string>();
    const runs: string[] = [];
    let overlap = false;
    const gate = deferred();
    const controller = new AbortController();
    const handler = async (key: string): Promise<void> => {
      if (active.has(key)) overlap = true;
      active.add(key);
      runs.push(key);
      await gate.promise;
      active.delete(key);
    };
    const running = queue.run(4, handler, controller.signal);
    queue.add('a');
    queue.add('b');
    await until(() => runs.length === 2);
    queue.add('a'); // while 'a' is in flight
    await flushMicrotasks();
    expect([...runs].sort()).toEqual(['a', 'b']);
    gate.resolve();
    await until(() => runs.length === 3);
    controller.abort();
    await running;
    expect(overlap).toBe(false);
    expect([...runs].sort()).toEqual(['a', 'a', 'b']);
  });
});

describe('backoff', () => {
  it.each([
    [0, 1_000],
    [1, 2_000],
    [2, 4_000],
    [5, 32_000],
    [8, 256_000],
    [9, 300_000],
    [50, 300_000],
    [5000, 300_000],
  ])('after %i failures the nominal delay is %i ms, jitter keeps it within [80%%, 100%%]', (failures, nominal) => {
    expect(backoffDelay(failures, DEFAULT_BACKOFF, 0)).toBe(nominal);
    const shortest = backoffDelay(failures, DEFAULT_BACKOFF, 0.999999);
    expect(shortest).toBeGreaterThanOrEqual(Math.floor(nominal * 0.8));
    expect(shortest).toBeLessThan(nominal);
    for (const r of [0.1, 0.5, 0.9]) {
      const d = backoffDelay(failures, DEFAULT_BACKOFF, r);
      expect(d).toBeGreaterThanOrEqual(nominal * 0.8);
      expect(d).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
    }
  });

  it('retries a failing key after 1 s, 2 s, 4 s, and starts again at 1 s after forget', async () => {
    const { queue, clock } = newQueue();
    const hits: number[] = [];
    const fail = new Set(['a']);
    const controller = new AbortController();
    const running = queue.run(
      1,
      async (key) => {
        hits.push(clock.now().getTime());
        if (fail.has(key)) throw new TransientError('iManage unavailable');
      },
      controller.signal,
    );
    queue.add('a');
    await clock.advance(0);
    await clock.advance(999);
    expect(hits).toEqual([0]);
    await clock.advance(1);
    expect(hits).toEqual([0, 1000]);
    await clock.advance(2000);
    expect(hits).toEqual([0, 1000, 3000]);
    expect(queue.failures('a')).toBe(3);
    fail.delete('a');
    await clock.advance(4000);
    expect(hits).toEqual([0, 1000, 3000, 7000]);
    expect(queue.failures('a')).toBe(0);
    fail.add('a');
    queue.add('a');
    await clock.advance(0);
    await clock.advance(1000);
    expect(hits).toEqual([0, 1000, 3000, 7000, 7000, 8000]);
    controller.abort();
    await running;
  });

  it('applies jitter from the injected random source', async () => {
    const { queue, clock } = newQueue({ random: () => 0.5 });
    queue.addWithBackoff('a');
    await clock.advance(899);
    expect(queue.depth()).toBe(0);
    await clock.advance(1);
    expect(queue.depth()).toBe(1);
  });

  it('forget resets the failure count', () => {
    const { queue } = newQueue();
    queue.addWithBackoff('a');
    queue.addWithBackoff('a');
    expect(queue.failures('a')).toBe(2);
    queue.forget('a');
    expect(queue.failures('a')).toBe(0);
  });
});

describe('handler outcomes', () => {
  async function runOnce(
    outcome: () => Promise<HandlerResult | void>,
    advanceMs: number,
  ): Promise<{ results: ReconcileResult[]; calls: number; failures: number }> {
    const results: ReconcileResult[] = [];
    const { queue, clock } = newQueue({ observer: { onResult: (_key, result) => results.push(result) } });
    let calls = 0;
    const controller = new AbortController();
    const running = queue.run(
      1,
      async () => {
        calls++;
        return calls === 1 ? outcome() : undefined;
      },
      controller.signal,
    );
    queue.add('k');
    await clock.advance(0);
    await clock.advance(advanceMs);
    const failures = queue.failures('k');
    controller.abort();
    await running;
    return { results, calls, failures };
  }

  it.each<{
    name: string;
    outcome: () => Promise<HandlerResult | void>;
    advanceMs: number;
    results: ReconcileResult[];
  }>([
    { name: 'success is not requeued', outcome: async () => undefined, advanceMs: 600_000, results: ['success'] },
    {
      name: 'requeueAfter: 0 is not requeued',
      outcome: async () => ({ requeueAfter: 0 }),
      advanceMs: 600_000,
      results: ['success'],
    },
    {
      name: 'requeueAfter runs again after the delay',
      outcome: async () => ({ requeueAfter: 30_000 }),
      advanceMs: 30_000,
      results: ['requeue', 'success'],
    },
    {
      name: 'requeueAfter does not run early',
      outcome: async () => ({ requeueAfter: 30_000 }),
      advanceMs: 29_999,
      results: ['requeue'],
    },
    {
      name: 'a configuration error waits for a new generation',
      outcome: () => Promise.reject(new ConfigurationError('InvalidSpec', 'x')),
      advanceMs: 600_000,
      results: ['configuration'],
    },
    {
      name: 'a gone object is dropped',
      outcome: () => Promise.reject(new GoneError('deleted')),
      advanceMs: 600_000,
      results: ['gone'],
    },
    {
      name: 'a 404 from the API is gone',
      outcome: () => Promise.reject(Object.assign(new Error('nf'), { status: 404 })),
      advanceMs: 600_000,
      results: ['gone'],
    },
    {
      name: 'a 422 from the API is configuration',
      outcome: () => Promise.reject(Object.assign(new Error('bad'), { status: 422 })),
      advanceMs: 600_000,
      results: ['configuration'],
    },
    {
      name: 'a 403 (a missing permission) is retried, not dropped',
      outcome: () => Promise.reject(Object.assign(new Error('forbidden'), { status: 403 })),
      advanceMs: 1000,
      results: ['permission', 'success'],
    },
    {
      name: 'an unknown error is retried',
      outcome: () => Promise.reject(new Error('boom')),
      advanceMs: 1000,
      results: ['transient', 'success'],
    },
    {
      name: 'retryAfterMs outweighs a shorter backoff',
      outcome: () => Promise.reject(new TransientError('slow down', { retryAfterMs: 10_000 })),
      advanceMs: 9_999,
      results: ['transient'],
    },
    {
      name: 'retryAfterMs is honoured',
      outcome: () => Promise.reject(new TransientError('slow down', { retryAfterMs: 10_000 })),
      advanceMs: 10_000,
      results: ['transient', 'success'],
    },
  ])('$name', async ({ outcome, advanceMs, results }) => {
    const run = await runOnce(outcome, advanceMs);
    expect(run.results).toEqual(results);
    expect(run.calls).toBe(results.length);
    // The backoff count survives only while a retry is still pending.
    expect(run.failures).toBe(['transient', 'permission'].includes(results.at(-1)!) ? 1 : 0);
  });

  it('recheck looks again after the per-key backoff, growing while the object stays blocked', async () => {
    const results: ReconcileResult[] = [];
    const { queue, clock } = newQueue({ observer: { onResult: (_key, result) => results.push(result) } });
    const controller = new AbortController();
    let calls = 0;
    const running = queue.run(1, async () => (++calls <= 3 ? { recheck: true } : undefined), controller.signal);
    queue.add('k');
    await clock.advance(0);
    expect(calls).toBe(1);
    await clock.advance(999);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    await clock.advance(1999);
    expect(calls).toBe(2);
    await clock.advance(1);
    expect(calls).toBe(3);
    await clock.advance(4000);
    expect(calls).toBe(4);
    expect(results).toEqual(['requeue', 'requeue', 'requeue', 'success']);
    expect(queue.failures('k')).toBe(0);
    controller.abort();
    await running;
  });

  it('reports the wait from add to hand-out, merged adds counting from the first', async () => {
    const waits: [string, number][] = [];
    const { queue, clock } = newQueue({ observer: { onWait: (key, ms) => waits.push([key, ms]) } });
    queue.add('a');
    await clock.advance(300);
    queue.add('a');
    await clock.advance(200);
    await takeAll(queue);
    expect(waits).toEqual([['a', 500]]);
  });
});

describe('addAfter', () => {
  it('keeps only the earliest pending delay per key', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('a', 5000);
    queue.addAfter('a', 1000);
    queue.addAfter('a', 3000);
    await clock.advance(1000);
    expect(await takeAll(queue)).toEqual(['a']);
    await clock.advance(10_000);
    expect(queue.depth()).toBe(0);
  });

  // Issue 22: a sleep per key, each with an abort listener on one shared signal, cost N².
  it('parks a thousand keys on one timer with one abort listener, and hands every one out', async () => {
    const clock = new FakeClock(0);
    const signals = new Set<AbortSignal>();
    const spy: Clock = {
      now: () => clock.now(),
      sleep: (ms, signal) => (signal && signals.add(signal), clock.sleep(ms, signal)),
    };
    const queue = new WorkQueue({ clock: spy, rateLimit: false });
    for (let i = 0; i < 1000; i++) queue.addAfter(`k${i}`, 60_000 - i * 10);
    const listeners = [...signals].reduce((sum, s) => sum + getEventListeners(s, 'abort').length, 0);
    expect(clock.pending()).toBe(1);
    expect(listeners).toBe(1);
    await clock.advance(60_000);
    expect(queue.depth()).toBe(1000);
    expect(queue.delayed()).toBe(0);
  });

  it('adds at once for a non-positive delay', () => {
    const { queue } = newQueue();
    queue.addAfter('a', 0);
    expect(queue.depth()).toBe(1);
  });
});

describe('rate limit', () => {
  it('hands out a burst at once, then one key per token', async () => {
    const { queue, clock } = newQueue({ rateLimit: { perSecond: 2, burst: 3 } });
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push((await queue.get())!);
    expect(got).toEqual(['a', 'b', 'c']);
    const fourth = queue.get();
    expect((await settled(fourth)).done).toBe(false);
    await clock.advance(499);
    expect((await settled(fourth)).done).toBe(false);
    await clock.advance(1);
    expect(await fourth).toBe('d');
    const fifth = queue.get();
    await clock.advance(500);
    expect(await fifth).toBe('e');
  });

  it('rejects a nonsensical limit early', () => {
    expect(() => new WorkQueue({ rateLimit: { perSecond: 0, burst: 1 } })).toThrow(RangeError);
  });
});

describe('shutdown and drain', () => {
  it('stops handing out work and ignores later adds', async () => {
    const { queue } = newQueue();
    const waiting = queue.get();
    queue.add('a');
    expect(await waiting).toBe('a');
    const blocked = queue.get();
    queue.shutdown();
    expect(await blocked).toBeUndefined();
    queue.add('b');
    queue.addAfter('c', 10);
    expect(queue.depth()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('drain waits for in-flight work', async () => {
    const { queue } = newQueue();
    queue.add('a');
    await queue.get();
    const draining = queue.drain(10_000);
    expect((await settled(draining)).done).toBe(false);
    queue.done('a');
    expect(await draining).toBe(true);
  });

  it('drain gives up at the deadline', async () => {
    const { queue, clock } = newQueue();
    queue.add('a');
    await queue.get();
    const draining = queue.drain(10_000);
    await clock.advance(9_999);
    expect((await settled(draining)).done).toBe(false);
    await clock.advance(1);
    expect(await draining).toBe(false);
  });

  it('drain of an idle queue resolves at once', async () => {
    const { queue } = newQueue();
    expect(await queue.drain(1)).toBe(true);
  });

  it('aborting run() signal stops the workers and passes the signal to handlers', async () => {
    const { queue } = newQueue();
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const running = queue.run(
      2,
      async (_key, signal) => {
        seen = signal;
      },
      controller.signal,
    );
    queue.add('a');
    await flushMicrotasks();
    controller.abort();
    await running;
    expect(seen).toBe(controller.signal);
    expect(queue.isShutDown()).toBe(true);
  });

  it('run() rejects a concurrency that is not a positive integer', async () => {
    const { queue } = newQueue();
    await expect(queue.run(0, async () => undefined, new AbortController().signal)).rejects.toThrow(RangeError);
  });
});

describe('edits first, without starving first-time work', () => {
  it.each<{ name: string; adds: [string, Priority][]; expected: string[] }>([
    {
      name: 'an edit before first-time work and resyncs',
      adds: [
        ['r', 'resync'],
        ['c', 'change'],
        ['e', 'edit'],
      ],
      expected: ['e', 'c', 'r'],
    },
    {
      name: 'an edit raises a waiting first-time key',
      adds: [
        ['c1', 'change'],
        ['c2', 'change'],
        ['c2', 'edit'],
      ],
      expected: ['c2', 'c1'],
    },
    {
      name: 'a change does not lower a waiting edit',
      adds: [
        ['c', 'change'],
        ['e', 'edit'],
        ['e', 'change'],
      ],
      expected: ['e', 'c'],
    },
  ])('$name', async ({ adds, expected }) => {
    const { queue } = newQueue();
    for (const [key, priority] of adds) queue.add(key, { priority });
    expect(await takeAll(queue)).toEqual(expected);
  });

  it('an edit jumps 6,000 first-time keys', async () => {
    const { queue } = newQueue();
    for (let i = 0; i < 6000; i++) queue.add(`Connection/ns/new-${i}`, { priority: 'change' });
    expect(await queue.get()).toBe('Connection/ns/new-0');
    queue.add('Connection/ns/edited', { priority: 'edit' });
    expect(await queue.get()).toBe('Connection/ns/edited');
  });

  it('a stream of edits leaves one hand-out in FAIRNESS_PERIOD to the lanes below', async () => {
    const { queue } = newQueue();
    for (let i = 0; i < 3; i++) queue.add(`c${i}`, { priority: 'change' });
    for (let i = 0; i < 10; i++) queue.add(`e${i}`, { priority: 'edit' });
    const order = await takeAll(queue);
    expect(order.slice(0, 10)).toEqual(['e0', 'e1', 'e2', 'e3', 'c0', 'e4', 'e5', 'e6', 'e7', 'c1']);
    expect(FAIRNESS_PERIOD).toBe(5);
  });
});

describe('delays from outside are capped', () => {
  it.each([
    ['a requeueAfter of a week', { requeueAfter: 7 * 86_400_000 }],
    ['a Retry-After of a day', undefined],
  ])('%s waits DEFAULT_MAX_DELAY_MS at most', async (_name, result) => {
    const { queue, clock } = newQueue();
    const calls: number[] = [];
    const controller = new AbortController();
    const running = queue.run(
      1,
      async () => {
        calls.push(clock.now().getTime());
        if (calls.length > 1) return undefined;
        if (result) return result;
        throw new TransientError('slow down', { retryAfterMs: 86_400_000 });
      },
      controller.signal,
    );
    queue.add('k');
    await clock.advance(0);
    await clock.advance(DEFAULT_MAX_DELAY_MS - 1);
    expect(calls).toEqual([0]);
    await clock.advance(1);
    expect(calls).toEqual([0, DEFAULT_MAX_DELAY_MS]);
    controller.abort();
    await running;
  });

  it('maxDelayMs is an option', async () => {
    const { queue, clock } = newQueue({ maxDelayMs: 5_000 });
    queue.addAfter('k', 60_000);
    await clock.advance(5_000);
    expect(queue.depth()).toBe(1);
  });
});

describe('retryFailedNow (the API server is back)', () => {
  it('retries every key in backoff at once, with its backoff reset, and leaves plain delays alone', async () => {
    const { queue, clock } = newQueue();
    for (let i = 0; i < 9; i++) queue.addWithBackoff('failing'); // the 9th waits 256 s
    queue.addWithBackoff('other', { priority: 'resync' });
    queue.addAfter('scheduled', 60_000);
    await clock.advance(0);
    expect(queue.depth()).toBe(0);
    expect(queue.retryFailedNow()).toBe(2);
    expect(await takeAll(queue)).toEqual(['failing', 'other']);
    expect(queue.failures('failing')).toBe(0);
    expect(queue.delayed()).toBe(1);
    // The superseded backoff timers fire into nothing.
    await clock.advance(300_000);
    expect(await takeAll(queue)).toEqual(['scheduled']);
  });
});
