import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { TimerWheel } from './timer-wheel.ts';

function wheel(): {
  clock: FakeClock;
  stop: AbortController;
  fired: string[];
  wheel: TimerWheel<string>;
} {
  const clock = new FakeClock(0);
  const stop = new AbortController();
  const fired: string[] = [];
  return {
    clock,
    stop,
    fired,
    wheel: new TimerWheel(clock, stop.signal, (item) => fired.push(item)),
  };
}

describe('TimerWheel', () => {
  it('hands items out in due order, ties in the order scheduled', async () => {
    const { clock, fired, wheel: w } = wheel();
    w.schedule(300, 'c');
    w.schedule(100, 'a1');
    w.schedule(200, 'b');
    w.schedule(100, 'a2');
    await clock.advance(150);
    expect(fired).toEqual(['a1', 'a2']);
    await clock.advance(1000);
    expect(fired).toEqual(['a1', 'a2', 'b', 'c']);
    expect(w.size).toBe(0);
  });

  it('keeps a single sleep pending however many items, re-arming for an earlier one', async () => {
    const { clock, fired, wheel: w } = wheel();
    for (let i = 0; i < 500; i++) w.schedule(10_000 - i, `k${i}`);
    expect(clock.pending()).toBe(1);
    await clock.advance(10_000);
    expect(fired).toHaveLength(500);
    expect(clock.pending()).toBe(0);
  });

  it('drops everything and its listener when the stop signal aborts', async () => {
    const { clock, stop, fired, wheel: w } = wheel();
    w.schedule(100, 'a');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    stop.abort();
    expect(clock.pending()).toBe(0);
    w.schedule(50, 'b');
    await clock.advance(1000);
    expect(fired).toEqual([]);
    expect(w.size).toBe(0);
  });
});
