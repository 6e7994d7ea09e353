// A list+watch cache of one resource, with secondary indexes, that never gives up.
//
// Why not @kubernetes/client-node's ListWatch (dist/cache.js), as the issue suggests: importing
// cache.js alone raises RSS from 46 to 89 MiB on Node 24.9 (median of 5 runs), because it imports
// serializer.js (the generated models: dist/gen/models/ObjectSerializer.js and its 757 modules)
// and, through informer.js, watch.js (undici and dist/gen/http). This informer with its client
// and loader costs 16 MiB over a bare process, and with 6,000 ConfigMaps and 6,000 Secrets cached
// the process holds 128 MiB, against 224 MiB with client-node's makeInformer (config.ts has the
// table). ListWatch would also need more wrapping than it saves: on any error but 410 it calls
// its error handlers and stops for good (so the restart with backoff would be ours anyway), its
// reconnect delay has no jitter, it has no hasSynced, its indexCache is never filled, and update
// handlers do not get the old object. So this file keeps ListWatch's algorithm (list, watch
// from the list's resourceVersion, relist on 410, diff the relist against the cache so that
// deletions missed while disconnected are delivered) and adds what the operator needs:
//
// - every failure restarts: 410 Gone relists at once (then with backoff if 410 repeats), any other
//   error waits an exponential backoff (about 1 s doubling to 30 s, ±20 % jitter) and resumes the
//   watch from the last resourceVersion, which costs nothing if that version is still served;
// - the backoff resets once a watch delivers an event (bookmarks included), and a backoff ends
//   early when the API server answers again after an outage (kube/availability.ts): issue 9 saw
//   informers wait up to 30 s after the server was back, then another backoff for the relist;
// - lists are paginated (100 per page) and applied page by page, so that a relist of thousands
//   of objects never holds two copies of the cache;
// - by default each object is made smaller before it is cached (`compactForCache`): `managedFields`
//   are dropped (a quarter of a ConfigMap's JSON when one manager wrote it; more under server-side
//   apply), and so is kubectl's last-applied-configuration annotation (a second copy of the
//   object as applied); repeated string values are shared through one bounded table (intern.ts).
import { realClock, type Clock } from '../clock.ts';
import type { ApiAvailability } from './availability.ts';
import type { KubeClient, WatchEvent } from './client.ts';
import { GoneError } from './errors.ts';
import { internStrings, StringTable } from './intern.ts';
import type { KubeObject, Resource } from './resources.ts';

/** Why the informer restarted its list or watch, for a counter metric. */
export type RestartReason = 'gone' | 'list-failed' | 'watch-failed';

export interface InformerHandlers<T extends KubeObject> {
  readonly add?: (object: T) => void;
  readonly update?: (oldObject: T, newObject: T) => void;
  /** Gets the object's last state (from the DELETED event, or from the cache after a relist). */
  readonly delete?: (object: T) => void;
}

/** The two calls the informer makes; `KubeClient` has them. */
export type ListWatchSource = Pick<KubeClient, 'list' | 'watch'>;

export type IndexFunction<T extends KubeObject> = (object: T) => string | readonly string[] | undefined;

export interface InformerOptions<T extends KubeObject> {
  /** Only this namespace; all namespaces when omitted. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * Objects per list page. Smaller than client-go's 500 because each page is held three times
   * while it is parsed (chunks, string, objects) and the allocator keeps that peak: with 6,000
   * ConfigMaps and 6,000 Secrets, 100 per page ends about 10 MiB lower in RSS than 500.
   * @default 100
   */
  readonly pageSize?: number;
  /** Applied to every object before it is cached and handed to handlers. @default compactForCache */
  readonly transform?: (object: T) => T;
  /** Counter hook: one call per restart of the list or watch. */
  readonly onRestart?: (reason: RestartReason) => void;
  /** Every failure (list, watch, or a handler that threw), for a log line. */
  readonly onError?: (error: unknown, failure: InformerFailure) => void;
  /** @default realClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: () => number;
  /** Ends a backoff early when the server is back after an outage. */
  readonly availability?: Pick<ApiAvailability, 'whenRecovered'>;
}

