import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../clock.ts';
import type { ListOptions, WatchEvent, WatchEventType, WatchOptions } from './client.ts';
import { GoneError, TransientApiError } from './errors.ts';
import {
  backoffDelayMs,
  Informer,
  type InformerFailure,
  LAST_APPLIED_ANNOTATION,
  UnknownIndexError,
  type InformerOptions,
  type ListWatchSource,
  type RestartReason,
} from './informer.ts';
import { configMaps, type ConfigMap, type KubeObject, type ObjectList, type Resource } from './resources.ts';

interface ActiveWatch {
  readonly options: WatchOptions;
  emit(type: WatchEventType, object: ConfigMap): void;
  end(): void;
  fail(error: Error): void;
}

/** A list/watch source driven by the test: list answers are queued, watches are handed over. */
class FakeSource implements ListWatchSource {
  readonly listAnswers: (ObjectList<ConfigMap> | Error)[] = [];
  readonly listCalls: ListOptions[] = [];
  readonly watchCalls: WatchOptions[] = [];
  readonly #watches: ActiveWatch[] = [];
  readonly #waiting: ((watch: ActiveWatch) => void)[] = [];

  async list<T extends KubeObject>(_resource: Resource<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    this.listCalls.push(options);
    const answer = this.listAnswers.shift();
    if (answer === undefined) throw new Error('the test did not expect another list');
    if (answer instanceof Error) throw answer;
    return structuredClone(answer) as unknown as ObjectList<T>;
  }

  watch<T extends KubeObject>(
    _resource: Resource<T>,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void> {
    this.watchCalls.push(options);
    return new Promise((resolve, reject) => {
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason));
      const watch: ActiveWatch = {
        options,
        emit: (type, object) => onEvent({ type, object: structuredClone(object) as unknown as T }),
        end: resolve,
        fail: reject,
      };
      const waiter = this.#waiting.shift();
      if (waiter) waiter(watch);
      else this.#watches.push(watch);
    });
  }

  nextWatch(): Promise<ActiveWatch> {
    const ready = this.#watches.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

function cm(name: string, resourceVersion: string, extra: Partial<ConfigMap> = {}): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name, resourceVersion }, ...extra };
}

function page(resourceVersion: string, items: ConfigMap[], next?: string): ObjectList<ConfigMap> {
  return { metadata: { resourceVersion, ...(next ? { continue: next } : {}) }, items };
}

interface Recorded {
  readonly events: string[];
  readonly restarts: RestartReason[];
  readonly errors: unknown[];
  readonly failures: InformerFailure[];
}

function setup(options: Partial<InformerOptions<ConfigMap>> = {}) {
  const source = new FakeSource();
  const clock = new FakeClock();
  const recorded: Recorded = { events: [], restarts: [], errors: [], failures: [] };
  const informer = new Informer(source, configMaps, {
    clock,
    random: () => 0.5,
    onRestart: (reason) => recorded.restarts.push(reason),
    onError: (error, failure) => {
      recorded.errors.push(error);
      recorded.failures.push(failure);
    },
    ...options,
  });
  informer.on({
    add: (o) => recorded.events.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    update: (old, o) =>
      recorded.events.push(`update ${o.metadata.name}@${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`),
    delete: (o) => recorded.events.push(`delete ${o.metadata.name}`),
  });
  return { source, clock, informer, recorded };
}

const names = (objects: readonly KubeObject[]): string[] => objects.map((o) => o.metadata.name ?? '').sort();

