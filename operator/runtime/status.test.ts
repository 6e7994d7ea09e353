// The status commit with a fake client and a fake clock: one write per change, none when nothing
// changed, an Event only when Ready changes, and the ledger of our own writes that keeps a stale
// cache from hiding a needed write (issue 9, finding 2).
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { markReady, markReconciling, markStalled, type ConditionUpdate } from './conditions.ts';
import type { RecordedEvent } from './events.ts';
import type { Resource } from './kube/resources.ts';
import { createMetrics } from './metrics.ts';
import {
  commitPermissionDenied,
  commitStatus,
  PermissionDenied,
  StatusLedger,
  type StatusContext,
  type StatusObject,
} from './status.ts';

const things: Resource<StatusObject> = {
  group: 'test.example',
  version: 'v1',
  plural: 'things',
  kind: 'Thing',
  namespaced: true,
};

interface Put {
  readonly resourceVersion: string | undefined;
  readonly status: StatusObject['status'];
}

/** A server of one object: PUT /status bumps its resourceVersion, or answers 409 if stale. */
function harness() {
  const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
  let serverVersion = 1;
  const puts: Put[] = [];
  const events: RecordedEvent[] = [];
  const ledger = new StatusLedger();
  const ctx = {
    clock,
    metrics: createMetrics(),
    client: {
      async replaceStatusForMetadata(_resource: unknown, object: StatusObject) {
        puts.push({ resourceVersion: object.metadata.resourceVersion, status: object.status });
        if (object.metadata.resourceVersion !== String(serverVersion))
          throw Object.assign(new Error('conflict'), { status: 409 });
        serverVersion++;
        // As the API server answers it: the metadata alone, no status.
        return {
          kind: 'PartialObjectMetadata',
          metadata: { ...object.metadata, resourceVersion: String(serverVersion) },
        };
      },
    },
    events: { record: async (_target: unknown, event: RecordedEvent) => void events.push(event) },
    informer: () => ({ statusLedger: ledger }),
  } as unknown as StatusContext;
  const cached = (resourceVersion: number, status?: StatusObject['status']): StatusObject => ({
    apiVersion: 'test.example/v1',
    kind: 'Thing',
    metadata: { name: 'a', namespace: 'n', uid: 'uid-a', generation: 1, resourceVersion: String(resourceVersion) },
    ...(status ? { status } : {}),
  });
  return { ctx, clock, puts, events, ledger, cached, bumpServer: () => serverVersion++ };
}

const ready: { status: object; conditions: ConditionUpdate } = {
  status: { observedGeneration: 1 },
  conditions: markReady(1, 'Configured', 'ok'),
};
const waiting: { status: object; conditions: ConditionUpdate } = {
  status: { observedGeneration: 1 },
  conditions: markReconciling(1, 'Waiting', 'wait'),
};
const stalled: { status: object; conditions: ConditionUpdate } = {
  status: { observedGeneration: 1 },
  conditions: markStalled(1, 'Broken', 'fix it'),
};

