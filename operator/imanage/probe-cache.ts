// Probes are shared: however many connections point at one host, it gets one probe per
// interval, concurrent askers share the probe in flight, and a failing or rate-limiting host is
// asked less often: Retry-After first, then exponential backoff. Jitter and backoff belong to
// the host (the key's phase), not to one key: a 429 on one redirect URI holds back every probe
// of that host. A failure that comes of what one key brings (a connection's CA that does not
// verify the host) backs off that key alone: otherwise one tenant's wrong CA would hold back the
// probes of every connection to the host. Keys are held by owners (connections); a key no owner holds is forgotten, and a
// host with no keys left is forgotten with it, so the cache is as large as what is referenced.

import type { Clock } from '../runtime/clock.ts';
import { boundedDelay, MAX_PROBE_DELAY_MS } from './delays.ts';

/** What decide makes of a result: false backs the host off. */
export interface Assessment {
  readonly ok: boolean;
  /** Server-advised wait (Retry-After), already bounded. */
  readonly retryAfterMs?: number;
  /**
   * Whose failure it is. 'key': it says nothing about the host, only about this key's own inputs,
   * so only the key backs off and the host's other keys keep their interval. @default 'host'
   */
  readonly scope?: 'host' | 'key';
}

export interface CachedProbe<T> {
  readonly value: T;
  readonly checkedAt: Date;
  /** When the next probe of this key may run; ask again then. */
  readonly nextAt: Date;
}

export interface ProbeRequest<T> {
  readonly key: string;
  /** The host: keys of one phase share their jitter (they fall due together) and their backoff. */
  readonly phase: string;
  readonly intervalMs: number;
  readonly probe: () => Promise<T>;
  readonly assess: (value: T) => Assessment;
}

interface Entry<T> {
  readonly phase: string;
  readonly owners: Set<string>;
  /** Failures of this key alone (scope 'key') since it last succeeded. */
  failures: number;
  cached?: CachedProbe<T>;
  inFlight?: Promise<CachedProbe<T>>;
}

/**
 * Per-host state (jitter, failures, backoff) that several caches may share: the probes' caches and
 * the workspace searches (resolve.ts) pass one instance, so a 429 on one holds back all of them.
 */
export class HostPhases {
  readonly byHost = new Map<string, Phase>();

  /** When the host may next be asked, if it is backing off at `now` (ms). */
  backingOffUntil(host: string, now: number): Date | undefined {
    const notBefore = this.byHost.get(host)?.notBefore ?? 0;
    // Rounded up: jitter makes the time fractional, and a Date holds whole milliseconds.
    return notBefore > now ? new Date(Math.ceil(notBefore)) : undefined;
  }
}

interface Phase {
  readonly jitter: number;
  keys: number;
  /** Consecutive failed rounds. */
  failures: number;
  /** No probe of this host before this time (ms); 0 when not backing off. */
  notBefore: number;
}

export interface ProbeCacheOptions {
  readonly clock: Clock;
  /** A number in [0, 1) per host, for its jitter. @default a stable hash of the host */
  readonly phaseUnit?: (phase: string) => number;
  /** Backoff never exceeds this (nor drops below the interval). @default 10 minutes */
  readonly maxBackoffMs?: number;
  /** Called after every probe actually sent, for metrics and tests. */
  readonly onProbe?: (key: string) => void;
  /** Host state shared with other caches. @default this cache's own */
  readonly hosts?: HostPhases;
}

export class ProbeCache<T> {
  readonly #options: ProbeCacheOptions;
  readonly #entries = new Map<string, Entry<T>>();
  readonly #phases: Map<string, Phase>;
  readonly #keysByOwner = new Map<string, Set<string>>();

  constructor(options: ProbeCacheOptions) {
    this.#options = options;
    this.#phases = (options.hosts ?? new HostPhases()).byHost;
  }

  /** Whether the key has a result (fresh or stale) to hand out without asking the host. */
  has(key: string): boolean {
    return this.#entries.get(key)?.cached !== undefined;
  }

  /** Whether the key has a result still within its interval at `now` (ms): a backoff does not extend it. */
  isFresh(key: string, now: number): boolean {
    const cached = this.#entries.get(key)?.cached;
    return cached !== undefined && now < cached.nextAt.getTime();
  }

  /** Keys held, for tests and the bench. */
  get size(): number {
    return this.#entries.size;
  }

  /** Hosts with at least one key held. */
  get phases(): number {
    return this.#phases.size;
  }

  hasPhase(phase: string): boolean {
    return this.#phases.has(phase);
  }