/**
 * What failed: the list or watch (with how long this informer has been without a working watch,
 * so the log can tell a restart it rides out from one that lasts), or an event handler.
 */
export type InformerFailure =
  | { readonly source: 'watch'; readonly brokenForMs: number }
  | { readonly source: 'handler' };

export class UnknownIndexError extends Error {
  override name = 'UnknownIndexError';
}

export const defaultPageSize = 100;
export const initialBackoffMs = 1_000;
export const maxBackoffMs = 30_000;

/** Delay before retry number `failures` (1-based): doubling from 1 s, capped at 30 s, ±20 % jitter. */
export function backoffDelayMs(failures: number, random: () => number): number {
  const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.max(0, failures - 1));
  return Math.min(maxBackoffMs, Math.round(base * (0.8 + 0.4 * random())));
}

/**
 * Field-manager bookkeeping is not needed to reconcile. The metadata is rebuilt rather than the
 * field deleted: the API server sorts a custom resource's keys, so managedFields is not the last
 * one, and V8 turns an object it deletes such a key from into a hash table (350 bytes more per
 * object, measured on Node 24.9 with the metadata of a bench repository).
 */
export function stripManagedFields<T extends KubeObject>(object: T): T {
  if (object.metadata?.managedFields === undefined) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  (object as KubeObject).metadata = metadata;
  return object;
}

/** `kubectl apply`'s copy of the object as last applied: no controller reads it. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** One table for every informer of the process: their objects repeat the same names and reasons. */
const cachedStrings = new StringTable();

/**
 * The default transform: without managedFields and the last-applied annotation, with its
 * repeated strings shared with the objects already cached. Changes `object` in place.
 */
export function compactForCache<T extends KubeObject>(object: T, table: StringTable = cachedStrings): T {
  stripManagedFields(object);
  const annotations = object.metadata?.annotations;
  if (annotations?.[LAST_APPLIED_ANNOTATION] !== undefined) {
    const { [LAST_APPLIED_ANNOTATION]: _applied, ...others } = annotations;
    const { annotations: _all, ...metadata } = object.metadata;
    (object as KubeObject).metadata = Object.keys(others).length === 0 ? metadata : { ...metadata, annotations: others };
  }
  return internStrings(object, table);
}

interface Index<T extends KubeObject> {
  readonly fn: IndexFunction<T>;
  readonly keys: Map<string, Set<string>>;
}

export class Informer<T extends KubeObject> {
  readonly #source: ListWatchSource;
  readonly #resource: Resource<T>;
  readonly #options: InformerOptions<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  /** When the list or watch first failed since it last worked; undefined while it works. */
  #brokenSince: number | undefined;
  readonly #transform: (object: T) => T;
  readonly #objects = new Map<string, T>();
  readonly #indexes = new Map<string, Index<T>>();
  readonly #handlers = new Set<InformerHandlers<T>>();
  readonly #stop = new AbortController();
  #resourceVersion: string | undefined;
  #synced = false;
  #running: Promise<void> | undefined;
  #syncWaiters: ((synced: boolean) => void)[] = [];

  constructor(source: ListWatchSource, resource: Resource<T>, options: InformerOptions<T> = {}) {
    this.#source = source;
    this.#resource = resource;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#transform = options.transform ?? compactForCache;
  }

