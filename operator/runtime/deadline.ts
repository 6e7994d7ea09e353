// A reconcile talks to hosts a tenant names. Each request has its own deadline, but a reconcile
// makes several, and a bug or a new call without one would let a hostile host hold a worker for
// good: with `--concurrency 2`, two dripping hosts stopped all other work while /healthz said
// healthy (issue 18, finding 2). So the engine gives every reconcile a deadline of its own too.

import { type Clock, SLEEP_CANCELLED } from './clock.ts';

/** The longest one reconcile may take: three probes at their longest (60 s each), then it is cut. */
export const RECONCILE_DEADLINE_MS = 180_000;

/** A reconcile that ran past its deadline: `classify` calls it transient, so it is retried with backoff. */
export class ReconcileDeadlineExceeded extends Error {
  override readonly name = 'ReconcileDeadlineExceeded';
}

/**
 * Runs `work` with a signal that aborts when `signal` does or `ms` pass, whichever is first. At
 * the deadline it rejects at once, freeing the worker even if `work` ignores its signal; `work`
 * is left to end on its own request deadlines, its result unread.
 */
export async function withDeadline<T>(
  clock: Clock,
  ms: number,
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const inner = new AbortController();
  const timer = new AbortController();
  const stop = (): void => inner.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  const expired = clock.sleep(ms, timer.signal).then(() => {
    if (timer.signal.aborted) return new Promise<never>(() => undefined); // settled first: never wins the race
    const error = new ReconcileDeadlineExceeded(`the reconcile did not finish within ${ms / 1000} s`);
    inner.abort(error);
    throw error;
  });
  try {
    const running = work(inner.signal);
    running.catch(() => undefined); // may settle after the deadline, with no one left to read it
    return await Promise.race([running, expired]);
  } finally {
    timer.abort(SLEEP_CANCELLED);
    signal.removeEventListener('abort', stop);
  }
}
