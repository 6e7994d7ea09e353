import { describe, expect, it } from 'vitest';
import { type Clock, DelayOutOfRangeError, FakeClock, flushMicrotasks, MAX_DELAY_MS, realClock } from './clock.ts';

describe('FakeClock', () => {
  it('starts at the given time and moves only when advanced', async () => {
    const clock = new FakeClock(Date.UTC(2025, 5, 1));
    expect(clock.now().toISOString()).toBe('2025-06-01T00:00:00.000Z');
    await clock.advance(1500);
    expect(clock.now().toISOString()).toBe('2025-06-01T00:00:01.500Z');
  });

  it('wakes due sleepers in due order, ties in the order they slept', async () => {
    const clock = new FakeClock(0);
    const woke: string[] = [];
    const track = (name: string, ms: number): void => {
      void clock.sleep(ms).then(() => woke.push(`${name}@${clock.now().getTime()}`));
    };
    track('c', 300);
    track('a', 100);
    track('b', 100);
    track('late', 1000);
    await clock.advance(500);
    expect(woke).toEqual(['a@100', 'b@100', 'c@300']);
    expect(clock.pending()).toBe(1);
  });

  it('wakes a sleeper scheduled by woken code when it is due inside the same advance', async () => {
    const clock = new FakeClock(0);
    const woke: number[] = [];
    void (async () => {
      await clock.sleep(100);
      woke.push(clock.now().getTime());
      await clock.sleep(100);
      woke.push(clock.now().getTime());
    })();
    await clock.advance(250);
    expect(woke).toEqual([100, 200]);
  });

  it('resolves a sleeper early when its signal aborts, and at once if already aborted', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    let woke = false;
    void clock.sleep(10_000, controller.signal).then(() => (woke = true));
    await flushMicrotasks();
    expect(woke).toBe(false);
    controller.abort();
    await flushMicrotasks();
    expect(woke).toBe(true);
    expect(clock.pending()).toBe(0);
    await expect(clock.sleep(10_000, controller.signal)).resolves.toBeUndefined();
  });
});

describe('realClock', () => {
  it('sleep resolves when the signal aborts without waiting for the timer', async () => {
    const controller = new AbortController();
    const sleeping = realClock.sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
  });

  it('sleep(0) resolves', async () => {
    await expect(realClock.sleep(0)).resolves.toBeUndefined();
  });
});

// Node fires a timer longer than 2^31 - 1 ms after 1 ms: neither clock may hand one to it.
describe.each<[string, () => Clock]>([
  ['realClock', () => realClock],
  ['FakeClock', () => new FakeClock(0)],
])('%s refuses a delay it cannot hold', (_name, makeClock) => {
  it.each([MAX_DELAY_MS + 1, 99_999_999_000, Infinity, Number.NaN])('sleep(%d) throws DelayOutOfRangeError', (ms) => {
    const clock = makeClock();
    expect(() => clock.sleep(ms)).toThrow(DelayOutOfRangeError);
    expect(() => clock.sleep(ms)).toThrow(/at most 2147483647 ms/);
  });

  it.each([MAX_DELAY_MS, -5])('sleep(%d) is accepted', async (ms) => {
    const controller = new AbortController();
    const sleeping = makeClock().sleep(ms, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
  });
});
