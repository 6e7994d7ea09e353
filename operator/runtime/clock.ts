// Time is injected everywhere in the runtime so that backoff, lease expiry and condition
// timestamps can be tested without waiting and without asserting on real timing.

/**
 * The longest delay the operator accepts: 2^31 - 1 ms, about 24.8 days, the most a Node timer
 * holds. Node fires a longer timer after 1 ms (with a TimeoutOverflowWarning), which turned a
 * `Retry-After: 99999999` into 350 requeues a second.
 */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * A delay the clock cannot hold: longer than MAX_DELAY_MS, or not a number. We refuse it rather
 * than clamp, because every delay is capped where it is made (Retry-After, backoff, requeueAfter)
 * at maxima far below this one; one that gets here is a bug there, and a clamp would hide it.
 */
export class DelayOutOfRangeError extends RangeError {
  override readonly name = 'DelayOutOfRangeError';
  readonly delayMs: number;
  constructor(delayMs: number) {
    super(
      `a delay of ${delayMs} ms cannot be held: delays must be numbers of at most ${MAX_DELAY_MS} ms ` +
        '(24.8 days); cap the delay where it is computed',
    );
    this.delayMs = delayMs;
  }
}

/** `ms` as a timer can hold it: negative is now; NaN, infinite or too long throws. */
export function checkDelay(ms: number): number {
  if (Number.isNaN(ms) || ms > MAX_DELAY_MS) throw new DelayOutOfRangeError(ms);
  return Math.max(0, ms);
}

export interface Clock {
  now(): Date;
  /**
   * Resolves after `ms` milliseconds, or at once when `signal` aborts. It never rejects: loops
   * check `signal.aborted` after waking, which keeps shutdown free of unhandled rejections.
   * A delay the clock cannot hold throws DelayOutOfRangeError at once, in the caller's stack.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The reason given when a sleep is cancelled because its caller moved on (a reconcile settled, an
 * earlier timer replaced it). `abort()` without one builds a DOMException with a stack each time:
 * 1.5 % of the operator's CPU at scale, one per reconcile, for a reason no sleeper reads.
 */
export const SLEEP_CANCELLED: unknown = Object.freeze({ name: 'SleepCancelled' });

export const realClock: Clock = {
  now: () => new Date(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const delayMs = checkDelay(ms);
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface Sleeper {
  readonly dueMs: number;
  readonly seq: number;
  readonly resolve: () => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** Lets all promise continuations queued so far run (they are microtasks; this is a macrotask). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that only moves when told to. `advance` wakes due sleepers one at a time, in due order
 * (ties in the order they went to sleep), and lets the woken code run before waking the next, so
 * a sleeper woken early in the window can schedule another that is still due inside it.
 */
export class FakeClock implements Clock {
  #nowMs: number;
  #seq = 0;
  #sleepers: Sleeper[] = [];

  constructor(start: Date | number = Date.UTC(2025, 0, 1)) {
    this.#nowMs = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  // Refuses what the real clock refuses, so a test finds the delay production could not hold.
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const delayMs = checkDelay(ms);
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        dueMs: this.#nowMs + delayMs,
        seq: this.#seq++,
        resolve,
        signal,
        onAbort: () => {
          this.#remove(sleeper);
          resolve();
        },
      };
      signal?.addEventListener('abort', sleeper.onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Number of sleepers not yet woken (useful to wait until code under test is parked). */
  pending(): number {
    return this.#sleepers.length;
  }

  async advance(ms: number): Promise<void> {
    const targetMs = this.#nowMs + ms;
    await flushMicrotasks();
    for (let next = this.#nextDue(targetMs); next; next = this.#nextDue(targetMs)) {
      this.#nowMs = Math.max(this.#nowMs, next.dueMs);
      this.#remove(next);
      next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
      await flushMicrotasks();
    }
    this.#nowMs = targetMs;
  }

  #nextDue(targetMs: number): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (s.dueMs > targetMs) continue;
      if (!best || s.dueMs < best.dueMs || (s.dueMs === best.dueMs && s.seq < best.seq)) best = s;
    }
    return best;
  }

  #remove(sleeper: Sleeper): void {
    const i = this.#sleepers.indexOf(sleeper);
    if (i >= 0) this.#sleepers.splice(i, 1);
  }
}
