// The reconcile work queue, modelled on client-go's workqueue: keys not objects (reconciles are
// level-based and re-read the object), duplicates merge, one key is never processed twice at once,
// failures back off per key, and a global token bucket protects the API server and iManage.
// On top of that, three lanes: a new generation of an object already reconciled (a user's edit)
// first, then first-time work (a create, the initial pass after a start), then periodic resyncs.
// So an edit made during a large sync (6,000 objects after a restart or a mass apply) is not
// stuck behind the whole backlog (issue 9 measured 15 s), and first-time work is not stuck
// behind resyncs. The higher lanes do not starve the lower: one hand-out in FAIRNESS_PERIOD goes
// to a lower lane that has waited.
// Every delay the queue is handed (a requeueAfter, a Retry-After, a backoff) is capped at
// `maxDelayMs`: a value from outside (an iManage header, a computed expiry) never parks a key for
// days.
import { realClock, type Clock } from './clock.ts';
import { classify, retryAfterMsOf, type ErrorClass } from './errors.ts';
import { TimerWheel } from './timer-wheel.ts';

/**
 * `edit`: a new generation of an object this operator reconciled before; `change`: first-time
 * work and anything else an event asks for; `resync`: periodic re-checks.
 */
export type Priority = 'edit' | 'change' | 'resync';

export interface AddOptions {
  /** @default 'change' */
  readonly priority?: Priority;
}

export interface HandlerResult {
  /** Reconcile again after this many milliseconds (as a resync); 0 or absent means don't. */
  readonly requeueAfter?: number;
  /**
   * The object is blocked on something no watch reports (a referenced Secret that the operator
   * reads on demand): look again after the key's exponential backoff, so that it recovers by
   * itself without polling every object at a fixed rate.
   */
  readonly recheck?: boolean;
}

/** Reconciles one key. Throw to retry with backoff, or a typed error from errors.ts. */
export type Handler = (key: string, signal: AbortSignal) => Promise<HandlerResult | void>;

/** How one handler call ended; the error classes come from `classify`. */
export type ReconcileResult = 'success' | 'requeue' | ErrorClass;

/** Hooks for metrics and logs; keep them cheap, they run on the queue's path. */
export interface QueueObserver {
  /** Time from the key being added to it being handed out. */
  onWait?(key: string, waitMs: number): void;
  onResult?(key: string, result: ReconcileResult, durationMs: number, error?: unknown): void;
}

export interface BackoffOptions {
  /** Delay after the first failure. @default 1000 */
  readonly baseMs: number;
  /** @default 300000 (5 min) */
  readonly maxMs: number;
  /** Fraction shaved off at random so retries of many keys spread out. @default 0.2 */
  readonly jitter: number;
}

export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
}

export interface WorkQueueOptions {
  readonly clock?: Clock;
  readonly backoff?: Partial<BackoffOptions>;
  /** The longest any key is parked (requeueAfter, Retry-After, backoff). @default DEFAULT_MAX_DELAY_MS */
  readonly maxDelayMs?: number;
  /** Global limit on keys handed out; `false` disables it. @default { perSecond: 50, burst: 300 } */
  readonly rateLimit?: RateLimitOptions | false;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  readonly observer?: QueueObserver;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 300_000, jitter: 0.2 };
/** 10 minutes, the default resync period: no delay from outside parks a key longer than a resync would. */
export const DEFAULT_MAX_DELAY_MS = 600_000;
/** Of this many hand-outs in a row, the last goes to a lower lane if one has keys waiting. */
export const FAIRNESS_PERIOD = 5;
const LANES: readonly Priority[] = ['edit', 'change', 'resync'];
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 50, burst: 300 };

/** `kind/namespace/name`; cluster-scoped objects have an empty namespace (`kind//name`). */
export function queueKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

export function parseQueueKey(key: string): { kind: string; namespace: string; name: string } {
  const [kind = '', namespace = '', ...rest] = key.split('/');
  return { kind, namespace, name: rest.join('/') };
}

export function kindOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

