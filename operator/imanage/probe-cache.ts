// Probes are shared: however many connections point at one host, it gets one probe per
// interval (jittered per host), concurrent askers share the probe in flight, and a failing or
// rate-limiting host is asked less often: Retry-After first, then exponential backoff.

import type { Clock } from '../runtime/clock.ts';

export interface ProbeOutcome {
  /** False backs the key off. */
  readonly ok: boolean;
  /** Server-advised wait (Retry-After). */
  readonly retryAfterMs?: number;
}

export interface CachedProbe<T> {
  readonly value: T;
  readonly checkedAt: Date;
  /** When the next probe of this key may run; ask again then. */
  readonly nextAt: Date;
}

interface Entry<T> {
  cached?: CachedProbe<T>;
  inFlight?: Promise<CachedProbe<T>>;
  failures: number;
  /** Fixed per key so that each host keeps its own phase. */
  jitter: number;
}

export interface ProbeCacheOptions {
  readonly clock: Clock;
  /** In [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Backoff never exceeds this (nor drops below the interval). @default 10 minutes */
  readonly maxBackoffMs?: number;
  /** Called after every probe actually sent, for metrics and tests. */
  readonly onProbe?: (key: string) => void;
}

export class ProbeCache<T extends ProbeOutcome> {
  readonly #options: ProbeCacheOptions;
  readonly #entries = new Map<string, Entry<T>>();

  constructor(options: ProbeCacheOptions) {
    this.#options = options;
  }

  /**
   * The current result for `key`, probing only if the last one is due for renewal. Keys with the
   * same `phase` (a host) share their jitter, so the probes of one connection fall due together
   * and it is reconciled once per interval, not once per probe.
   */
  async get(key: string, intervalMs: number, probe: () => Promise<T>, phase?: string): Promise<CachedProbe<T>> {
    const entry = this.#entry(key, phase);
    if (entry.inFlight) return entry.inFlight;
    const now = this.#options.clock.now().getTime();
    if (entry.cached && now < entry.cached.nextAt.getTime()) return entry.cached;
    entry.inFlight = this.#run(key, entry, intervalMs, probe).finally(() => {
      entry.inFlight = undefined;
    });
    return entry.inFlight;
  }

  /** Forget a key's history (its object changed, e.g. a new URL or CA bundle). */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  #entry(key: string, phase: string | undefined): Entry<T> {
    let entry = this.#entries.get(key);
    if (!entry) {
      const unit = phase === undefined ? (this.#options.random ?? Math.random)() : unitHash(phase);
      entry = { failures: 0, jitter: 0.9 + 0.2 * unit };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  async #run(key: string, entry: Entry<T>, intervalMs: number, probe: () => Promise<T>): Promise<CachedProbe<T>> {
    this.#options.onProbe?.(key);
    const value = await probe();
    const checkedAt = this.#options.clock.now();
    entry.failures = value.ok ? 0 : entry.failures + 1;
    const waitMs = this.#nextDelay(entry, intervalMs, value);
    entry.cached = { value, checkedAt, nextAt: new Date(checkedAt.getTime() + waitMs) };
    return entry.cached;
  }

  #nextDelay(entry: Entry<T>, intervalMs: number, value: T): number {
    const interval = intervalMs * entry.jitter;
    if (entry.failures === 0) return interval;
    const cap = Math.max(intervalMs, this.#options.maxBackoffMs ?? 600_000);
    const backoff = Math.min(cap, interval * 2 ** (entry.failures - 1));
    return Math.max(value.retryAfterMs ?? 0, backoff);
  }
}

/** A stable number in [0, 1) for a string (FNV-1a), so that a host keeps its phase. */
function unitHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193) >>> 0;
  return hash / 2 ** 32;
}
