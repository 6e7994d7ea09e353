// The engine with an in-memory API (list, a watch that stays open, PUT /status, Events) and a
// fake clock for the queue: the initial pass, a missing permission (logged with its verb and
// resource, set as PermissionDenied, retried rather than dropped), failed keys retried at once
// when the API server is back, and /readyz after a long outage.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from './clock.ts';
import { Engine, type Controller, type EngineContext, type ObjectRef } from './engine.ts';
import { ApiAvailability } from './kube/availability.ts';
import type { KubeClient } from './kube/client.ts';
import { toApiError } from './kube/errors.ts';
import type { KubeObject, Resource } from './kube/resources.ts';
import { API_UNREACHABLE_UNREADY_MS } from './health.ts';
import { createLogger } from './log.ts';
import { createMetrics } from './metrics.ts';
import type { StatusObject } from './status.ts';
import { commitStatus } from './status.ts';
import { markReady } from './conditions.ts';
import { RECONCILE_DEADLINE_MS } from './deadline.ts';

const things: Resource<StatusObject> = {
  group: 'test.example',
  version: 'v1',
  plural: 'things',
  kind: 'Thing',
  namespaced: true,
};

function thing(name: string): StatusObject {
  return {
    apiVersion: 'test.example/v1',
    kind: 'Thing',
    metadata: { namespace: 'n', name, uid: `uid-${name}`, generation: 1, resourceVersion: '1' },
  };
}

/** The API as the engine uses it; every status PUT is kept. */
function fakeApi(objects: StatusObject[], availability: ApiAvailability) {
  const statusPuts: StatusObject[] = [];
  const client = {
    availability,
    list: async () => ({ metadata: { resourceVersion: '1' }, items: structuredClone(objects) }),
    watch: (_r: unknown, options: { signal?: AbortSignal }) =>
      new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve())),
    replaceStatusForMetadata: async (_r: unknown, object: StatusObject) => {
      statusPuts.push(object);
      return {
        kind: 'PartialObjectMetadata',
        metadata: { ...object.metadata, resourceVersion: String(Number(object.metadata.resourceVersion) + 1) },
      };
    },
    create: async (_r: unknown, object: KubeObject) => object,
    patch: async (_r: unknown, _ref: unknown, object: KubeObject) => object,
  };
  return { client: client as unknown as KubeClient, statusPuts };
}

function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    name: 'test',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

/** A controller whose reconcile runs `behaviour` for each key and records the calls. */
function testController(
  behaviour: (ref: ObjectRef, ctx: EngineContext) => Promise<void>,
  firstLookDueInMs?: Controller['firstLookDueInMs'],
) {
  const calls: string[] = [];
  let ctx: EngineContext;
  const controller: Controller = {
    kind: 'Thing',
    setup(engine) {
      ctx = engine;
      engine.watch('Thing', things);
    },
    async reconcile(ref) {
      calls.push(ref.name);
      await behaviour(ref, ctx);
    },
    ...(firstLookDueInMs ? { firstLookDueInMs } : {}),
  };
  return { controller, calls };
}

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

interface StartOptions {
  readonly resyncLooksPerSecond?: number;
  readonly resyncPeriodMs?: number;
  readonly firstLookDueInMs?: Controller['firstLookDueInMs'];
}

