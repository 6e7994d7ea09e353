// Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection
// package (the one controller-runtime uses), so replicas of this operator behave like any other
// controller: one leads, the others wait, and a crashed leader is replaced after the lease
// duration. It is written against a tiny LeaseStore so it does not depend on the REST client.
// @see https://pkg.go.dev/k8s.io/client-go/tools/leaderelection
import type { Logger } from 'pino';
import { realClock, type Clock } from './clock.ts';

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  resourceVersion?: string;
}

export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  create(r: LeaseRecord): Promise<LeaseRecord>;
  /** Throws an error with numeric `status` 409 on a resourceVersion conflict. */
  update(r: LeaseRecord): Promise<LeaseRecord>;
}

export interface LeaseTiming {
  /** How long others wait, after last seeing the lease change, before taking it. @default 15000 */
  readonly leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leading. @default 10000 */
  readonly renewDeadlineMs: number;
  /** Time between attempts to acquire or renew. @default 2000 */
  readonly retryPeriodMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

// client-go's JitterFactor, kept for its timing check (renewDeadline > 1.2 × retryPeriod).
const JITTER_FACTOR = 1.2;
// Candidates wait retryPeriod·(0.5, 1]: never longer than a retry period, so that a released or
// expired lease is taken within one (the operator's takeover bounds), still spread out.
const CANDIDATE_JITTER = 0.5;

export interface LeaderElectorOptions extends Partial<LeaseTiming> {
  /** Unique per replica, usually the pod name. */
  readonly identity: string;
  readonly store: LeaseStore;
  /** Called once leadership is acquired; `signal` aborts when it ends. Must not throw. */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  /** Called when leadership ends, whether lost or given up. */
  readonly onStoppedLeading?: () => void;
  /** Called when a different holder is observed (including this replica). */
  readonly onNewLeader?: (identity: string) => void;
  readonly clock?: Clock;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  readonly logger?: Logger;
}

export type LeaderRunResult = 'lost' | 'stopped';

type Attempt = 'acquired' | 'heldByOther' | 'failed';

export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #timing: LeaseTiming;
  readonly #clock: Clock;
  readonly #stop = new AbortController();
  #leading = false;
  #running: Promise<LeaderRunResult> | undefined;
  /** The last lease record seen, and when (local clock) it was first seen with that content. */
  #observed: LeaseRecord | undefined;
  #observedAtMs = 0;

