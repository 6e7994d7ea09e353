// Prometheus metrics on a registry of our own (not prom-client's global one), so tests and
// several operators in one process never share counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { findCondition } from './conditions.ts';
import type { KubeObject } from './kube/resources.ts';
import { kindOf, type QueueObserver } from './queue.ts';
import type { Condition } from './conditions.ts';
import { OperatorRegistry } from './sampled-metrics.ts';
import type { StatusLedger } from './status.ts';

export interface OperatorMetrics {
  readonly registry: Registry;
  /** `result` is a queue ReconcileResult: success, requeue, transient, configuration, gone. */
  readonly reconcileTotal: Counter<'kind' | 'result'>;
  readonly reconcileDuration: Histogram<'kind'>;
  readonly queueDepth: Gauge<'kind'>;
  readonly queueWait: Histogram<'kind'>;
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  /** 1 while this replica holds the lease. */
  readonly leader: Gauge;
  readonly statusWrites: Counter<'kind'>;
  /** Probes actually sent to iManage (cached answers are not counted), by probe and host. */
  readonly probesSent: Counter<'probe' | 'host'>;
  /** Time one probe took, by probe and host; status keeps outcomes, not times. */
  readonly probeDuration: Histogram<'probe' | 'host'>;
  /** When a probe of the host last succeeded (Unix seconds); absent until one has. */
  readonly probeLastSuccess: Gauge<'probe' | 'host'>;
  /** Token grants and refreshes by grant (password, client_credentials, refresh_token) and result. */
  readonly tokenRequests: Counter<'grant' | 'result'>;
  /**
   * Work API requests (workspace searches, folder listings and writes) by host and result:
   * `success` or the failure (RateLimited, ServerError, Unreachable, Unauthorized, …). Shared
   * answers are not counted; the labels name a host, never a token or a path.
   */
  readonly workRequests: Counter<'host' | 'result'>;
  /**
   * Feeds imanage_token_expiry_seconds, the seconds until each held token expires, by namespace,
   * name and token (access, refresh), sampled on scrape: every held token's expiry (the label
   * values name objects, never a token).
   */
  trackTokenExpiry(source: () => Iterable<TokenExpiry>): void;
  /**
   * Samples queue depth per kind on every scrape (e.g. `() => queue.depthByKind()`). Kinds seen
   * once stay reported, at 0 when empty, so dashboards show an empty queue, not a gap.
   */
  trackQueueDepth(depthByKind: () => ReadonlyMap<string, number>): void;
  /**
   * Samples, on every scrape, the looks still spread over a window (spread-looks.ts): after a
   * start, at objects an earlier process left Ready; after a resync, at every object. 0 once the
   * window has passed.
   */
  trackSpreadLooks(pending: () => number): void;
  /**
   * Exports `readyMetricName(kind)`: one series per object of the kind, valued 1, labelled with
   * its Ready condition's status and reason, sampled from `source` (the cache) on every scrape,
   * so an object's series goes with the object. Once per kind.
   */
  trackReady(kind: string, source: () => Iterable<ReadyState>): void;
}

/** One object's Ready condition, as the ready metric reports it. */
export interface ReadyState {
  readonly namespace: string;
  readonly name: string;
  /** True, False or Unknown; Unknown also while the object has no Ready condition yet. */
  readonly status: string;
  readonly reason: string;
}

export interface TokenExpiry {
  readonly namespace: string;
  readonly name: string;
  readonly token: 'access' | 'refresh';
  readonly expiresAt: Date;
}

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, GC). @default true */
  readonly processMetrics?: boolean;
}