  /** The current result for the key, probing only when it is due; `owner` now holds the key. */
  async get(owner: string, request: ProbeRequest<T>): Promise<CachedProbe<T>> {
    const entry = this.#hold(owner, request);
    if (entry.inFlight) return entry.inFlight;
    const phase = this.#phases.get(entry.phase)!;
    if (entry.cached && this.#now() < dueAt(entry.cached, phase)) return withBackoff(entry.cached, phase);
    entry.inFlight = this.#run(entry, phase, request).finally(() => {
      entry.inFlight = undefined;
    });
    return entry.inFlight;
  }

  /** `owner` holds exactly these keys now; the rest it held are released. Returns the keys forgotten. */
  retain(owner: string, keys: Iterable<string>): string[] {
    const keep = new Set(keys);
    const held = this.#keysByOwner.get(owner);
    const dropped = [...(held ?? [])].filter((k) => !keep.has(k));
    return dropped.flatMap((key) => this.#unhold(owner, key));
  }

  /** The owner is gone (its connection was deleted). Returns the keys forgotten. */
  release(owner: string): string[] {
    return this.retain(owner, []);
  }

  #hold(owner: string, request: ProbeRequest<T>): Entry<T> {
    let entry = this.#entries.get(request.key);
    if (!entry) {
      entry = { phase: request.phase, owners: new Set(), failures: 0 };
      this.#entries.set(request.key, entry);
      this.#phase(request.phase).keys++;
    }
    entry.owners.add(owner);
    let keys = this.#keysByOwner.get(owner);
    if (!keys) this.#keysByOwner.set(owner, (keys = new Set()));
    keys.add(request.key);
    return entry;
  }

  #unhold(owner: string, key: string): string[] {
    const keys = this.#keysByOwner.get(owner);
    keys?.delete(key);
    if (keys?.size === 0) this.#keysByOwner.delete(owner);
    const entry = this.#entries.get(key);
    if (!entry) return [];
    entry.owners.delete(owner);
    if (entry.owners.size > 0) return [];
    this.#entries.delete(key);
    const phase = this.#phases.get(entry.phase)!;
    if (--phase.keys === 0) this.#phases.delete(entry.phase);
    return [key];
  }

  #phase(name: string): Phase {
    let phase = this.#phases.get(name);
    if (!phase) {
      const unit = (this.#options.phaseUnit ?? unitHash)(name);
      phase = { jitter: 0.9 + 0.2 * unit, keys: 0, failures: 0, notBefore: 0 };
      this.#phases.set(name, phase);
    }
    return phase;
  }

  #now(): number {
    return this.#options.clock.now().getTime();
  }

  async #run(entry: Entry<T>, phase: Phase, request: ProbeRequest<T>): Promise<CachedProbe<T>> {
    this.#options.onProbe?.(request.key);
    const value = await request.probe();
    const checkedAt = this.#options.clock.now();
    const at = checkedAt.getTime();
    const assessment = request.assess(value);
    const interval = boundedDelay(request.intervalMs) * phase.jitter;
    let wait = interval;
    if (assessment.ok) {
      phase.failures = 0;
      entry.failures = 0;
    } else if (assessment.scope === 'key') {
      wait = this.#backoffMs(++entry.failures, interval, request.intervalMs, assessment.retryAfterMs);
    } else {
      // One failed round per host: sibling keys failing in the same round do not deepen the backoff.
      if (at >= phase.notBefore) phase.failures++;
      const hostWait = this.#backoffMs(phase.failures, interval, request.intervalMs, assessment.retryAfterMs);
      phase.notBefore = Math.max(phase.notBefore, at + hostWait);
    }
    entry.cached = { value, checkedAt, nextAt: new Date(at + wait) };
    return withBackoff(entry.cached, phase);
  }

  /** Exponential from the interval, capped, and never shorter than a Retry-After (itself bounded). */
  #backoffMs(failures: number, interval: number, intervalMs: number, retryAfterMs: number | undefined): number {
    const cap = boundedDelay(Math.max(intervalMs, this.#options.maxBackoffMs ?? 600_000));
    const backoff = Math.min(cap, interval * 2 ** (failures - 1));
    return boundedDelay(Math.max(retryAfterMs ?? 0, backoff), MAX_PROBE_DELAY_MS);
  }
}

function dueAt(cached: CachedProbe<unknown>, phase: Phase): number {
  return Math.max(cached.nextAt.getTime(), phase.notBefore);
}

function withBackoff<T>(cached: CachedProbe<T>, phase: Phase): CachedProbe<T> {
  const due = dueAt(cached, phase);
  return due === cached.nextAt.getTime() ? cached : { ...cached, nextAt: new Date(due) };
}

/** A stable number in [0, 1) for a string (FNV-1a), so that a host keeps its phase. */
function unitHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193) >>> 0;
  return hash / 2 ** 32;
}
