// The reconcile engine: shared caches, one work queue, leader election, probes and metrics.
// It knows no custom kind; controllers plug in through the Controller interface.

import { type Clock, realClock } from './clock.ts';
import { EventRecorder } from './events.ts';
import { missingPermissionOf } from './errors.ts';
import { HealthServer, operatorReadiness } from './health.ts';
import { InformerSet } from './informer-set.ts';
import { logInformerFailure } from './informer-log.ts';
import type { KubeClient } from './kube/client.ts';
import type { KubeObject, Resource } from './kube/resources.ts';
import { LeaderElector, type LeaseTiming } from './leader.ts';
import { kubeLeaseStore } from './lease-store.ts';
import type { Logger } from './log.ts';
import { type OperatorMetrics, queueMetricsObserver, readyStates } from './metrics.ts';
import {
  type HandlerResult,
  type Priority,
  parseQueueKey,
  queueKey,
  type ReconcileResult,
  WorkQueue,
} from './queue.ts';
import { RECONCILE_DEADLINE_MS, withDeadline } from './deadline.ts';
import { commitPermissionDenied } from './status.ts';
import type { ObjectRef } from './object-ref.ts';
import { refOf, type Watched, watchKind } from './watch.ts';
import { LookSchedule, planLooks, runLooks, settled, type SpreadLook } from './spread-looks.ts';

export type { ObjectRef } from './object-ref.ts';

/** What a controller gets from the engine. */
export interface EngineContext {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly events: EventRecorder;
  /** The shared cache of a resource (one per resource, created on first use). */
  informer<T extends KubeObject>(resource: Resource<T>): InformerSet<T>;
  /** Queues the object's key, after `afterMs` when given (only the earliest pending delay is kept). */
  enqueue(kind: string, ref: ObjectRef, priority?: Priority, afterMs?: number): void;
  /**
   * Registers a controller's own kind (its objects are the controller's keys for the initial pass
   * and resyncs) and returns its cache, to which referenced kinds can be added.
   */
  watch<T extends KubeObject>(kind: string, resource: Resource<T>): Watched<T>;
  /** Whether this replica leads now: a reconcile checks it before a call that must not be made twice. */
  isLeading(): boolean;
}

export interface Controller {
  /** The queue key prefix: the kind the controller owns. */
  readonly kind: string;
  /** Registers watches (`engine.watch`) and indexes; called once before the caches start. */
  setup(engine: EngineContext): void;
  reconcile(ref: ObjectRef, signal: AbortSignal): Promise<HandlerResult | void>;
  /**
   * After a start, how soon an object an earlier process left settled must be looked at (a token
   * due for refresh), in ms from now; undefined when it can wait for its turn (spread-looks.ts).
   */
  firstLookDueInMs?(object: KubeObject, now: Date): number | undefined;
}

export interface EngineOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly clock?: Clock;
  /** Namespaces to watch; empty means all. */
  readonly namespaces: readonly string[];
  /** Only objects of these resources with these labels (sharding across operator deployments). */
  readonly sharding?: { readonly labelSelector: string; readonly resources: readonly Resource[] };
  /** The name Events are reported under (`reportingController`). */
  readonly controllerName: string;
  readonly concurrency: number;
  /** The work queue's global rate limit: a safety against a hot loop, not a throttle. */
  readonly reconcilesPerSecond?: number;
  readonly resyncPeriodMs: number;
  /**
   * Objects with nothing to do are looked at no faster than this many per second, within half a
   * resync period (spread-looks.ts): after a start, those an earlier process left settled; at each
   * resync, all of them. 0 or absent: all at once.
   */
  readonly resyncLooksPerSecond?: number;
  readonly health: { readonly host: string; readonly port: number };
  /** Leader election; omitted, this process always leads. */
  readonly leaderElection?: {
    readonly namespace: string;
    readonly name: string;
    readonly identity: string;
  } & Partial<LeaseTiming>;
  /** How long in-flight reconciles may take to finish on shutdown. */
  readonly shutdownGraceMs: number;
  /** The longest one reconcile may hold a worker. @default RECONCILE_DEADLINE_MS */
  readonly reconcileDeadlineMs?: number;
}

export type EngineExit = 'stopped' | 'lost-leadership';

