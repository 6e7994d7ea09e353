// Time is injected everywhere in the runtime so that backoff, lease expiry and condition
// timestamps can be tested without waiting and without asserting on real timing.

export interface Clock {
  now(): Date;
  /**
   * Resolves after `ms` milliseconds, or at once when `signal` aborts. It never rejects: loops
   * check `signal.aborted` after waking, which keeps shutdown free of unhandled rejections.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => new Date(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
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

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        dueMs: this.#nowMs + Math.max(0, ms),
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
