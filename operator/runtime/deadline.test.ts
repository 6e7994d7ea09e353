import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { classify } from './errors.ts';
import { ReconcileDeadlineExceeded, withDeadline } from './deadline.ts';

describe('withDeadline', () => {
  it('frees the caller at the deadline even when the work never ends, and aborts its signal', async () => {
    const clock = new FakeClock();
    let seen: AbortSignal | undefined;
    const run = withDeadline(clock, 1_000, new AbortController().signal, (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined); // a host that drips for ever
    });
    const outcome = run.catch((e: unknown) => e);
    await clock.advance(1_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(ReconcileDeadlineExceeded);
    expect(classify(error)).toBe('transient');
    expect(seen?.aborted).toBe(true);
  });

  it('returns what the work returns, and leaves no timer behind', async () => {
    const clock = new FakeClock();
    await expect(withDeadline(clock, 1_000, new AbortController().signal, async () => 'done')).resolves.toBe('done');
    expect(clock.pending()).toBe(0);
  });

  it('passes on an abort from outside (shutdown)', async () => {
    const clock = new FakeClock();
    const outside = new AbortController();
    let seen: AbortSignal | undefined;
    const run = withDeadline(clock, 1_000, outside.signal, async (signal) => {
      seen = signal;
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return 'stopped';
    });
    outside.abort();
    await expect(run).resolves.toBe('stopped');
    expect(seen?.aborted).toBe(true);
  });
});
