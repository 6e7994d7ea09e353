// Probes are shared: however many connections point at one host, it gets one probe per
// interval, concurrent askers share the probe in flight, and a failing or rate-limiting host is
// asked less often: Retry-After first, then exponential backoff. Jitter belongs to the host (the
// key's phase), so that its keys fall due together. Backoff belongs to the host as one tenant
// (namespace) sees it: a 429 on one redirect URI holds back every call that namespace makes to
// the host, and no other namespace's, since iManage may limit one client and not the next, and
// one tenant must not hold back another (a key shared by two namespaces backs off both). A failure
// that comes of what one key brings (a connection's CA that does not verify the host) backs off
// that key alone. Keys are held by owners (`namespace/name`); a key no owner holds is forgotten,
// and a host with no keys left is forgotten with it, so the cache is as large as what is referenced.

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
 * Per-host state (jitter, and each tenant's failures and backoff) that several caches may share:
 * the probes' caches, the workspace searches (resolve.ts) and the token requests use one instance,
 * so a 429 on one holds back all of that tenant's calls to the host.
 */
export class HostPhases {
  readonly byHost = new Map<string, Phase>();

  /** When `tenant` may next call the host, if it is backing off at `now` (ms). */
  backingOffUntil(host: string, tenant: string, now: number): Date | undefined {
    return pending(this.byHost.get(host)?.tenants.get(tenant)?.notBefore ?? 0, now);
  }
}

/** The tenant (namespace) of an owner `namespace/name`; an owner without one is its own. */
export function tenantOf(owner: string): string {
  const slash = owner.indexOf('/');
  return slash < 0 ? owner : owner.slice(0, slash);
}

export interface Phase {
  readonly jitter: number;
  keys: number;
  /** Per tenant holding keys of this host: how many holds, and its backoff. */
  readonly tenants: Map<string, TenantBackoff>;
}

export interface TenantBackoff {
  /** (owner, key) pairs of this tenant on the host; the entry goes with the last. */
  holds: number;
  /** Consecutive failed rounds. */
  failures: number;
  /** No call to this host before this time (ms); 0 when not backing off. */
  notBefore: number;
}

/** A time still to come, rounded up: jitter makes it fractional, and a Date holds whole milliseconds. */
function pending(notBefore: number, now: number): Date | undefined {
  return notBefore > now ? new Date(Math.ceil(notBefore)) : undefined;
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

  /**
   * The current result for the key, probing only when it is due and the owner's tenant is not
   * backing off from the host; `owner` (`namespace/name`) now holds the key.
   */
  async get(owner: string, request: ProbeRequest<T>): Promise<CachedProbe<T>> {
    const entry = this.#hold(owner, request);
    const phase = this.#phases.get(entry.phase)!;
    const backoff = phase.tenants.get(tenantOf(owner))!;
    if (entry.inFlight) return withBackoff(await entry.inFlight, backoff);
    if (entry.cached && this.#now() < dueAt(entry.cached, backoff)) return withBackoff(entry.cached, backoff);
    entry.inFlight = this.#run(entry, phase, request).finally(() => {
      entry.inFlight = undefined;
    });
    return withBackoff(await entry.inFlight, backoff);
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
    if (!entry.owners.has(owner)) {
      entry.owners.add(owner);
      const { tenants } = this.#phases.get(entry.phase)!;
      const tenant = tenantOf(owner);
      const backoff = tenants.get(tenant);
      if (backoff) backoff.holds++;
      else tenants.set(tenant, { holds: 1, failures: 0, notBefore: 0 });
    }
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
    if (!entry?.owners.delete(owner)) return [];
    const phase = this.#phases.get(entry.phase)!;
    const tenant = tenantOf(owner);
    if (--phase.tenants.get(tenant)!.holds === 0) phase.tenants.delete(tenant);
    if (entry.owners.size > 0) return [];
    this.#entries.delete(key);
    if (--phase.keys === 0) this.#phases.delete(entry.phase);
    return [key];
  }

  #phase(name: string): Phase {
    let phase = this.#phases.get(name);
    if (!phase) {
      const unit = (this.#options.phaseUnit ?? unitHash)(name);
      phase = { jitter: 0.9 + 0.2 * unit, keys: 0, tenants: new Map() };
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
      entry.failures = 0;
      for (const backoff of this.#backoffsOf(entry, phase)) backoff.failures = 0;
    } else if (assessment.scope === 'key') {
      wait = this.#backoffMs(++entry.failures, interval, request.intervalMs, assessment.retryAfterMs);
    } else {
      // Every tenant that shares the key saw the failure. One failed round per tenant: sibling keys
      // failing in the same round do not deepen its backoff.
      for (const backoff of this.#backoffsOf(entry, phase)) {
        if (at >= backoff.notBefore) backoff.failures++;
        const hostWait = this.#backoffMs(backoff.failures, interval, request.intervalMs, assessment.retryAfterMs);
        backoff.notBefore = Math.max(backoff.notBefore, at + hostWait);
      }
    }
    entry.cached = { value, checkedAt, nextAt: new Date(at + wait) };
    return entry.cached;
  }

  /** The backoffs of the tenants whose owners hold the key. */
  *#backoffsOf(entry: Entry<T>, phase: Phase): Generator<TenantBackoff> {
    const seen = new Set<string>();
    for (const owner of entry.owners) {
      const tenant = tenantOf(owner);
      const backoff = phase.tenants.get(tenant);
      if (backoff && !seen.has(tenant)) yield backoff;
      seen.add(tenant);
    }
  }

  /** Exponential from the interval, capped, and never shorter than a Retry-After (itself bounded). */
  #backoffMs(failures: number, interval: number, intervalMs: number, retryAfterMs: number | undefined): number {
    const cap = boundedDelay(Math.max(intervalMs, this.#options.maxBackoffMs ?? 600_000));
    const backoff = Math.min(cap, interval * 2 ** (failures - 1));
    return boundedDelay(Math.max(retryAfterMs ?? 0, backoff), MAX_PROBE_DELAY_MS);
  }
}

function dueAt(cached: CachedProbe<unknown>, backoff: TenantBackoff): number {
  return Math.max(cached.nextAt.getTime(), backoff.notBefore);
}

function withBackoff<T>(cached: CachedProbe<T>, backoff: TenantBackoff): CachedProbe<T> {
  const due = dueAt(cached, backoff);
  return due === cached.nextAt.getTime() ? cached : { ...cached, nextAt: new Date(due) };
}

/** A stable number in [0, 1) for a string (FNV-1a), so that a host keeps its phase. */
function unitHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193) >>> 0;
  return hash / 2 ** 32;
}