/**
 * Delay before retry number `failures + 1`: base·2^failures capped at max, then up to `jitter`
 * of it shaved off (jitter only shortens, so the cap is a true maximum).
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: number): number {
  const nominal = Math.min(options.maxMs, options.baseMs * 2 ** failures);
  return Math.round(nominal * (1 - options.jitter * random));
}

class TokenBucket {
  readonly #limit: RateLimitOptions;
  #tokens: number;
  #lastMs: number;

  constructor(limit: RateLimitOptions, nowMs: number) {
    if (!(limit.perSecond > 0 && limit.burst >= 1)) {
      throw new RangeError(
        `rateLimit needs perSecond > 0 and burst >= 1 (got ${limit.perSecond}/s, burst ${limit.burst})`,
      );
    }
    this.#limit = limit;
    this.#tokens = limit.burst;
    this.#lastMs = nowMs;
  }

  /** Milliseconds until a token is available (0 if one is). */
  delayMs(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.#limit.perSecond);
  }

  take(nowMs: number): void {
    this.#refill(nowMs);
    this.#tokens -= 1;
  }

  #refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.#lastMs);
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + (elapsed * this.#limit.perSecond) / 1000);
    this.#lastMs = nowMs;
  }
}

interface Waiting {
  readonly addedMs: number;
}

interface Pending {
  priority: Priority;
  readonly addedMs: number;
}

interface Delayed {
  priority: Priority;
  readonly dueMs: number;
}