async function start(
  objects: StatusObject[],
  behaviour: (ref: ObjectRef, ctx: EngineContext) => Promise<void>,
  options: StartOptions = {},
) {
  let nowMs = 0;
  const availability = new ApiAvailability({ now: () => nowMs });
  const api = fakeApi(objects, availability);
  const { logger, lines } = logCapture();
  const clock = new FakeClock(0);
  const engine = new Engine({
    client: api.client,
    logger,
    metrics: createMetrics({ processMetrics: false }),
    clock,
    namespaces: [],
    controllerName: 'test/controller',
    concurrency: 2,
    resyncPeriodMs: options.resyncPeriodMs ?? 3_600_000,
    health: { host: '127.0.0.1', port: 0 },
    shutdownGraceMs: 1_000,
    ...(options.resyncLooksPerSecond !== undefined ? { resyncLooksPerSecond: options.resyncLooksPerSecond } : {}),
  });
  const { controller, calls } = testController(behaviour, options.firstLookDueInMs);
  engine.register(controller);
  const probes = await engine.startProbes();
  const stop = new AbortController();
  const running = engine.run(stop.signal);
  stops.push(() => (stop.abort(), running));
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await flushMicrotasks();
  };
  await settle();
  return {
    ...api,
    calls,
    lines,
    clock,
    availability,
    settle,
    readyz: `http://${probes.host}:${probes.port}/readyz`,
    metric: async (name: string): Promise<number | undefined> => {
      const text = await (await fetch(`http://${probes.host}:${probes.port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    },
    setNow: (ms: number) => void (nowMs = ms),
  };
}

describe('Engine', () => {
  it('a reconcile that never ends gives its worker back at the deadline (issue 18, finding 2)', async () => {
    const hung = new Set<string>();
    // Two hosts that drip for ever, once each; two workers; a healthy key waiting behind them.
    const run = await start([thing('a-drip'), thing('b-drip'), thing('c-healthy')], async (ref) => {
      if (ref.name.endsWith('drip') && !hung.has(ref.name)) {
        hung.add(ref.name);
        await new Promise<never>(() => undefined);
      }
    });
    expect(run.calls.sort()).toEqual(['a-drip', 'b-drip']);
    await run.clock.advance(RECONCILE_DEADLINE_MS);
    await run.settle();
    expect(run.calls).toContain('c-healthy');
    const cut = run.lines.filter(
      (l) => (l['err'] as { type?: string } | undefined)?.type === 'ReconcileDeadlineExceeded',
    );
    expect(cut).toHaveLength(2);
  });

  it('reconciles every object once after the caches sync, and writes each status once', async () => {
    const run = await start([thing('a'), thing('b')], async (ref, ctx) => {
      const object = ctx.informer(things).get(ref.namespace, ref.name)!;
      await commitStatus(ctx, things, object, {
        status: { observedGeneration: 1 },
        conditions: markReady(1, 'Configured', 'ok'),
      });
    });
    expect(run.calls.sort()).toEqual(['a', 'b']);
    expect(run.statusPuts.map((o) => o.metadata.name).sort()).toEqual(['a', 'b']);
    expect((await fetch(run.readyz)).status).toBe(200);
  });

  it('after a start, looks at objects left Ready over a window, and at the rest and at tokens due at once', async () => {
    const left = (name: string): StatusObject => ({
      ...thing(name),
      status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' } as never] },
    });
    const objects = [left('a'), left('b'), left('c'), left('d'), thing('new'), left('due')];
    // Five settled at 2 a second: a window of 2.5 s, one look every half second in the cache's order.
    // a's reconcile asks for d, as a connection's loaded token asks for its repositories.
    const behaviour = async (ref: ObjectRef, ctx: EngineContext) => {
      if (ref.name === 'a') ctx.enqueue('Thing', { namespace: 'n', name: 'd' });
    };
    const run = await start(objects, behaviour, {
      resyncLooksPerSecond: 2,
      firstLookDueInMs: (o) => (o.metadata.name === 'due' ? 0 : undefined),
    });
    expect(run.calls.sort()).toEqual(['due', 'new']);
    const pending = () => run.metric('imanage_operator_resync_looks_pending');
    expect(await pending()).toBe(4);
    for (const [ms, calls] of [
      [50, ['a', 'd']],
      [450, ['b']],
      [500, ['c']],
      [500, []], // d's slot: it was looked at already
    ] as const) {
      const before = run.calls.length;
      await run.clock.advance(ms);
      await run.settle();
      expect(run.calls.slice(before)).toEqual(calls);
    }
    await run.clock.advance(60_000);
    await run.settle();
    // Each once: the informer's adds before the start queued nothing of their own.
    expect(run.calls).toHaveLength(6);
    expect(await pending()).toBe(0);
    expect(run.lines.find((l) => l['windowMs'] !== undefined)).toMatchObject({ settled: 5, windowMs: 2_500 });
  });

  it('spreads a resync over a window, and looks at everything at once in the resync lane without a rate', async () => {
    const objects = ['a', 'b', 'c', 'd'].map(thing);
    const spread = await start(objects, async () => {}, { resyncLooksPerSecond: 2, resyncPeriodMs: 10_000 });
    expect(spread.calls).toHaveLength(4); // never reconciled: all at once after the start
    await spread.clock.advance(10_000);
    await spread.settle();
    expect(spread.calls).toHaveLength(4);
    expect(await spread.metric('imanage_operator_resync_looks_pending')).toBe(4);
    for (const [ms, next] of [
      [50, 'a'],
      [450, 'b'],
      [500, 'c'],
      [500, 'd'],
    ] as const) {
      await spread.clock.advance(ms);
      await spread.settle();
      expect(spread.calls.slice(4)).toEqual(['a', 'b', 'c', 'd'].slice(0, ['a', 'b', 'c', 'd'].indexOf(next) + 1));
    }
    expect(await spread.metric('imanage_operator_resync_looks_pending')).toBe(0);

    const once = await start(objects, async () => {}, { resyncLooksPerSecond: 0, resyncPeriodMs: 10_000 });
    await once.clock.advance(10_000);
    await once.settle();
    expect(once.calls).toHaveLength(8);
  });

  it('a 403 is logged with the missing verb and resource, set as PermissionDenied, and retried', async () => {
    let denied = true;
    const run = await start([thing('a')], async () => {
      if (denied)
        throw toApiError({ method: 'GET', path: '/api/v1/namespaces/n/secrets/s' }, 403, {
          kind: 'Status',
          reason: 'Forbidden',
        });
    });
    const logged = run.lines.find((l) => l['verb'] === 'get');
    expect(logged).toMatchObject({ level: 'warn', resource: 'secrets', namespace: 'n' });
    expect(String(logged!['msg'])).toContain("lacks 'get' on secrets");
    const ready = run.statusPuts[0]?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'PermissionDenied' });
    // Not dropped: the key comes back after its backoff and succeeds once the Role is fixed.
    denied = false;
    await run.clock.advance(1_000);
    await run.settle();
    expect(run.calls).toEqual(['a', 'a']);
  });

  it('keys that failed during an outage are retried as soon as the API server answers again', async () => {
    let failures = 0;
    let outage: ApiAvailability | undefined;
    const run = await start([thing('a')], async () => {
      outage?.failed(); // what the transport does when a request gets no answer
      if (failures++ < 8) throw Object.assign(new Error('connection refused'), { status: 0 });
    });
    outage = run.availability;
    for (let i = 1; i < 8; i++) {
      await run.clock.advance(2 ** (i - 1) * 1000);
      await run.settle();
    }
    expect(run.calls).toHaveLength(8); // the 8th failure parks the key for 128 s
    run.availability.failed();
    run.availability.answered(200);
    await run.settle();
    expect(run.calls).toHaveLength(9);
    expect(
      run.lines.some(
        (l) => l['msg'] === 'the API server answers again; retrying what failed meanwhile' && l['retried'] === 1,
      ),
    ).toBe(true);
    // Failures while the server was known to be down repeat the outage: logged at debug only.
    const failed = run.lines.filter((l) => l['msg'] === 'reconcile failed');
    expect(failed.filter((l) => l['level'] === 'warn')).toHaveLength(1);
    expect(failed.filter((l) => l['level'] === 'debug')).toHaveLength(7);
  });

  it('/readyz is unready once the API server has been unreachable for the documented time, and ready when it is back', async () => {
    const run = await start([thing('a')], async () => {});
    run.availability.failed();
    run.setNow(API_UNREACHABLE_UNREADY_MS);
    const lost = await fetch(run.readyz);
    expect(lost.status).toBe(503);
    expect(((await lost.json()) as { reason: string }).reason).toMatch(/API server unreachable for 30 s/);
    run.availability.answered(200);
    expect((await fetch(run.readyz)).status).toBe(200);
  });
});