// Reconciles call iManage over the network: from a few milliseconds to tens of seconds.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
// Queue waits range from nothing to minutes when rate-limited behind a resync backlog.
const WAIT_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300];
// A probe is a DNS lookup, a handshake and one request: milliseconds, up to its timeout (≤ 60 s).
const PROBE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: MetricsOptions = {}): OperatorMetrics {
  const registry = new OperatorRegistry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const depth = queueDepthGauge(registry);
  const trackTokenExpiry = tokenExpiryGauge(registry);
  return {
    registry,
    reconcileTotal: new Counter({
      name: 'imanage_operator_reconcile_total',
      help: 'Reconciles by kind and result.',
      labelNames: ['kind', 'result'] as const,
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'imanage_operator_reconcile_duration_seconds',
      help: 'Time spent in one reconcile.',
      labelNames: ['kind'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    queueDepth: depth.gauge,
    trackQueueDepth: depth.track,
    trackSpreadLooks: spreadLooksGauge(registry),
    queueWait: new Histogram({
      name: 'imanage_operator_queue_wait_seconds',
      help: 'Time from a key being queued to its reconcile starting.',
      labelNames: ['kind'] as const,
      buckets: WAIT_BUCKETS,
      registers,
    }),
    watchRestarts: new Counter({
      name: 'imanage_operator_watch_restarts_total',
      help: 'Watch restarts by resource and reason (e.g. expired, error, closed).',
      labelNames: ['resource', 'reason'] as const,
      registers,
    }),
    leader: new Gauge({
      name: 'imanage_operator_leader',
      help: '1 while this replica holds the leader lease, else 0.',
      registers,
    }),
    statusWrites: new Counter({
      name: 'imanage_operator_status_writes_total',
      help: 'Status subresource writes by kind (skipped no-op writes are not counted).',
      labelNames: ['kind'] as const,
      registers,
    }),
    probesSent: new Counter({
      name: 'imanage_operator_probes_sent_total',
      help: 'Probes sent to iManage by probe (reachability, registration) and host; answers shared from the cache are not counted.',
      labelNames: ['probe', 'host'] as const,
      registers,
    }),
    probeDuration: new Histogram({
      name: 'imanage_probe_duration_seconds',
      help: 'Time one probe of iManage took, by probe (reachability, registration) and host; series go when no connection names the host.',
      labelNames: ['probe', 'host'] as const,
      buckets: PROBE_BUCKETS,
      registers,
    }),
    tokenRequests: new Counter({
      name: 'imanage_token_requests_total',
      help: 'Token requests to iManage by grant (password, client_credentials, refresh_token) and result (success, refused, failed).',
      labelNames: ['grant', 'result'] as const,
      registers,
    }),
    workRequests: new Counter({
      name: 'imanage_work_requests_total',
      help: 'Work API requests sent to iManage (workspace searches, folder listings, writes) by host and result.',
      labelNames: ['host', 'result'] as const,
      registers,
    }),
    trackTokenExpiry,
    trackReady: (kind, source) => readyGauge(registry, kind, source),
    probeLastSuccess: new Gauge({
      name: 'imanage_probe_last_success_timestamp_seconds',
      help: 'When a probe of the host last succeeded, in Unix seconds, by probe and host.',
      labelNames: ['probe', 'host'] as const,
      registers,
    }),
  };
}

/** Feeds queue wait times and reconcile results into the metrics. */
export function queueMetricsObserver(metrics: OperatorMetrics): QueueObserver {
  return {
    onWait(key, waitMs) {
      metrics.queueWait.observe({ kind: kindOf(key) }, waitMs / 1000);
    },
    onResult(key, result, durationMs) {
      const kind = kindOf(key);
      metrics.reconcileTotal.inc({ kind, result });
      metrics.reconcileDuration.observe({ kind }, durationMs / 1000);
    },
  };
}

function queueDepthGauge(registry: Registry): {
  gauge: Gauge<'kind'>;
  track: (depthByKind: () => ReadonlyMap<string, number>) => void;
} {
  let source: (() => ReadonlyMap<string, number>) | undefined;
  const seen = new Set<string>();
  const gauge = new Gauge({
    name: 'imanage_operator_queue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const depths = source?.() ?? new Map<string, number>();
      for (const kind of depths.keys()) seen.add(kind);
      for (const kind of seen) this.set({ kind }, depths.get(kind) ?? 0);
    },
  });
  return { gauge, track: (depthByKind) => void (source = depthByKind) };
}

function spreadLooksGauge(registry: Registry): (pending: () => number) => void {
  let source: () => number = () => 0;
  new Gauge({
    name: 'imanage_operator_resync_looks_pending',
    help: 'Looks spread over a window still to come: after a start, at objects an earlier process left Ready; after a resync, at every object.',
    registers: [registry],
    collect() {
      this.set(source());
    },
  });
  return (pending) => void (source = pending);
}

/** Seconds left per held token, computed at scrape time so that the value is current without timers. */
function tokenExpiryGauge(registry: OperatorRegistry): (source: () => Iterable<TokenExpiry>) => void {
  let source: () => Iterable<TokenExpiry> = () => [];
  let now = 0;
  registry.addSampled<TokenExpiry>({
    name: 'imanage_token_expiry_seconds',
    help: 'Seconds until a held token expires, by connection namespace, name and token (access, refresh); negative once expired.',
    labelNames: ['namespace', 'name', 'token'],
    // One clock reading per scrape, for every token's value.
    sample: () => {
      now = Date.now();
      return source();
    },
    labelValues: (t) => [t.namespace, t.name, t.token],
    value: (t) => (t.expiresAt.getTime() - now) / 1000,
  });
  return (next) => void (source = next);
}

/**
 * The ready metric of a kind, named as cert-manager names certmanager_certificate_ready_status:
 * imanage_<kind without its IManage prefix, lower case>_ready_status, so the connection's is
 * imanage_connection_ready_status (docs/monitoring.md).
 */
export function readyMetricName(kind: string): string {
  return `imanage_${kind.replace(/^IManage/, '').toLowerCase()}_ready_status`;
}

function readyGauge(registry: OperatorRegistry, kind: string, source: () => Iterable<ReadyState>): void {
  registry.addSampled<ReadyState>({
    name: readyMetricName(kind),
    help: `One series per ${kind}, valued 1: its Ready condition's status (condition: True, False, Unknown) and reason.`,
    labelNames: ['namespace', 'name', 'condition', 'reason'],
    sample: source,
    labelValues: (o) => [o.namespace, o.name, o.status, o.reason],
    value: () => 1,
  });
}

/**
 * Each cached object's Ready: what this process last wrote if the cache has not caught up with
 * it yet (the status ledger), else the cached status.
 */
export function* readyStates(cache: {
  list(): readonly KubeObject[];
  readonly statusLedger: StatusLedger;
}): Iterable<ReadyState> {
  for (const object of cache.list()) {
    const written = cache.statusLedger.lastWritten(object.metadata.uid)?.status;
    const status = (written ?? (object as { status?: { conditions?: Condition[] } }).status) as
      { conditions?: Condition[] } | undefined;
    const ready = findCondition(status?.conditions, 'Ready');
    const { namespace = '', name = '' } = object.metadata;
    yield { namespace, name, status: ready?.status ?? 'Unknown', reason: ready?.reason ?? '' };
  }
}

/**
 * Series labelled by a host a tenant names (imanage_work_requests_total): each owner (a
 * repository, `namespace/name`) holds the host it sends to, and when the last owner of a host lets
 * go, the host's series go with it. Kept, they grew with every host ever named and told anyone who
 * can read /metrics every host a tenant once tried (issue 18, finding 16).
 */
export class HostSeries {
  readonly #counter: Counter<'host' | 'result'>;
  readonly #hostOf = new Map<string, string>();
  readonly #owners = new Map<string, number>();
  readonly #results = new Map<string, Set<string>>();

  constructor(counter: Counter<'host' | 'result'>) {
    this.#counter = counter;
  }

  count(owner: string, host: string, result: string): void {
    if (this.#hostOf.get(owner) !== host) {
      this.release(owner);
      this.#hostOf.set(owner, host);
      this.#owners.set(host, (this.#owners.get(host) ?? 0) + 1);
    }
    const results = this.#results.get(host) ?? new Set<string>();
    this.#results.set(host, results.add(result));
    this.#counter.inc({ host, result });
  }

  /** The owner is gone or names another host now; its host's series go if no one else names it. */
  release(owner: string): void {
    const host = this.#hostOf.get(owner);
    if (host === undefined) return;
    this.#hostOf.delete(owner);
    const left = (this.#owners.get(host) ?? 1) - 1;
    if (left > 0) return void this.#owners.set(host, left);
    this.#owners.delete(host);
    for (const result of this.#results.get(host) ?? []) this.#counter.remove({ host, result });
    this.#results.delete(host);
  }
}