function higher(a: Priority, b: Priority): Priority {
  return LANES.indexOf(a) <= LANES.indexOf(b) ? a : b;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  readonly #maxDelayMs: number;
  readonly #bucket: TokenBucket | undefined;
  readonly #random: () => number;
  readonly #observer: QueueObserver;
  // Each waiting key is in exactly one lane; Map keeps insertion order, so each lane is FIFO.
  readonly #lanes: Record<Priority, Map<string, Waiting>> = { edit: new Map(), change: new Map(), resync: new Map() };
  /** Hand-outs in a row from the top lane while a lower one had keys waiting. */
  #passedOver = 0;
  /** Keys handed out and not yet done, with the lane they came from (retries keep it). */
  readonly #processing = new Map<string, Priority>();
  /** Keys added while processing: re-queued when done, so a change seen mid-reconcile is not lost. */
  readonly #dirty = new Map<string, Pending>();
  readonly #delayed = new Map<string, Delayed>();
  readonly #failures = new Map<string, number>();
  readonly #stop = new AbortController();
  /** One timer for every delayed key (timer-wheel.ts says why). */
  readonly #wheel: TimerWheel<{ readonly key: string; readonly entry: Delayed }>;
  #wakers: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    const limit = options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit;
    this.#bucket = limit === false ? undefined : new TokenBucket(limit, this.#nowMs());
    this.#random = options.random ?? Math.random;
    this.#observer = options.observer ?? {};
    this.#wheel = new TimerWheel(this.#clock, this.#stop.signal, ({ key, entry }) => {
      if (this.#delayed.get(key) !== entry) return; // superseded by an earlier delay that already fired
      this.#delayed.delete(key);
      this.add(key, { priority: entry.priority });
    });
  }

  /** Queues `key`. A key already waiting is merged (its lane may be raised to `change`). */
  add(key: string, options: AddOptions = {}): void {
    if (this.isShutDown()) return;
    const priority = options.priority ?? 'change';
    if (this.#processing.has(key)) {
      const dirty = this.#dirty.get(key);
      if (dirty) dirty.priority = higher(dirty.priority, priority);
      else this.#dirty.set(key, { priority, addedMs: this.#nowMs() });
      return;
    }
    this.#enqueue(key, priority, this.#nowMs());
  }

  #enqueue(key: string, priority: Priority, addedMs: number): void {
    const lane = LANES.find((p) => this.#lanes[p].has(key));
    if (lane !== undefined) {
      if (higher(lane, priority) === lane) return;
      // Raised keys join the back of the higher lane but keep their original add time.
      const waiting = this.#lanes[lane].get(key)!;
      this.#lanes[lane].delete(key);
      this.#lanes[priority].set(key, waiting);
      return;
    }
    this.#lanes[priority].set(key, { addedMs });
    this.#wake();
  }

  /** Queues `key` after `delayMs`. Only the earliest pending delay per key is kept. */
  addAfter(key: string, requestedDelayMs: number, options: AddOptions = {}): void {
    if (this.isShutDown()) return;
    if (!(requestedDelayMs > 0)) return this.add(key, options);
    const delayMs = Math.min(requestedDelayMs, this.#maxDelayMs);
    const priority = options.priority ?? 'change';
    const dueMs = this.#nowMs() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing && existing.dueMs <= dueMs) {
      existing.priority = higher(existing.priority, priority);
      return;
    }
    const entry: Delayed = { dueMs, priority: existing ? higher(existing.priority, priority) : priority };
    this.#delayed.set(key, entry);
    this.#wheel.schedule(dueMs, { key, entry });
  }

  /** Queues `key` after its per-key exponential backoff (and at least `minDelayMs`). */
  addWithBackoff(key: string, options: AddOptions & { readonly minDelayMs?: number } = {}): void {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = backoffDelay(failures, this.#backoff, this.#random());
    this.addAfter(key, Math.max(delay, options.minDelayMs ?? 0), options);
  }

  /** Resets the backoff of `key` (after a success, or when the object is gone). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /**
   * Every key waiting out a failure backoff is retried now, its backoff reset: the API server is
   * back, and what failed during its outage should not wait minutes more. Returns how many.
   */
  retryFailedNow(): number {
    let retried = 0;
    for (const key of [...this.#failures.keys()]) {
      this.#failures.delete(key);
      const delayed = this.#delayed.get(key);
      if (!delayed) continue;
      this.#delayed.delete(key); // its timer finds itself superseded and does nothing
      this.add(key, { priority: delayed.priority });
      retried++;
    }
    return retried;
  }

  /** Failures since the last `forget`. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Keys waiting to be handed out (not counting delayed or in-flight ones). */
  depth(): number {
    return LANES.reduce((sum, p) => sum + this.#lanes[p].size, 0);
  }

  /** Keys parked until a delay or a backoff ends. */
  delayed(): number {
    return this.#delayed.size;
  }

  depthByKind(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const lane of Object.values(this.#lanes)) {
      for (const key of lane.keys()) {
        const kind = kindOf(key);
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
      }
    }
    return counts;
  }

  inFlight(): number {
    return this.#processing.size;
  }

  isShutDown(): boolean {
    return this.#stop.signal.aborted;
  }

  #nowMs(): number {
    return this.#clock.now().getTime();
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }

  #nextWake(): Promise<void> {
    return new Promise((resolve) => this.#wakers.push(resolve));
  }

  /**
   * Waits for the next key, change lane first, within the global rate limit. Resolves
   * `undefined` once the queue is shut down. Every key handed out must be passed to `done`.
   */
  async get(): Promise<string | undefined> {
    for (;;) {
      if (this.isShutDown()) return undefined;
      if (this.depth() === 0) {
        await this.#nextWake();
        continue;
      }
      const tokenDelayMs = this.#bucket?.delayMs(this.#nowMs()) ?? 0;
      if (tokenDelayMs > 0) {
        // The key is picked only after the token, so a change added meanwhile still goes first.
        await this.#clock.sleep(tokenDelayMs, this.#stop.signal);
        continue;
      }
      this.#bucket?.take(this.#nowMs());
      return this.#handOut();
    }
  }

  #handOut(): string {
    const priority = this.#pickLane();
    const lane = this.#lanes[priority];
    const [key, waiting] = lane.entries().next().value as [string, Waiting];
    lane.delete(key);
    this.#processing.set(key, priority);
    this.#observer.onWait?.(key, this.#nowMs() - waiting.addedMs);
    return key;
  }

  /** The highest lane with keys, except that every FAIRNESS_PERIOD-th pick goes to the next one down. */
  #pickLane(): Priority {
    const waiting = LANES.filter((p) => this.#lanes[p].size > 0);
    if (waiting.length < 2) {
      this.#passedOver = 0;
      return waiting[0] ?? 'resync';
    }
    if (++this.#passedOver < FAIRNESS_PERIOD) return waiting[0]!;
    this.#passedOver = 0;
    return waiting[1]!;
  }

  /** Marks `key` finished; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    if (!this.#processing.delete(key)) return;
    const dirty = this.#dirty.get(key);
    if (dirty) {
      this.#dirty.delete(key);
      if (!this.isShutDown()) this.#enqueue(key, dirty.priority, dirty.addedMs);
    }
    if (this.#processing.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const notify of waiters) notify();
    }
  }

  /**
   * Runs `concurrency` workers until the queue is shut down or `signal` aborts (which shuts it
   * down; handlers receive the same signal to cancel their I/O). Resolves when all workers
   * have finished their current key.
   */
  async run(concurrency: number, handler: Handler, signal: AbortSignal): Promise<void> {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer (got ${concurrency})`);
    }
    const stop = (): void => this.shutdown();
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.all(Array.from({ length: concurrency }, () => this.#worker(handler, signal)));
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  async #worker(handler: Handler, signal: AbortSignal): Promise<void> {
    for (let key = await this.get(); key !== undefined; key = await this.get()) {
      await this.#process(key, handler, signal);
    }
  }

  async #process(key: string, handler: Handler, signal: AbortSignal): Promise<void> {
    const priority = this.#processing.get(key) ?? 'change';
    const startMs = this.#nowMs();
    let result: ReconcileResult;
    let error: unknown;
    try {
      result = this.#afterSuccess(key, await handler(key, signal));
    } catch (err) {
      error = err;
      result = this.#afterFailure(key, err, priority);
    } finally {
      this.done(key);
    }
    this.#observer.onResult?.(key, result, this.#nowMs() - startMs, error);
  }

  #afterSuccess(key: string, outcome: HandlerResult | void): ReconcileResult {
    if (outcome?.recheck) {
      this.addWithBackoff(key, { priority: 'resync' });
      return 'requeue';
    }
    this.forget(key);
    const requeueAfter = outcome?.requeueAfter ?? 0;
    if (requeueAfter <= 0) return 'success';
    this.addAfter(key, requeueAfter, { priority: 'resync' });
    return 'requeue';
  }

  // Configuration errors wait for a new generation (the watch will add the key), and gone
  // objects have nothing left to do: neither is retried, so a broken spec causes no retry storm.
  // A missing permission is retried with the (capped) backoff: a Role is fixed without an edit.
  #afterFailure(key: string, err: unknown, priority: Priority): ReconcileResult {
    const errorClass = classify(err);
    if (errorClass === 'transient' || errorClass === 'permission') {
      const minDelayMs = retryAfterMsOf(err);
      this.addWithBackoff(key, minDelayMs === undefined ? { priority } : { priority, minDelayMs });
    } else {
      this.forget(key);
    }
    return errorClass;
  }

  /** Stops handing out work (waiting `get` calls resolve `undefined`) and drops delayed keys. */
  shutdown(): void {
    if (this.isShutDown()) return;
    this.#stop.abort();
    this.#wake();
  }

  /**
   * Shuts down and waits up to `deadlineMs` for in-flight keys to finish. Resolves `true` if
   * they all did, `false` if the deadline passed first.
   */
  async drain(deadlineMs: number): Promise<boolean> {
    this.shutdown();
    if (this.#processing.size === 0) return true;
    const idle = new Promise<boolean>((resolve) => this.#idleWaiters.push(() => resolve(true)));
    const timer = new AbortController();
    const expired = this.#clock.sleep(deadlineMs, timer.signal).then(() => false);
    try {
      return await Promise.race([idle, expired]);
    } finally {
      timer.abort();
    }
  }
}
