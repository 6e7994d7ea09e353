import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import {
  DEFAULT_LEASE_TIMING,
  formatMicroTime,
  LeaderElector,
  validateTiming,
  type LeaderRunResult,
  type LeaseRecord,
  type LeaseStore,
} from './leader.ts';

class StatusError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

/** A Lease in memory with the API server's optimistic concurrency on resourceVersion. */
class MemoryLeaseStore implements LeaseStore {
  record: LeaseRecord | undefined;
  conflicts = 0;
  #version = 0;

  async get(): Promise<LeaseRecord | undefined> {
    return this.record && { ...this.record };
  }

  async create(r: LeaseRecord): Promise<LeaseRecord> {
    if (this.record) return this.#conflict();
    return this.put(r);
  }

  async update(r: LeaseRecord): Promise<LeaseRecord> {
    if (!this.record) throw new StatusError(404);
    if (r.resourceVersion !== this.record.resourceVersion) return this.#conflict();
    return this.put(r);
  }

  /** Writes as the API server would (also used by tests as "another writer"). */
  put(r: LeaseRecord): LeaseRecord {
    this.record = { ...r, resourceVersion: String(++this.#version) };
    return { ...this.record };
  }

  #conflict(): never {
    this.conflicts++;
    throw new StatusError(409);
  }
}

/** One replica's view of the store; `down` simulates a network partition, `hang` a stuck call. */
function replicaView(store: LeaseStore): LeaseStore & { down: boolean; hang: boolean } {
  const view = {
    down: false,
    hang: false,
    call<T>(fn: () => Promise<T>): Promise<T> {
      if (view.hang) return new Promise<T>(() => undefined);
      return view.down ? Promise.reject(new StatusError(503)) : fn();
    },
    get: () => view.call(() => store.get()),
    create: (r: LeaseRecord) => view.call(() => store.create(r)),
    update: (r: LeaseRecord) => view.call(() => store.update(r)),
  };
  return view;
}

interface Candidate {
  readonly identity: string;
  readonly elector: LeaderElector;
  readonly controller: AbortController;
  readonly result: Promise<LeaderRunResult>;
}

let clock = new FakeClock(0);
let events: string[] = [];
let candidates: Candidate[] = [];
const t = (): number => clock.now().getTime() / 1000;

function start(identity: string, store: LeaseStore, extra: { onNewLeader?: (id: string) => void } = {}): Candidate {
  const controller = new AbortController();
  const elector = new LeaderElector({
    identity,
    store,
    clock,
    random: () => 0,
    onStartedLeading: () => events.push(`${identity} started @${t()}`),
    onStoppedLeading: () => events.push(`${identity} stopped @${t()}`),
    ...extra,
  });
  const candidate = { identity, elector, controller, result: elector.run(controller.signal) };
  candidates.push(candidate);
  return candidate;
}

/** Advances in small steps, checking at every step that no two candidates lead at once. */
async function advance(seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    await clock.advance(250);
    expect(candidates.filter((c) => c.elector.isLeader()).length).toBeLessThanOrEqual(1);
  }
}

function leaders(): string[] {
  return candidates.filter((c) => c.elector.isLeader()).map((c) => c.identity);
}

beforeEach(() => {
  clock = new FakeClock(0);
});

afterEach(async () => {
  for (const c of candidates) c.controller.abort();
  await Promise.all(candidates.map((c) => c.result));
  candidates = [];
  events = [];
});

