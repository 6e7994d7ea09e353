// Leader election between real operator processes sharing one Lease: exactly one leads, a killed
// leader is replaced within the lease duration, a stopped one hands over at once, and the new
// leader does the work. The takeover bounds are the functional requirements (within the
// lease duration plus a retry period; within 3 s after a graceful stop); the measured times are
// printed, not compared with anything tighter.
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConnection } from '../../operator/api/validation/fixtures.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, metricValue, startOperator, waitFor, type KubeJson, type OperatorProcess } from '../harness/operator.ts';

const LEASE = 'imanage-operator-leader-test';
/** 15 s lease duration + one 2 s retry period. */
const KILLED_TAKEOVER_BOUND_MS = 17_000;
const RELEASED_TAKEOVER_BOUND_MS = 3_000;

const ns = useTestNamespace('leader');

function start(identity: string): Promise<OperatorProcess> {
  return startOperator({ namespace: ns.name, identity, leaderElectionId: LEASE, resyncPeriod: '1s' });
}

interface LeaseJson {
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number };
}

async function holder(): Promise<string | undefined> {
  return (await getObject<LeaseJson>(ns.name, 'lease', LEASE))?.spec.holderIdentity;
}

/** Waits until exactly one of `ops` reports imanage_operator_leader 1 and holds the Lease. */
async function soleLeader(ops: readonly OperatorProcess[]): Promise<OperatorProcess> {
  return waitFor(async () => {
    const flags = await Promise.all(ops.map(async (op) => metricValue(await op.metrics(), 'imanage_operator_leader')));
    const leaders = ops.filter((_, i) => flags[i] === 1);
    if (leaders.length !== 1 || !flags.every((f) => f === 0 || f === 1)) return false;
    return (await holder()) === leaders[0]!.identity && leaders[0];
  }, 60_000, 200, `exactly one leader among ${ops.map((o) => o.identity).join(', ')}`);
}

/** Waits for `op` to log that it has seen `leader` hold the Lease. */
function observes(op: OperatorProcess, leader: OperatorProcess): Promise<unknown> {
  return op.waitForLog((e) => e?.msg === 'leader observed' && e['leader'] === leader.identity, 30_000);
}

/** Milliseconds from `sinceMs` to `op`'s own `became leader` log line. */
async function becameLeaderAfter(op: OperatorProcess, sinceMs: number, timeoutMs: number): Promise<number> {
  const line = await op.waitForLog((e) => e?.msg === 'became leader', timeoutMs);
  return Date.parse(String(line.time)) - sinceMs;
}

async function reconcilesOf(op: OperatorProcess): Promise<number> {
  return metricValue(await op.metrics(), 'imanage_operator_reconcile_total');
}

/** A new connection, applied now, reaches Ready: somebody is doing the work. */
async function newObjectGetsReady(name: string): Promise<void> {
  await ns.apply(JSON.stringify(baseConnection(name)));
  await waitFor(async () => {
    const object = await getObject<KubeJson>(ns.name, 'imc', name);
    const ready = object?.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'True' && ready.observedGeneration === object?.metadata.generation;
  }, 60_000, 200, `imc/${name} Ready`);
}

let a: OperatorProcess;
let b: OperatorProcess;

beforeAll(async () => {
  [a, b] = await Promise.all([start('replica-a'), start('replica-b')]);
});

describe('leader election', () => {
  let leader: OperatorProcess;
  let follower: OperatorProcess;

  it('of two replicas exactly one leads, holds the Lease, and does all the work', async () => {
    leader = await soleLeader([a, b]);
    follower = leader === a ? b : a;
    await observes(follower, leader);
    const lease = await getObject<LeaseJson>(ns.name, 'lease', LEASE);
    expect(lease?.spec).toMatchObject({ holderIdentity: leader.identity, leaseDurationSeconds: 15 });

    await newObjectGetsReady('first');
    expect(await reconcilesOf(leader)).toBeGreaterThan(0);
    expect(await reconcilesOf(follower)).toBe(0);
    expect(metricValue(await follower.metrics(), 'imanage_operator_status_writes_total')).toBe(0);
  });

  it('when the leader is killed (SIGKILL), the other takes over within the lease duration and reconciles', async () => {
    const transitions = (await getObject<LeaseJson>(ns.name, 'lease', LEASE))?.spec.leaseTransitions ?? 0;
    const killed = leader;
    [leader, follower] = [follower, killed];
    const killedAt = Date.now();
    const exit = await killed.kill();
    expect(exit.signal).toBe('SIGKILL');

    const takeoverMs = await becameLeaderAfter(leader, killedAt, 60_000);
    console.log(`leader takeover after SIGKILL: ${(takeoverMs / 1000).toFixed(2)} s (bound ${KILLED_TAKEOVER_BOUND_MS / 1000} s)`);
    expect(await soleLeader([leader])).toBe(leader);
    expect((await getObject<LeaseJson>(ns.name, 'lease', LEASE))?.spec.leaseTransitions).toBe(transitions + 1);
    expect(takeoverMs).toBeLessThanOrEqual(KILLED_TAKEOVER_BOUND_MS);

    await newObjectGetsReady('after-kill');
  });

  it('when the leader stops (SIGTERM), it releases the Lease and the other takes over within 3 s and reconciles', async () => {
    const c = await start('replica-c');
    expect(await soleLeader([leader, c])).toBe(leader);
    await observes(c, leader);

    const stoppedAt = Date.now();
    const stopping = leader.stop('SIGTERM');
    const takeoverMs = await becameLeaderAfter(c, stoppedAt, 60_000);
    console.log(`leader takeover after SIGTERM: ${(takeoverMs / 1000).toFixed(2)} s (bound ${RELEASED_TAKEOVER_BOUND_MS / 1000} s)`);
    expect(await stopping).toEqual({ code: 0, signal: null });
    expect(await soleLeader([c])).toBe(c);
    expect(takeoverMs).toBeLessThanOrEqual(RELEASED_TAKEOVER_BOUND_MS);

    await newObjectGetsReady('after-stop');
  });
});