describe('Informer', () => {
  it('lists, reports synced, then watches from the list version', async () => {
    const { source, informer, recorded } = setup({
      namespace: 'ns',
      labelSelector: 'app=x',
      fieldSelector: 'metadata.name!=y',
    });
    source.listAnswers.push(page('10', [cm('a', '5'), cm('b', '6')]));
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    const watch = await source.nextWatch();
    expect(informer.hasSynced()).toBe(true);
    expect(recorded.events).toEqual(['add a@5', 'add b@6']);
    expect(source.listCalls[0]).toMatchObject({
      namespace: 'ns',
      labelSelector: 'app=x',
      fieldSelector: 'metadata.name!=y',
      limit: 100,
    });
    expect(watch.options).toMatchObject({
      namespace: 'ns',
      labelSelector: 'app=x',
      fieldSelector: 'metadata.name!=y',
      resourceVersion: '10',
      allowWatchBookmarks: true,
      timeoutSeconds: 450,
    });
    expect(informer.get('ns', 'a')?.metadata.resourceVersion).toBe('5');
    expect(informer.get('other', 'a')).toBeUndefined();
    expect(names(informer.list())).toEqual(['a', 'b']);
    await informer.stop();
  });

  it('applies watch events, skips same-version updates, and resumes from the last version', async () => {
    const { source, clock, informer, recorded } = setup();
    source.listAnswers.push(page('10', [cm('a', '5')]));
    informer.start();
    const first = await source.nextWatch();
    first.emit('MODIFIED', cm('a', '11', { data: { k: 'v' } }));
    first.emit('MODIFIED', cm('a', '11', { data: { k: 'v' } }));
    first.emit('ADDED', cm('b', '12'));
    first.emit('DELETED', cm('a', '13'));
    first.emit('DELETED', cm('never-seen', '14'));
    first.emit('BOOKMARK', { metadata: { resourceVersion: '20' } } as ConfigMap);
    expect(recorded.events).toEqual(['add a@5', 'update a@5->11', 'add b@12', 'delete a']);
    expect(names(informer.list())).toEqual(['b']);
    first.end(); // the server's timeout: reconnect at once, no restart counted
    const second = await source.nextWatch();
    expect(second.options.resourceVersion).toBe('20');
    expect(clock.pending()).toBe(0);
    expect(recorded.restarts).toEqual([]);
    expect(source.listCalls).toHaveLength(1);
    await informer.stop();
  });

  it('lists page by page, watching from the first page version', async () => {
    const { source, informer } = setup({ pageSize: 2 });
    source.listAnswers.push(page('10', [cm('a', '1'), cm('b', '2')], 'token-1'), page('10', [cm('c', '3')]));
    informer.start();
    const watch = await source.nextWatch();
    expect(source.listCalls.map((call) => [call.limit, call.continue])).toEqual([
      [2, undefined],
      [2, 'token-1'],
    ]);
    expect(watch.options.resourceVersion).toBe('10');
    expect(informer.size).toBe(3);
    await informer.stop();
  });

  it('relists at once on 410 Gone and delivers what changed while the watch was gone', async () => {
    const { source, clock, informer, recorded } = setup();
    source.listAnswers.push(page('10', [cm('keep', '1'), cm('change', '2'), cm('remove', '3')]));
    informer.start();
    const first = await source.nextWatch();
    recorded.events.length = 0;
    source.listAnswers.push(page('50', [cm('keep', '1'), cm('change', '40'), cm('new', '45')]));
    first.fail(new GoneError('too old', { status: 410, reason: 'Expired' }));
    const second = await source.nextWatch();
    expect(clock.pending()).toBe(0);
    expect(second.options.resourceVersion).toBe('50');
    expect(recorded.events).toEqual(['update change@2->40', 'add new@45', 'delete remove']);
    expect(recorded.restarts).toEqual(['gone']);
    expect(recorded.errors).toHaveLength(1);
    expect(names(informer.list())).toEqual(['change', 'keep', 'new']);
    await informer.stop();
  });

  it('backs off after a repeated 410', async () => {
    const { source, clock, informer, recorded } = setup();
    source.listAnswers.push(page('10', []), page('11', []), page('12', []));
    informer.start();
    (await source.nextWatch()).fail(new GoneError('gone', { status: 410, reason: 'Expired' }));
    (await source.nextWatch()).fail(new GoneError('gone', { status: 410, reason: 'Expired' }));
    await flushMicrotasks();
    expect(source.listCalls).toHaveLength(2);
    await clock.advance(999);
    expect(source.listCalls).toHaveLength(2);
    await clock.advance(1);
    await source.nextWatch();
    expect(source.listCalls).toHaveLength(3);
    expect(recorded.restarts).toEqual(['gone', 'gone']);
    await informer.stop();
  });

  it('resumes a failed watch from its version after an exponential backoff, reset by an event', async () => {
    const { source, clock, informer, recorded } = setup();
    source.listAnswers.push(page('10', []));
    informer.start();
    const transient = (): Error => new TransientApiError('cut', { status: 0, reason: 'NetworkError' });
    let watch = await source.nextWatch();
    const waits: number[] = [];
    for (let failure = 1; failure <= 7; failure++) {
      watch.fail(transient());
      await flushMicrotasks();
      const before = source.watchCalls.length;
      let waited = 0;
      while (source.watchCalls.length === before) {
        await clock.advance(500);
        waited += 500;
      }
      waits.push(waited);
      watch = await source.nextWatch();
      expect(watch.options.resourceVersion).toBe('10');
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    watch.emit('ADDED', cm('a', '11'));
    watch.fail(transient());
    await flushMicrotasks();
    await clock.advance(1000);
    watch = await source.nextWatch();
    expect(watch.options.resourceVersion).toBe('11');
    expect(source.listCalls).toHaveLength(1);
    expect(recorded.restarts).toEqual(Array(8).fill('watch-failed'));
    await informer.stop();
  });

  it('relists at once on a 410 that follows watch failures (the relist after an outage)', async () => {
    const { source, clock, informer, recorded } = setup();
    source.listAnswers.push(page('10', []), page('60', []));
    informer.start();
    const cut = (): Error => new TransientApiError('cut', { status: 0, reason: 'NetworkError' });
    (await source.nextWatch()).fail(cut());
    await flushMicrotasks();
    await clock.advance(1000);
    (await source.nextWatch()).fail(new GoneError('too old', { status: 410, reason: 'Expired' }));
    const resumed = await source.nextWatch();
    expect(clock.pending()).toBe(0);
    expect(source.listCalls).toHaveLength(2);
    expect(resumed.options.resourceVersion).toBe('60');
    expect(recorded.restarts).toEqual(['watch-failed', 'gone']);
    await informer.stop();
  });

  it('ends its backoff as soon as the API server answers again after an outage', async () => {
    let recover: () => void = () => {};
    const availability = {
      whenRecovered: (signal: AbortSignal) =>
        new Promise<void>((resolve) => {
          recover = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        }),
    };
    const { source, clock, informer } = setup({ availability });
    source.listAnswers.push(page('10', []));
    informer.start();
    let watch = await source.nextWatch();
    // Six failures: the backoff has grown to 30 s.
    for (let failure = 1; failure <= 6; failure++) {
      watch.fail(new TransientApiError('refused', { status: 0, reason: 'NetworkError' }));
      await flushMicrotasks();
      if (failure < 6) {
        await clock.advance(30_000);
        watch = await source.nextWatch();
      }
    }
    const before = source.watchCalls.length;
    await clock.advance(100);
    expect(source.watchCalls).toHaveLength(before);
    recover();
    watch = await source.nextWatch();
    expect(source.watchCalls).toHaveLength(before + 1);
    expect(clock.pending()).toBe(0);
    // The backoff starts again from 1 s.
    watch.fail(new TransientApiError('refused', { status: 0, reason: 'NetworkError' }));
    await flushMicrotasks();
    await clock.advance(1000);
    await source.nextWatch();
    await informer.stop();
  });

  it('retries a failed list with backoff and syncs when it succeeds', async () => {
    const { source, clock, informer, recorded } = setup();
    source.listAnswers.push(
      new TransientApiError('down', { status: 503, reason: 'ServiceUnavailable' }),
      page('10', [cm('a', '1')]),
    );
    informer.start();
    const synced = informer.waitForSync();
    await flushMicrotasks();
    expect(informer.hasSynced()).toBe(false);
    await clock.advance(1000);
    expect(await synced).toBe(true);
    await source.nextWatch();
    expect(recorded.restarts).toEqual(['list-failed']);
    await informer.stop();
  });

  it('backs off, without counting a restart, when a watch closes without any event', async () => {
    const { source, clock, informer, recorded } = setup();
    source.listAnswers.push(page('10', []));
    informer.start();
    (await source.nextWatch()).end();
    await flushMicrotasks();
    expect(source.watchCalls).toHaveLength(1);
    await clock.advance(1000);
    await source.nextWatch();
    expect(recorded.restarts).toEqual([]);
    await informer.stop();
  });

  it('keeps secondary indexes in step with adds, updates, deletes and relists', async () => {
    const { source, informer } = setup();
    const ref = (name: string, rv: string, connection: string): ConfigMap => cm(name, rv, { data: { connection } });
    informer.addIndex('connection', (o) => o.data?.connection);
    source.listAnswers.push(page('10', [ref('r1', '1', 'c1'), ref('r2', '2', 'c1'), ref('r3', '3', 'c2')]));
    informer.start();
    const watch = await source.nextWatch();
    informer.addIndex('letters', (o) => [...(o.metadata.name ?? '')]);
    expect(names(informer.byIndex('connection', 'c1'))).toEqual(['r1', 'r2']);
    expect(names(informer.byIndex('letters', 'r'))).toEqual(['r1', 'r2', 'r3']);
    watch.emit('MODIFIED', ref('r2', '11', 'c2'));
    watch.emit('DELETED', ref('r1', '12', 'c1'));
    expect(names(informer.byIndex('connection', 'c1'))).toEqual([]);
    expect(names(informer.byIndex('connection', 'c2'))).toEqual(['r2', 'r3']);
    source.listAnswers.push(page('20', [ref('r3', '3', 'c2'), ref('r4', '15', 'c1')]));
    watch.fail(new GoneError('gone', { status: 410, reason: 'Expired' }));
    await source.nextWatch();
    expect(names(informer.byIndex('connection', 'c1'))).toEqual(['r4']);
    expect(names(informer.byIndex('connection', 'c2'))).toEqual(['r3']);
    expect(() => informer.byIndex('nope', 'x')).toThrow(UnknownIndexError);
    await informer.stop();
  });

  it('tells how long the watch has been broken, from its first failure until it works again', async () => {
    const { source, clock, informer, recorded } = setup();
    source.listAnswers.push(page('10', []));
    informer.start();
    const busy = (): Error => new TransientApiError('storage is (re)initializing', { status: 429, reason: 'TooManyRequests' });
    let watch = await source.nextWatch();
    for (let failure = 1; failure <= 3; failure++) {
      watch.fail(busy());
      await flushMicrotasks();
      const before = source.watchCalls.length;
      while (source.watchCalls.length === before) await clock.advance(500);
      watch = await source.nextWatch();
    }
    // Failures at 0 s, after the 1 s backoff, then after 1 + 2 s.
    expect(recorded.failures).toEqual([
      { source: 'watch', brokenForMs: 0 },
      { source: 'watch', brokenForMs: 1000 },
      { source: 'watch', brokenForMs: 3000 },
    ]);
    watch.emit('ADDED', cm('a', '11'));
    watch.fail(busy());
    await flushMicrotasks();
    expect(recorded.failures.at(-1)).toEqual({ source: 'watch', brokenForMs: 0 });
    await informer.stop();
  });

  it('reports a throwing handler and carries on', async () => {
    const { source, informer, recorded } = setup();
    const boom = new Error('handler bug');
    informer.on({
      add: () => {
        throw boom;
      },
    });
    source.listAnswers.push(page('10', [cm('a', '1')]));
    informer.start();
    const watch = await source.nextWatch();
    watch.emit('ADDED', cm('b', '2'));
    expect(recorded.events).toEqual(['add a@1', 'add b@2']);
    expect(recorded.errors).toEqual([boom, boom]);
    expect(recorded.failures).toEqual([{ source: 'handler' }, { source: 'handler' }]);
    expect(informer.size).toBe(2);
    await informer.stop();
  });

  it('carries on when its metric and log hooks throw', async () => {
    const hookBug = (): never => {
      throw new Error('hook bug');
    };
    const { source, informer } = setup({ onRestart: hookBug, onError: hookBug });
    source.listAnswers.push(page('10', []), page('11', [cm('a', '1')]));
    informer.start();
    (await source.nextWatch()).fail(new GoneError('gone', { status: 410, reason: 'Expired' }));
    await source.nextWatch();
    expect(informer.size).toBe(1);
    await informer.stop();
  });

  it('replays cached objects to a late handler, and stops calling it once unregistered', async () => {
    const { source, informer } = setup();
    source.listAnswers.push(page('10', [cm('a', '1')]));
    informer.start();
    const watch = await source.nextWatch();
    const late: string[] = [];
    const off = informer.on({ add: (o) => late.push(o.metadata.name ?? '') });
    watch.emit('ADDED', cm('b', '2'));
    off();
    watch.emit('ADDED', cm('c', '3'));
    expect(late).toEqual(['a', 'b']);
    await informer.stop();
  });

  it('drops managedFields and the last-applied annotation by default, or applies the given transform', async () => {
    const managed = cm('a', '1', {
      metadata: { namespace: 'ns', name: 'a', resourceVersion: '1', managedFields: [{ manager: 'kubectl' }] },
    });
    const plain = setup();
    plain.source.listAnswers.push(page('10', [managed]));
    plain.informer.start();
    await plain.source.nextWatch();
    expect(plain.informer.get('ns', 'a')?.metadata).toEqual({ namespace: 'ns', name: 'a', resourceVersion: '1' });
    await plain.informer.stop();

    const applied = cm('b', '2', {
      metadata: {
        namespace: 'ns',
        name: 'b',
        resourceVersion: '2',
        annotations: { [LAST_APPLIED_ANNOTATION]: '{"kind":"ConfigMap"}', 'example.com/keep': 'yes' },
      },
      data: { key: 'value' },
    });
    const onlyApplied = cm('c', '3', {
      metadata: { namespace: 'ns', name: 'c', resourceVersion: '3', annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } },
    });
    const compacted = setup();
    compacted.source.listAnswers.push(page('10', [applied]));
    compacted.informer.start();
    const watch = await compacted.source.nextWatch();
    watch.emit('ADDED', onlyApplied);
    expect(compacted.informer.get('ns', 'b')).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'ns', name: 'b', resourceVersion: '2', annotations: { 'example.com/keep': 'yes' } },
      data: { key: 'value' },
    });
    expect(compacted.informer.get('ns', 'c')?.metadata).toEqual({ namespace: 'ns', name: 'c', resourceVersion: '3' });
    await compacted.informer.stop();

    const custom = setup({ transform: (o) => ({ ...o, data: { seen: 'yes' } }) });
    custom.source.listAnswers.push(page('10', [managed]));
    custom.informer.start();
    await custom.source.nextWatch();
    expect(custom.informer.get('ns', 'a')).toMatchObject({
      data: { seen: 'yes' },
      metadata: { managedFields: [{ manager: 'kubectl' }] },
    });
    await custom.informer.stop();
  });

  it('stops its watch, and tells sync waiters it will not sync', async () => {
    const { source, informer, recorded } = setup();
    source.listAnswers.push(new TransientApiError('down', { status: 503, reason: 'ServiceUnavailable' }));
    informer.start();
    const synced = informer.waitForSync();
    await flushMicrotasks();
    await informer.stop();
    expect(await synced).toBe(false);
    expect(await informer.waitForSync()).toBe(false);

    const watching = setup();
    watching.source.listAnswers.push(page('10', []));
    watching.informer.start();
    const watch = await watching.source.nextWatch();
    await watching.informer.stop();
    expect(watch.options.signal?.aborted).toBe(true);
    expect(watching.recorded.restarts).toEqual([]);
    expect(recorded.restarts).toEqual(['list-failed']);
  });

  it('lets a caller give up waiting for sync', async () => {
    const { informer } = setup();
    const controller = new AbortController();
    const waiting = informer.waitForSync(controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [1, 0.5, 1000],
    [2, 0.5, 2000],
    [5, 0.5, 16000],
    [6, 0.5, 30000],
    [40, 0.5, 30000],
    [1, 0, 800],
    [1, 0.999, 1200],
    [5, 0.999, 19194],
    [6, 0.999, 30000],
    [6, 0, 24000],
  ])('failure %i with random %f → %i ms', (failures, random, delay) => {
    expect(backoffDelayMs(failures, () => random)).toBe(delay);
  });
});