  /** Starts listing and watching in the background; a second call does nothing. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Ends the watch; resolves when the loop has exited. The cache keeps its last state. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    this.#settleWaiters(false);
  }

  /** True once the first full list is in the cache (and forever after). */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once synced, or false if the informer is stopped (or `signal` aborts) first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (this.#stop.signal.aborted || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push((synced) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      });
    });
  }

  /**
   * Registers handlers; objects already cached are delivered to `add` at once, as client-go
   * does. Returns a function that unregisters them.
   */
  on(handlers: InformerHandlers<T>): () => void {
    this.#handlers.add(handlers);
    for (const object of this.#objects.values()) this.#call(() => handlers.add?.(object));
    return () => this.#handlers.delete(handlers);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#objects.get(keyOf(namespace, name));
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  get size(): number {
    return this.#objects.size;
  }

  /** The resourceVersion the watch resumes from (undefined before the first list or after a 410). */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Adds a secondary index (may be called at any time; cached objects are indexed at once). */
  addIndex(name: string, fn: IndexFunction<T>): void {
    const index: Index<T> = { fn, keys: new Map() };
    this.#indexes.set(name, index);
    for (const [key, object] of this.#objects) indexAdd(index, key, object);
  }

  /** Cached objects whose index function returned `value`. */
  byIndex(name: string, value: string): T[] {
    const index = this.#indexes.get(name);
    if (!index) throw new UnknownIndexError(`no index '${name}' on the ${this.#resource.plural} informer`);
    const keys = index.keys.get(value);
    if (!keys) return [];
    return [...keys].flatMap((key) => {
      const object = this.#objects.get(key);
      return object ? [object] : [];
    });
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    let goneInARow = 0;
    while (!signal.aborted) {
      const { progressed, failure } = await this.#listAndWatch(signal);
      if (signal.aborted) break;
      if (progressed || failure === undefined) this.#brokenSince = undefined;
      if (progressed) failures = 0;
      // The server ended a watch that was delivering events (its timeout): resume at once.
      if (progressed && failure === undefined) continue;
      failures++;
      goneInARow = failure === 'gone' ? goneInARow + 1 : 0;
      if (failure !== undefined) this.#hook(() => this.#options.onRestart?.(failure));
      // A relist after a 410 is at once, whatever failed before: the server said exactly what to
      // do. Only 410 after 410 backs off.
      const delay = goneInARow === 1 ? 0 : backoffDelayMs(goneInARow > 1 ? goneInARow - 1 : failures, this.#random);
      if (delay > 0 && (await this.#backOff(delay, signal)) === 'recovered') failures = 0;
    }
  }

  /** Sleeps `delayMs`, or less if the server answers again after an outage meanwhile. */
  async #backOff(delayMs: number, signal: AbortSignal): Promise<'slept' | 'recovered'> {
    const availability = this.#options.availability;
    if (!availability) return this.#clock.sleep(delayMs, signal).then(() => 'slept');
    const either = new AbortController();
    const onStop = (): void => either.abort();
    signal.addEventListener('abort', onStop, { once: true });
    try {
      return await Promise.race([
        this.#clock.sleep(delayMs, either.signal).then(() => 'slept' as const),
        availability.whenRecovered(either.signal).then(() => 'recovered' as const),
      ]);
    } finally {
      signal.removeEventListener('abort', onStop);
      either.abort();
    }
  }

  /**
   * Lists if needed, then watches until the watch ends. `progressed`: the watch delivered at
   * least one event (bookmarks count); `failure`: why it ended, if it did not end cleanly.
   */
  async #listAndWatch(signal: AbortSignal): Promise<{ progressed: boolean; failure?: RestartReason }> {
    if (this.#resourceVersion === undefined) {
      try {
        await this.#relist(signal);
      } catch (error) {
        if (signal.aborted) return { progressed: false };
        this.#reportWatchError(error);
        return { progressed: false, failure: error instanceof GoneError ? 'gone' : 'list-failed' };
      }
    }
    let progressed = false;
    try {
      await this.#source.watch(
        this.#resource,
        {
          ...this.#selectors(),
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          // Spread reconnects of many informers, as client-go does (5 to 10 minutes).
          timeoutSeconds: Math.floor(300 * (1 + this.#random())),
          signal,
        },
        (event) => {
          progressed = true;
          this.#apply(event);
        },
      );
      return { progressed };
    } catch (error) {
      if (signal.aborted) return { progressed };
      if (progressed) this.#brokenSince = undefined;
      this.#reportWatchError(error);
      if (error instanceof GoneError) {
        this.#resourceVersion = undefined;
        return { progressed, failure: 'gone' };
      }
      return { progressed, failure: 'watch-failed' };
    }
  }

  /**
   * Lists page by page, upserting as it goes, then deletes what the list did not return: the
   * deletions that happened while no watch was running.
   */
  async #relist(signal: AbortSignal): Promise<void> {
    const seen = new Set<string>();
    let listVersion: string | undefined;
    let next: string | undefined;
    do {
      const page = await this.#source.list(this.#resource, {
        ...this.#selectors(),
        limit: this.#options.pageSize ?? defaultPageSize,
        ...(next === undefined ? {} : { continue: next }),
        signal,
      });
      // Every page of one list is served from the snapshot of the first.
      listVersion ??= page.metadata.resourceVersion;
      for (const item of page.items) seen.add(this.#upsert(this.#transform(item)));
      next = page.metadata.continue || undefined;
    } while (next !== undefined);
    for (const [key, object] of this.#objects) {
      if (!seen.has(key)) this.#remove(key, object);
    }
    this.#resourceVersion = listVersion ?? '';
    if (!this.#synced) {
      this.#synced = true;
      this.#settleWaiters(true);
    }
  }

  #apply(event: WatchEvent<T>): void {
    const version = event.object?.metadata?.resourceVersion;
    if (event.type === 'ADDED' || event.type === 'MODIFIED') this.#upsert(this.#transform(event.object));
    else if (event.type === 'DELETED') {
      const object = this.#transform(event.object);
      const key = keyOf(object.metadata.namespace, object.metadata.name ?? '');
      if (this.#objects.has(key)) this.#remove(key, object);
    }
    if (version) this.#resourceVersion = version;
  }

  /** Returns the object's key. Same resourceVersion as cached: nothing happens. */
  #upsert(object: T): string {
    const key = keyOf(object.metadata.namespace, object.metadata.name ?? '');
    const old = this.#objects.get(key);
    if (
      old &&
      old.metadata.resourceVersion !== undefined &&
      old.metadata.resourceVersion === object.metadata.resourceVersion
    ) {
      return key;
    }
    if (old) this.#unindex(key, old);
    this.#objects.set(key, object);
    for (const index of this.#indexes.values()) indexAdd(index, key, object);
    for (const handlers of this.#handlers) {
      this.#call(() => (old ? handlers.update?.(old, object) : handlers.add?.(object)));
    }
    return key;
  }

  #remove(key: string, lastState: T): void {
    const cached = this.#objects.get(key);
    if (!cached) return;
    this.#unindex(key, cached);
    this.#objects.delete(key);
    for (const handlers of this.#handlers) this.#call(() => handlers.delete?.(lastState));
  }

  #unindex(key: string, object: T): void {
    for (const index of this.#indexes.values()) {
      for (const value of indexValues(index.fn, object)) {
        const keys = index.keys.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.keys.delete(value);
      }
    }
  }

  /** A handler that throws is reported and skipped; it must not stop the informer. */
  #call(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.#reportError(error);
    }
  }

  #reportError(error: unknown): void {
    this.#hook(() => this.#options.onError?.(error, { source: 'handler' }));
  }

  #reportWatchError(error: unknown): void {
    const now = this.#clock.now().getTime();
    this.#brokenSince ??= now;
    const brokenForMs = now - this.#brokenSince;
    this.#hook(() => this.#options.onError?.(error, { source: 'watch', brokenForMs }));
  }

  /** The metric and log hooks run inside the loop: if one throws, the loop must go on. */
  #hook(call: () => void): void {
    try {
      call();
    } catch {
      // Nothing sensible is left to tell about a failing error reporter.
    }
  }

  #selectors(): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
    const { namespace, labelSelector, fieldSelector } = this.#options;
    return {
      ...(namespace === undefined ? {} : { namespace }),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      ...(fieldSelector === undefined ? {} : { fieldSelector }),
    };
  }

  #settleWaiters(synced: boolean): void {
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    for (const waiter of waiters) waiter(synced);
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function indexValues<T extends KubeObject>(fn: IndexFunction<T>, object: T): readonly string[] {
  const values = fn(object);
  if (values === undefined) return [];
  return typeof values === 'string' ? [values] : values;
}

function indexAdd<T extends KubeObject>(index: Index<T>, key: string, object: T): void {
  for (const value of indexValues(index.fn, object)) {
    let keys = index.keys.get(value);
    if (!keys) index.keys.set(value, (keys = new Set()));
    keys.add(key);
  }
}