describe('LeaderElector', () => {
  it('of two candidates exactly one leads, and the losing create conflict is harmless', async () => {
    const store = new MemoryLeaseStore();
    start('a', store);
    start('b', store);
    await advance(60);
    expect(leaders()).toEqual(['a']);
    expect(events).toEqual(['a started @0']);
    expect(store.conflicts).toBe(1);
    expect(store.record).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(store.record?.renewTime).toBe(formatMicroTime(60_000));
    expect(store.record?.acquireTime).toBe('1970-01-01T00:00:00.000000Z');
  });

  it('when the leader stops renewing it steps down at the renew deadline and the other takes over after the lease duration', async () => {
    const store = new MemoryLeaseStore();
    const aView = replicaView(store);
    const a = start('a', aView);
    start('b', store);
    await advance(10.5);
    aView.down = true; // a's last successful renew was at t=10
    await advance(30);
    expect(await a.result).toBe('lost');
    expect(leaders()).toEqual(['b']);
    const [started, stopped, bStarted] = events;
    expect([started, stopped]).toEqual(['a started @0', 'a stopped @20']);
    const bAt = Number(bStarted?.replace('b started @', ''));
    expect(bAt).toBeGreaterThanOrEqual(10 + 15);
    expect(bAt).toBeLessThanOrEqual(10 + 15 + 2 * 2);
    expect(store.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('on shutdown the leader releases the lease and the other takes over on its next retry', async () => {
    const store = new MemoryLeaseStore();
    const a = start('a', store);
    start('b', store);
    await advance(5);
    a.controller.abort();
    expect(await a.result).toBe('stopped');
    expect(store.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(leaders()).toEqual([]);
    await clock.advance(1000); // b retries every 2 s (no jitter here): at t=6
    expect(leaders()).toEqual(['b']);
    expect(events).toEqual(['a started @0', 'a stopped @5', 'b started @6']);
    expect(store.record).toMatchObject({ holderIdentity: 'b', leaseDurationSeconds: 15, leaseTransitions: 1 });
  });

  it('release() stops leading and hands the lease over', async () => {
    const store = new MemoryLeaseStore();
    const a = start('a', store);
    await advance(1);
    await a.elector.release();
    expect(await a.result).toBe('stopped');
    expect(a.elector.isLeader()).toBe(false);
    expect(store.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  it('judges expiry by when the record was last seen to change, not by renewTime', async () => {
    const store = new MemoryLeaseStore();
    // renewTime is a day old by our clock (e.g. skew); it still counts as fresh when first seen.
    store.put({
      holderIdentity: 'old',
      leaseDurationSeconds: 15,
      renewTime: formatMicroTime(-86_400_000),
      leaseTransitions: 3,
    });
    start('b', store);
    await clock.advance(14_999);
    expect(leaders()).toEqual([]);
    await clock.advance(2_000);
    expect(leaders()).toEqual(['b']);
    expect(store.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 4 });
  });

  it('takes a lease it already holds (e.g. after a restart) at once, keeping acquireTime', async () => {
    const store = new MemoryLeaseStore();
    store.put({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: 'earlier',
      renewTime: 'earlier',
      leaseTransitions: 2,
    });
    start('a', store);
    await clock.advance(0);
    expect(leaders()).toEqual(['a']);
    expect(store.record).toMatchObject({ acquireTime: 'earlier', leaseTransitions: 2 });
  });

  it('retries a renew that hit a resourceVersion conflict and keeps leading while the lease is still its own', async () => {
    const store = new MemoryLeaseStore();
    start('a', store);
    await advance(1);
    let bumps = 0;
    const update = store.update.bind(store);
    store.update = async (r) => {
      if (bumps++ === 0) store.put({ ...store.record! }); // another writer touched the object
      return update(r);
    };
    await advance(10);
    expect(store.conflicts).toBeGreaterThanOrEqual(1);
    expect(leaders()).toEqual(['a']);
    expect(events).toEqual(['a started @0']);
  });

  it('steps down at once when another holder has taken the lease', async () => {
    const store = new MemoryLeaseStore();
    const a = start('a', store);
    await advance(3);
    store.put({ ...store.record!, holderIdentity: 'intruder', renewTime: formatMicroTime(3_000) });
    await advance(2);
    expect(await a.result).toBe('lost');
    expect(events).toEqual(['a started @0', 'a stopped @4']);
    expect(store.record?.holderIdentity).toBe('intruder');
  });

  it('of two candidates racing for an expired lease exactly one wins the update', async () => {
    const store = new MemoryLeaseStore();
    store.put({ holderIdentity: 'crashed', leaseDurationSeconds: 15, renewTime: formatMicroTime(0) });
    // Hold reads until both candidates have read, so both update from the same resourceVersion.
    let barrier = false;
    const held: (() => void)[] = [];
    const racing: LeaseStore = {
      get: async () => {
        if (barrier) {
          await new Promise<void>((resolve) => {
            held.push(resolve);
            if (held.length < 2) return;
            barrier = false;
            for (const release of held.splice(0)) release();
          });
        }
        return store.get();
      },
      create: (r) => store.create(r),
      update: (r) => store.update(r),
    };
    start('b', racing);
    start('c', racing);
    await advance(14.5);
    expect(leaders()).toEqual([]);
    barrier = true;
    await advance(15);
    expect(store.conflicts).toBe(1);
    expect(leaders()).toHaveLength(1);
    expect(events).toEqual([`${leaders()[0]} started @15`]);
    expect(store.record).toMatchObject({ holderIdentity: leaders()[0], leaseTransitions: 1 });
  });

  it('steps down at the renew deadline when a renew call hangs', async () => {
    const store = new MemoryLeaseStore();
    const view = replicaView(store);
    const a = start('a', view);
    await clock.advance(500);
    view.hang = true;
    await advance(15);
    expect(await a.result).toBe('lost');
    expect(events).toEqual(['a started @0', 'a stopped @10']);
  });

  it('reports each new holder', async () => {
    const store = new MemoryLeaseStore();
    const seen: string[] = [];
    const a = start('a', store);
    start('b', store, { onNewLeader: (id) => seen.push(id) });
    await advance(3);
    a.controller.abort();
    await a.result;
    await advance(3);
    expect(seen).toEqual(['a', 'b']);
  });

  it('stops campaigning when aborted before it ever leads', async () => {
    const store = new MemoryLeaseStore();
    store.put({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: formatMicroTime(0) });
    const b = start('b', store);
    await advance(3);
    b.controller.abort();
    expect(await b.result).toBe('stopped');
    expect(events).toEqual([]);
    expect(store.record?.holderIdentity).toBe('other');
  });
});

describe('validateTiming', () => {
  it.each([
    ['the defaults', DEFAULT_LEASE_TIMING, undefined],
    [
      'lease not longer than the renew deadline',
      { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      'leaseDurationMs',
    ],
    [
      'renew deadline not above 1.2 × retry',
      { leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 },
      'renewDeadlineMs',
    ],
    ['zero retry period', { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }, 'retryPeriodMs'],
  ])('%s', (_name, timing, badField) => {
    if (badField === undefined) expect(validateTiming(timing)).toEqual(timing);
    else expect(() => validateTiming(timing)).toThrow(new RegExp(`'${badField}'`));
  });

  it('is applied by the constructor, which also needs an identity', () => {
    const store = new MemoryLeaseStore();
    const base = { store, onStartedLeading: () => undefined };
    expect(() => new LeaderElector({ ...base, identity: 'a', renewDeadlineMs: 20_000 })).toThrow(RangeError);
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(RangeError);
  });
});
