// Leader election between real operator processes sharing one Lease: exactly one leads, a killed
// leader is replaced once its lease has expired and not before, a stopped one releases the Lease
// for the next, and the new leader does the work. How long a takeover takes is printed, never
// asserted: on a loaded machine it only grows, and the bounds (within a retry period of the
// expiry or the release) are checked against a fake clock in operator/runtime/leader.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConnection } from '../../operator/api/validation/fixtures.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, metricValue, startOperator, waitFor, type KubeJson, type OperatorProcess } from '../harness/operator.ts';

const LEASE = 'imanage-operator-leader-test';
const LEASE_DURATION_MS = 15_000;

const ns = useTestNamespace('leader');

function start(identity: string): Promise<OperatorProcess> {
  return startOperator({ namespace: ns.name, identity, leaderElectionId: LEASE, resyncPeriod: '1s' });
}

interface LeaseJson {
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number; acquireTime?: string; renewTime?: string };
}

async function lease(): Promise<LeaseJson['spec']> {
  return (await getObject<LeaseJson>(ns.name, 'lease', LEASE))?.spec ?? {};
}

async function holder(): Promise<string | undefined> {
  return (await lease()).holderIdentity;
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

  it('when the leader is killed (SIGKILL), the other takes over once its lease has expired, not before, and reconciles', async () => {
    const before = await lease();
    const killed = leader;
    [leader, follower] = [follower, killed];
    const killedAt = Date.now();
    const exit = await killed.kill();
    expect(exit.signal).toBe('SIGKILL');

    const takeoverMs = await becameLeaderAfter(leader, killedAt, 60_000);
    console.log(`leader takeover after SIGKILL: ${(takeoverMs / 1000).toFixed(2)} s (lease ${LEASE_DURATION_MS / 1000} s)`);
    expect(await soleLeader([leader])).toBe(leader);
    const after = await lease();
    expect(after.leaseTransitions).toBe((before.leaseTransitions ?? 0) + 1);
    // Two leaders at once is what election exists to prevent: the killed leader's last renewal (at
    // or after the one read before the kill) held the lease for its whole duration. A bound from
    // below, which a loaded machine cannot break; only a takeover too early can.
    expect(Date.parse(after.acquireTime!) - Date.parse(before.renewTime!)).toBeGreaterThanOrEqual(LEASE_DURATION_MS);

    await newObjectGetsReady('after-kill');
  });

  it('when the leader stops (SIGTERM), it releases the Lease, and the next candidate takes it and reconciles', async () => {
    const c = await start('replica-c');
    expect(await soleLeader([leader, c])).toBe(leader);
    await observes(c, leader);

    // The candidate is paused so that the release itself can be seen, before anyone takes the Lease.
    process.kill(c.pid, 'SIGSTOP');
    try {
      expect(await leader.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(await lease()).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    } finally {
      process.kill(c.pid, 'SIGCONT');
    }
    const takeoverMs = await becameLeaderAfter(c, Date.now(), 60_000);
    console.log(`leader takeover of a released lease: ${(takeoverMs / 1000).toFixed(2)} s after the candidate resumed`);
    expect(await soleLeader([c])).toBe(c);
    expect(await lease()).toMatchObject({ holderIdentity: c.identity, leaseDurationSeconds: 15 });

    await newObjectGetsReady('after-stop');
  });
});