describe('commitStatus', () => {
  it('writes once, and writes nothing on an unchanged pass', async () => {
    const h = harness();
    const first = await commitStatus(h.ctx, things, h.cached(1), ready);
    expect(first.wrote).toBe(true);
    // The cache has caught up with our write: the same decision writes nothing.
    const caughtUp = h.cached(2, h.puts[0]!.status);
    h.ledger.observe(caughtUp);
    expect((await commitStatus(h.ctx, things, caughtUp, ready)).wrote).toBe(false);
    expect(h.puts).toHaveLength(1);
  });

  it('records no Event for a first status that is Ready or in progress, one for a first Warning', async () => {
    const healthy = harness();
    await commitStatus(healthy.ctx, things, healthy.cached(1), ready);
    expect(healthy.events).toEqual([]);
    const progressing = harness();
    await commitStatus(progressing.ctx, things, progressing.cached(1), waiting);
    expect(progressing.events).toEqual([]);
    const failing = harness();
    await commitStatus(failing.ctx, things, failing.cached(1), stalled);
    expect(failing.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'Broken']]);
  });

  it('records an Event for every later change of Ready, Normal ones included', async () => {
    const h = harness();
    await commitStatus(h.ctx, things, h.cached(1), waiting);
    await commitStatus(h.ctx, things, h.cached(1), ready);
    await commitStatus(h.ctx, things, h.cached(1), stalled);
    await commitStatus(h.ctx, things, h.cached(1), ready);
    expect(h.events.map((e) => [e.type, e.reason])).toEqual([
      ['Normal', 'Configured'],
      ['Warning', 'Broken'],
      ['Normal', 'Configured'],
    ]);
  });

  it('compares with our own last write, not a cache that has not shown it yet (the stale-cache skip)', async () => {
    const h = harness();
    // The object was Ready; we write Waiting; the cache still shows Ready (the watch lags).
    await commitStatus(h.ctx, things, h.cached(1), ready);
    const staleReady = h.cached(2, h.puts[0]!.status);
    h.ledger.observe(staleReady);
    await commitStatus(h.ctx, things, staleReady, waiting);
    expect(h.puts).toHaveLength(2);
    // Ready again. Compared with the cache (Ready) this would write nothing, and the object would
    // stay Waiting for good; compared with our write (Waiting) it writes, at our write's version.
    const change = await commitStatus(h.ctx, things, staleReady, ready);
    expect(change.wrote).toBe(true);
    expect(h.puts.map((p) => p.resourceVersion)).toEqual(['1', '2', '3']);
    expect(h.events.map((e) => e.reason)).toEqual(['Waiting', 'Configured']);
  });

  it('keeps lastTransitionTime from our own last write', async () => {
    const h = harness();
    await commitStatus(h.ctx, things, h.cached(1), ready);
    const writtenAt = h.puts[0]!.status!.conditions![0]!.lastTransitionTime;
    await h.clock.advance(60_000);
    await commitStatus(h.ctx, things, h.cached(1), { ...ready, status: { observedGeneration: 1, note: 'more' } });
    expect(h.puts[1]!.status!.conditions![0]!.lastTransitionTime).toBe(writtenAt);
  });

  it('a conflict drops the ledger entry, so the retry starts from the cache', async () => {
    const h = harness();
    await commitStatus(h.ctx, things, h.cached(1), ready);
    h.bumpServer(); // someone edited the spec after our write
    await expect(commitStatus(h.ctx, things, h.cached(1), waiting)).rejects.toMatchObject({ status: 409 });
    expect(h.ledger.size).toBe(0);
    const fresh = h.cached(3, h.puts[0]!.status);
    expect((await commitStatus(h.ctx, things, fresh, waiting)).wrote).toBe(true);
    expect(h.puts.at(-1)!.resourceVersion).toBe('3');
  });
});

describe('StatusLedger', () => {
  const object = (resourceVersion: string, state: string): StatusObject => ({
    metadata: { uid: 'u', resourceVersion },
    status: {
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: state, message: '', lastTransitionTime: 't' }],
    },
  });

  it.each([
    ['the cache shows our write', object('5', 'A'), 0],
    ['a relist skipped to a later version with our status', object('9', 'A'), 0],
    ['an older version with another status', object('4', 'B'), 1],
  ])('%s → %i entries', (_name, seen, size) => {
    const ledger = new StatusLedger();
    ledger.record('u', '5', object('5', 'A').status!);
    ledger.observe(seen);
    expect(ledger.size).toBe(size);
  });

  it('forgets deleted objects', () => {
    const ledger = new StatusLedger();
    ledger.record('u', '5', {});
    ledger.forget('u');
    expect(ledger.size).toBe(0);
  });
});

describe('commitPermissionDenied', () => {
  it('sets Stalled and Ready=False naming the verb and resource, keeping the rest of status', async () => {
    const h = harness();
    const object = h.cached(1, { observedGeneration: 1, conditions: [] });
    (object.status as Record<string, unknown>)['resolvers'] = ['kept'];
    await commitPermissionDenied(h.ctx, things, object, { verb: 'get', resource: 'secrets', namespace: 'n' });
    const written = h.puts[0]!.status as Record<string, unknown> & StatusObject['status'];
    expect(written['resolvers']).toEqual(['kept']);
    const readyCondition = written!.conditions!.find((c) => c.type === 'Ready');
    expect(readyCondition).toMatchObject({ status: 'False', reason: PermissionDenied });
    expect(readyCondition!.message).toMatch(/may not get secrets in namespace n/);
    expect(written!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True' });
    expect(h.events.map((e) => [e.type, e.reason])).toEqual([['Warning', PermissionDenied]]);
  });
});