export class Engine {
  readonly #options: EngineOptions;
  readonly #clock: Clock;
  readonly #controllers = new Map<string, Controller>();
  /** Each controller's own kind, whose objects are its keys. */
  readonly #owned = new Map<string, InformerSet<KubeObject>>();
  readonly #informers = new Map<Resource, InformerSet<KubeObject>>();
  readonly #queue: WorkQueue;
  readonly #context: EngineContext;
  #health: HealthServer | undefined;
  /** False from the moment the lease is lost, even while in-flight reconciles drain. */
  #leading: AbortSignal | undefined;
  /**
   * Set when this process starts working (at once, or on winning the Lease). Keys asked for
   * before then are not queued: the first looks are planned then, over every cached object.
   */
  #working = false;
  /** The spread looks still to come (after a start, or of a resync); a key reconciled meanwhile has had its look. */
  #spread:
    { readonly schedule: LookSchedule; readonly stop: AbortController; readonly done: Promise<void> } | undefined;
  /** By kind: the owned objects its objects name (a repository's connection), registered by `references`. */
  readonly #references = new Map<
    string,
    { resource: Resource; nameOf: (object: KubeObject) => string | undefined }[]
  >();

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    const metricsObserver = queueMetricsObserver(options.metrics);
    const perSecond = options.reconcilesPerSecond ?? 1000;
    this.#queue = new WorkQueue({
      clock: this.#clock,
      rateLimit: { perSecond, burst: 2 * perSecond },
      observer: {
        ...metricsObserver,
        onResult: (key, result, durationMs, error) => {
          metricsObserver.onResult?.(key, result, durationMs, error);
          this.#reportFailure(key, result, error);
        },
      },
    });
    options.metrics.trackQueueDepth(() => this.#queue.depthByKind());
    options.metrics.trackSpreadLooks(() => this.#spread?.schedule.pending() ?? 0);
    // Keys that failed while the API server was away are retried now, not after their backoff.
    options.client.availability.onRecovered(() => {
      const retried = this.#queue.retryFailedNow();
      options.logger.info({ retried }, 'the API server answers again; retrying what failed meanwhile');
    });
    const events = new EventRecorder({
      client: options.client,
      clock: this.#clock,
      controller: options.controllerName,
      instance: options.leaderElection?.identity ?? 'imanage-operator',
      logger: options.logger,
    });
    this.#context = {
      client: options.client,
      clock: this.#clock,
      logger: options.logger,
      metrics: options.metrics,
      events,
      informer: (resource) => this.#informer(resource),
      isLeading: () => !this.#options.leaderElection || this.#leading?.aborted === false,
      enqueue: (kind, ref, priority = 'change', afterMs = 0) => {
        if (this.#working) this.#queue.addAfter(queueKey(kind, ref.namespace, ref.name), afterMs, { priority });
      },
      watch: (kind, resource) => {
        const watched = watchKind(this.#context, kind, resource);
        this.#owned.set(kind, watched.own as unknown as InformerSet<KubeObject>);
        options.metrics.trackReady(kind, () => readyStates(watched.own));
        return {
          own: watched.own,
          references: (reference) => {
            const nameOf = reference.nameOf as (object: KubeObject) => string | undefined;
            this.#references.set(kind, [
              ...(this.#references.get(kind) ?? []),
              { resource: reference.resource, nameOf },
            ]);
            return watched.references(reference);
          },
        };
      },
    };
  }

  register(controller: Controller): void {
    this.#controllers.set(controller.kind, controller);
    controller.setup(this.#context);
  }

  /** The address /healthz, /readyz and /metrics are served on, once running. */
  async startProbes(): Promise<{ host: string; port: number }> {
    this.#health = new HealthServer({
      ...this.#options.health,
      registry: this.#options.metrics.registry,
      isReady: () =>
        operatorReadiness({
          synced: this.#synced(),
          apiUnreachableForMs: this.#options.client.availability.unreachableForMs(),
        }),
    });
    return this.#health.start();
  }

  /** Runs until `signal` aborts (graceful stop) or leadership is lost. */
  async run(signal: AbortSignal): Promise<EngineExit> {
    for (const informer of this.#informers.values()) informer.start();
    try {
      const synced = await Promise.all([...this.#informers.values()].map((i) => i.waitForSync(signal)));
      if (!synced.every(Boolean)) return 'stopped';
      this.#options.logger.info({ resources: this.#informers.size }, 'caches synced');
      const lead = this.#options.leaderElection;
      return lead ? await this.#runElected(lead, signal) : await this.#work(signal);
    } finally {
      await Promise.all([...this.#informers.values()].map((i) => i.stop()));
      await this.#health?.stop();
    }
  }

  #informer<T extends KubeObject>(resource: Resource<T>): InformerSet<T> {
    let set = this.#informers.get(resource as Resource) as InformerSet<T> | undefined;
    if (!set) {
      const { logger, metrics } = this.#options;
      set = new InformerSet(this.#options.client, resource, {
        namespaces: this.#options.namespaces,
        ...(this.#sharded(resource) ? { labelSelector: this.#options.sharding!.labelSelector } : {}),
        onRestart: (reason) => metrics.watchRestarts.inc({ resource: resource.plural, reason }),
        onError: (error, failure) => logInformerFailure(logger, resource.plural, error, failure),
      });
      this.#informers.set(resource as Resource, set as unknown as InformerSet<KubeObject>);
    }
    return set;
  }

  /** Sharding applies to the resources named (the operator's own kinds); Events, Leases and Secrets are not sharded. */
  #sharded(resource: Resource): boolean {
    const sharded = this.#options.sharding?.resources ?? [];
    return sharded.some((r) => r.group === resource.group && r.plural === resource.plural);
  }

  #synced(): boolean {
    return [...this.#informers.values()].every((i) => i.hasSynced());
  }

  async #runElected(lead: NonNullable<EngineOptions['leaderElection']>, signal: AbortSignal): Promise<EngineExit> {
    const { logger, metrics } = this.#options;
    let working: Promise<EngineExit> | undefined;
    const elector = new LeaderElector({
      ...lead,
      store: kubeLeaseStore(this.#options.client, lead.namespace, lead.name),
      clock: this.#clock,
      logger,
      onStartedLeading: (leading) => {
        metrics.leader.set(1);
        logger.info({ identity: lead.identity }, 'became leader');
        this.#leading = leading;
        working = this.#work(leading);
      },
      onStoppedLeading: () => metrics.leader.set(0),
      onNewLeader: (identity) => logger.info({ leader: identity }, 'leader observed'),
    });
    // On our own stop: no new work, finish what is in flight, and only then release the Lease,
    // so that the next leader starts at once and never overlaps with a running reconcile.
    const stopElector = new AbortController();
    const stop = (): void => void this.#drain().finally(() => stopElector.abort());
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const result = await elector.run(stopElector.signal);
    await working;
    return result === 'lost' ? 'lost-leadership' : 'stopped';
  }

  async #work(signal: AbortSignal): Promise<EngineExit> {
    const workers = new AbortController();
    const stopResyncs = new AbortController();
    const resyncs = this.#resyncEvery(this.#options.resyncPeriodMs, stopResyncs.signal);
    this.#working = true;
    this.#enqueueFirstLooks();
    const running = this.#queue.run(this.#options.concurrency, (key, s) => this.#dispatch(key, s), workers.signal);
    await new Promise<void>((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    stopResyncs.abort();
    this.#spread?.stop.abort();
    await this.#drain();
    workers.abort();
    await Promise.all([running, resyncs, this.#spread?.done]);
    return 'stopped';
  }

  async #drain(): Promise<void> {
    const drained = await this.#queue.drain(this.#options.shutdownGraceMs);
    if (!drained)
      this.#options.logger.warn(
        { graceMs: this.#options.shutdownGraceMs },
        'in-flight reconciles did not finish in time',
      );
  }

  /** Queues every cached object: now, or over a window when an earlier process left it settled. */
  #enqueueFirstLooks(): void {
    const plan = this.#planLooks(settled, true);
    if (plan.windowMs > 0)
      this.#options.logger.info(
        { settled: plan.spread, windowMs: plan.windowMs, perSecond: this.#options.resyncLooksPerSecond },
        'objects left Ready by an earlier process are looked at again over a window; the rest at once',
      );
  }

  /** On the engine's clock (a test's fake one too); the period is at least 1 s, the flag's floor. */
  async #resyncEvery(periodMs: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      await this.#clock.sleep(periodMs, signal);
      if (signal.aborted) return;
      this.#resync();
    }
  }

  /** Every object again, spread over a window; all at once, in the resync lane, without a rate. */
  #resync(): void {
    if (!(this.#options.resyncLooksPerSecond! > 0)) return this.#enqueueAll('resync');
    const plan = this.#planLooks(() => true, false);
    this.#options.logger.debug({ objects: plan.spread, windowMs: plan.windowMs }, 'resync spread over a window');
  }

  /** Plans every owned object's look, queues those due now and spreads the rest (replacing any spread still running). */
  #planLooks(spreads: (object: KubeObject) => boolean, bringForward: boolean): { spread: number; windowMs: number } {
    const now = this.#clock.now();
    const kinds = [...this.#owned].map(([kind, own]) => {
      const controller = this.#controllers.get(kind);
      const dueInMs = bringForward ? controller?.firstLookDueInMs?.bind(controller) : undefined;
      const refersTo = this.#referenceKeyOf(kind);
      return {
        kind,
        objects: own.list(),
        ...(dueInMs ? { dueInMs: (o: KubeObject) => dueInMs(o, now) } : {}),
        ...(refersTo ? { refersTo } : {}),
      };
    });
    const plan = planLooks(kinds, this.#options.resyncLooksPerSecond ?? 0, this.#options.resyncPeriodMs / 2, spreads);
    const later: SpreadLook[] = [];
    for (const look of plan.looks) {
      if (look.afterMs === 0 && look.priority === 'change') this.#queue.add(look.key, { priority: look.priority });
      else later.push(look);
    }
    if (plan.windowMs > 0) this.#startSpread(later);
    return plan;
  }

  #startSpread(looks: readonly SpreadLook[]): void {
    this.#spread?.stop.abort(); // the new plan holds every object
    const schedule = new LookSchedule(looks);
    const stop = new AbortController();
    // Awaited only on shutdown: a failure here is logged, never an unhandled rejection, and the
    // next resync still looks at every object.
    const done = runLooks(schedule, this.#clock, stop.signal, (look) =>
      this.#queue.add(look.key, { priority: look.priority }),
    )
      .catch((error: unknown) => this.#options.logger.error({ err: error }, 'the spread looks stopped'))
      .finally(() => {
        if (this.#spread?.schedule === schedule) this.#spread = undefined;
      });
    this.#spread = { schedule, stop, done };
  }

  /** For a kind whose objects name another owned kind's object: that object's queue key. */
  #referenceKeyOf(kind: string): ((object: KubeObject) => string | undefined) | undefined {
    const references = this.#references.get(kind) ?? [];
    for (const { resource, nameOf } of references) {
      const owner = [...this.#owned].find(([, own]) => own.resource === resource)?.[0];
      if (!owner) continue;
      return (object) => {
        const name = nameOf(object);
        return name === undefined ? undefined : queueKey(owner, object.metadata.namespace ?? 'default', name);
      };
    }
    return undefined;
  }

  #enqueueAll(priority: Priority): void {
    for (const [kind, own] of this.#owned) {
      for (const object of own.list()) {
        const ref = refOf(object);
        this.#queue.add(queueKey(kind, ref.namespace, ref.name), { priority });
      }
    }
  }

  /**
   * A failed reconcile is retried (transient, permission) or waits for a new spec (configuration);
   * either way an SRE needs the error, except where it says nothing new: a conflict only means
   * the cache was a moment behind, and failures during an outage repeat the outage.
   */
  #reportFailure(key: string, result: ReconcileResult, error: unknown): void {
    if (error === undefined || result === 'gone') return;
    const { logger, client } = this.#options;
    if (result === 'permission') return void this.#reportPermission(key, error);
    const conflict = (error as { status?: unknown }).status === 409;
    const quiet = conflict || (result === 'transient' && client.availability.down);
    const message = conflict ? 'status write lost a race with a newer version; retrying' : 'reconcile failed';
    logger[quiet ? 'debug' : 'warn']({ key, result, err: error }, message);
  }

  /** The log line names the missing verb and resource; the object gets PermissionDenied conditions. */
  async #reportPermission(key: string, error: unknown): Promise<void> {
    const { logger } = this.#options;
    const missing = missingPermissionOf(error);
    logger.warn(
      { key, err: error, ...missing },
      missing
        ? `the operator's Role lacks '${missing.verb}' on ${missing.resource}; retrying with backoff`
        : 'the API server refused the operator; retrying with backoff',
    );
    const { kind, namespace, name } = parseQueueKey(key);
    const own = this.#owned.get(kind);
    const object = own?.get(namespace, name);
    if (!own || !object || !missing) return;
    try {
      await commitPermissionDenied(this.#context, own.resource, object, missing);
    } catch (reportError) {
      // The missing permission may be the status write itself; the log line above still says it.
      logger.debug({ key, err: reportError }, 'could not report the missing permission in status');
    }
  }

  async #dispatch(key: string, signal: AbortSignal): Promise<HandlerResult | void> {
    const { kind, namespace, name } = parseQueueKey(key);
    const controller = this.#controllers.get(kind);
    if (!controller) return;
    this.#spread?.schedule.taken(key);
    const deadlineMs = this.#options.reconcileDeadlineMs ?? RECONCILE_DEADLINE_MS;
    return withDeadline(this.#clock, deadlineMs, signal, (s) => controller.reconcile({ namespace, name }, s));
  }
}
