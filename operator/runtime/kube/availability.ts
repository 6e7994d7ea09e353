// Whether the API server answers, as every request this process sends sees it. Kept in one place
// because three decisions hang on it (issue 9, measured with kube-apiserver and etcd killed,
// SIGSTOPped and restarted under 400 objects):
//
// - a 401 or 403 shortly after an outage is the server still loading its RBAC caches (refusals
//   were seen 0.9 s and 1.5 s after a start, 200 about 75 ms later), not a missing Role: the
//   transport turns it into a transient error during `restartWindowMs` after the last failure;
// - when the server is back, informers sleeping in their watch backoff (up to 30 s) and keys
//   waiting out their per-key backoff (up to 5 min) are woken at once (`onRecovered`), instead of
//   each finding out by itself a minute later;
// - /readyz goes unready once the server has been unreachable for a while (`unreachableForMs`).
//
// While the server is thought down, a cheap GET /readyz (public to every identity, and 200 only
// once etcd answers and the server's own informers are synced) is sent every second, so that a
// recovery is noticed even when every other caller is asleep in a backoff.

/** A 401 or 403 within this long after the last failure is taken as the restart's, not RBAC's. */
export const DEFAULT_RESTART_WINDOW_MS = 30_000;
/** How often the server is asked whether it is back, while it is thought down. */
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;

export interface AvailabilityOptions {
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** @default DEFAULT_RESTART_WINDOW_MS */
  readonly restartWindowMs?: number;
  /** Asks the server whether it is back; its own answer is reported through `answered`/`failed`. */
  readonly probe?: () => Promise<unknown>;
  /** @default DEFAULT_PROBE_INTERVAL_MS */
  readonly probeIntervalMs?: number;
}

export class ApiAvailability {
  readonly #now: () => number;
  readonly #restartWindowMs: number;
  readonly #probe: (() => Promise<unknown>) | undefined;
  readonly #probeIntervalMs: number;
  readonly #listeners = new Set<() => void>();
  #lastFailureMs: number | undefined;
  #downSinceMs: number | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: AvailabilityOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#restartWindowMs = options.restartWindowMs ?? DEFAULT_RESTART_WINDOW_MS;
    this.#probe = options.probe;
    this.#probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  }

  /** The server answered with `status`. A 5xx is its own report of an outage (etcd down, starting). */
  answered(status: number): void {
    if (status >= 500) return this.failed();
    if (status < 200 || status >= 300 || this.#downSinceMs === undefined) return;
    this.#downSinceMs = undefined;
    // The restart window counts from the return: the refusals come right after it.
    this.#lastFailureMs = this.#now();
    this.#stopProbing();
    for (const listener of [...this.#listeners]) callSafely(listener);
  }

  /** No answer (refused, reset, timed out) or a watch stream that broke. */
  failed(): void {
    const now = this.#now();
    this.#lastFailureMs = now;
    this.#downSinceMs ??= now;
    this.#startProbing();
  }

  get down(): boolean {
    return this.#downSinceMs !== undefined;
  }

  /** True within the restart window after the last failure (or the return that ended it). */
  recovering(): boolean {
    return this.#lastFailureMs !== undefined && this.#now() - this.#lastFailureMs < this.#restartWindowMs;
  }

  /** How long the server has been unreachable without a single success; 0 while it answers. */
  unreachableForMs(): number {
    return this.#downSinceMs === undefined ? 0 : this.#now() - this.#downSinceMs;
  }

  /** Calls `listener` each time the server answers again after an outage. Returns an unsubscribe. */
  onRecovered(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves at the next return after an outage, or when `signal` aborts. */
  whenRecovered(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const unsubscribe = this.onRecovered(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Stops probing for good (the client is closed). */
  close(): void {
    this.#closed = true;
    this.#stopProbing();
  }

  #startProbing(): void {
    if (!this.#probe || this.#probeTimer !== undefined || this.#closed) return;
    const probe = this.#probe;
    this.#probeTimer = setInterval(() => void probe().catch(() => {}), this.#probeIntervalMs);
    // A probe must not keep a process alive that has nothing else to do.
    this.#probeTimer.unref();
  }

  #stopProbing(): void {
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
  }
}

// A listener that throws must not stop the others from waking.
function callSafely(listener: () => void): void {
  try {
    listener();
  } catch {
    // Listeners report their own failures.
  }
}