  constructor(options: LeaderElectorOptions) {
    this.#timing = validateTiming({ ...DEFAULT_LEASE_TIMING, ...definedTiming(options) });
    if (options.identity === '') throw new RangeError(`'identity' must not be empty`);
    this.#options = options;
    this.#clock = options.clock ?? realClock;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Campaigns until leading, then renews until leadership is lost ('lost') or `signal` aborts or
   * `release()` is called ('stopped'; the lease is then released). One-shot: after it resolves,
   * create a new elector (controller-runtime exits the process when leadership is lost).
   */
  run(signal: AbortSignal): Promise<LeaderRunResult> {
    this.#running ??= this.#run(AbortSignal.any([signal, this.#stop.signal]));
    return this.#running;
  }

  /** Stops leading and hands the lease over at once (holder '' and a 1 s duration). */
  async release(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  async #run(signal: AbortSignal): Promise<LeaderRunResult> {
    if (!(await this.#acquire(signal))) return 'stopped';
    const leading = new AbortController();
    let lost = false;
    try {
      this.#leading = true;
      this.#options.onStartedLeading(leading.signal);
      lost = await this.#renewUntilLost(signal);
    } finally {
      this.#leading = false;
      leading.abort();
      if (!lost) await this.#releaseLease();
      this.#options.onStoppedLeading?.();
    }
    return lost ? 'lost' : 'stopped';
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      const attempt = await this.#attempt(this.#timing.renewDeadlineMs);
      if (attempt === 'acquired') {
        if (!signal.aborted) return true;
        await this.#releaseLease(); // acquired just as we were told to stop: hand it straight back
        return false;
      }
      await this.#clock.sleep(this.#candidateDelayMs(attempt), signal);
    }
    return false;
  }

  /**
   * How long a candidate waits before its next try: at most one retry period (jittered downwards,
   * so that candidates spread out without ever waiting longer), and, while another holds the
   * lease, no longer than until that lease expires. A released lease is then taken within a retry
   * period, and a crashed leader's within the lease duration plus a retry period of its last renew.
   */
  #candidateDelayMs(attempt: Attempt): number {
    const delay = this.#timing.retryPeriodMs * (1 - CANDIDATE_JITTER * (this.#options.random ?? Math.random)());
    if (attempt !== 'heldByOther' || this.#observed === undefined) return delay;
    const durationMs = (this.#observed.leaseDurationSeconds ?? this.#timing.leaseDurationMs / 1000) * 1000;
    return Math.max(0, Math.min(delay, this.#observedAtMs + durationMs - this.#nowMs()));
  }

  /** Renews every retry period; resolves true when leadership is lost, false when stopped. */
  async #renewUntilLost(signal: AbortSignal): Promise<boolean> {
    let lastRenewMs = this.#nowMs();
    for (;;) {
      await this.#clock.sleep(this.#timing.retryPeriodMs, signal);
      if (signal.aborted) return false;
      const remainingMs = lastRenewMs + this.#timing.renewDeadlineMs - this.#nowMs();
      const attempt = await this.#attempt(remainingMs);
      if (signal.aborted) return false;
      if (attempt === 'acquired') lastRenewMs = this.#nowMs();
      // Someone else validly holds the lease: stop now rather than lead side by side until the deadline.
      else if (attempt === 'heldByOther') return true;
      else if (this.#nowMs() - lastRenewMs >= this.#timing.renewDeadlineMs) return true;
    }
  }

  /** One try, bounded in time so a hung API call cannot keep a stale leader leading. */
  async #attempt(timeoutMs: number): Promise<Attempt> {
    const timer = new AbortController();
    const timedOut = this.#clock.sleep(Math.max(0, timeoutMs), timer.signal).then((): Attempt => 'failed');
    try {
      return await Promise.race([this.#tryAcquireOrRenew(), timedOut]);
    } finally {
      timer.abort();
    }
  }

  async #tryAcquireOrRenew(): Promise<Attempt> {
    let current: LeaseRecord | undefined;
    try {
      current = await this.#options.store.get();
    } catch (err) {
      return this.#failed(err, 'reading the lease failed');
    }
    const nowMs = this.#nowMs();
    if (current === undefined) return this.#write(() => this.#options.store.create(this.#nextRecord(undefined, nowMs)));
    this.#observe(current, nowMs);
    if (this.#heldByOther(current, nowMs)) return 'heldByOther';
    return this.#write(() => this.#options.store.update(this.#nextRecord(current, nowMs)));
  }

  async #write(write: () => Promise<LeaseRecord>): Promise<Attempt> {
    try {
      const written = await write();
      this.#observe(written, this.#nowMs());
      return 'acquired';
    } catch (err) {
      // A 409 means another replica wrote first: expected in a race, so it is only retried.
      return this.#failed(err, 'writing the lease failed');
    }
  }

  #failed(err: unknown, message: string): Attempt {
    const conflict = typeof err === 'object' && err !== null && 'status' in err && err.status === 409;
    if (conflict) this.#options.logger?.debug({ identity: this.#options.identity }, 'lease write conflict');
    else this.#options.logger?.warn({ err, identity: this.#options.identity }, message);
    return 'failed';
  }

  // Expiry is judged by the local clock since the record was last seen to change, never by
  // comparing renewTime with our clock, so clock skew between nodes cannot cause two leaders.
  #heldByOther(record: LeaseRecord, nowMs: number): boolean {
    const holder = record.holderIdentity ?? '';
    if (holder === '' || holder === this.#options.identity) return false;
    const durationMs = (record.leaseDurationSeconds ?? this.#timing.leaseDurationMs / 1000) * 1000;
    return this.#observedAtMs + durationMs > nowMs;
  }

  #nextRecord(old: LeaseRecord | undefined, nowMs: number): LeaseRecord {
    const now = formatMicroTime(nowMs);
    const renewing = old !== undefined && old.holderIdentity === this.#options.identity;
    return {
      holderIdentity: this.#options.identity,
      leaseDurationSeconds: Math.ceil(this.#timing.leaseDurationMs / 1000),
      acquireTime: renewing ? (old.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: old === undefined ? 0 : (old.leaseTransitions ?? 0) + (renewing ? 0 : 1),
      ...(old?.resourceVersion === undefined ? {} : { resourceVersion: old.resourceVersion }),
    };
  }

  #observe(record: LeaseRecord, nowMs: number): void {
    const previous = this.#observed;
    if (previous !== undefined && sameLease(previous, record)) {
      this.#observed = record; // keep the newest resourceVersion; the change time stays
      return;
    }
    this.#observed = record;
    this.#observedAtMs = nowMs;
    const holder = record.holderIdentity ?? '';
    if (holder !== '' && holder !== (previous?.holderIdentity ?? '')) this.#options.onNewLeader?.(holder);
  }

  /** Empties the holder and shortens the lease to 1 s so a waiting replica takes over at once. */
  async #releaseLease(): Promise<void> {
    const observed = this.#observed;
    if (observed?.holderIdentity !== this.#options.identity) return;
    const now = formatMicroTime(this.#nowMs());
    const released: LeaseRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: observed.leaseTransitions ?? 0,
      ...(observed.resourceVersion === undefined ? {} : { resourceVersion: observed.resourceVersion }),
    };
    await this.#write(() => this.#options.store.update(released));
  }

  #nowMs(): number {
    return this.#clock.now().getTime();
  }
}

function sameLease(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function definedTiming(options: Partial<LeaseTiming>): Partial<LeaseTiming> {
  return Object.fromEntries(Object.entries(options).filter(([k, v]) => k in DEFAULT_LEASE_TIMING && v !== undefined));
}

/** The same checks client-go's NewLeaderElector makes, so a bad configuration fails at start. */
export function validateTiming(timing: LeaseTiming): LeaseTiming {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timing;
  if (!(retryPeriodMs > 0)) throw new RangeError(`'retryPeriodMs' (${retryPeriodMs}) must be greater than 0`);
  if (!(leaseDurationMs > renewDeadlineMs)) {
    throw new RangeError(
      `'leaseDurationMs' (${leaseDurationMs}) must be greater than 'renewDeadlineMs' (${renewDeadlineMs})`,
    );
  }
  if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs)) {
    throw new RangeError(
      `'renewDeadlineMs' (${renewDeadlineMs}) must be greater than ${JITTER_FACTOR} × 'retryPeriodMs' (${retryPeriodMs})`,
    );
  }
  return timing;
}
