// The LeaseStore of leader.ts over a coordination.k8s.io/v1 Lease.

import type { KubeClient } from './kube/client.ts';
import { NotFoundError } from './kube/errors.ts';
import { type Lease, leases } from './kube/resources.ts';
import type { LeaseRecord, LeaseStore } from './leader.ts';

function toRecord(lease: Lease): LeaseRecord {
  const s = lease.spec ?? {};
  return {
    ...(s.holderIdentity ? { holderIdentity: s.holderIdentity } : {}),
    ...(s.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: s.leaseDurationSeconds } : {}),
    ...(s.acquireTime ? { acquireTime: s.acquireTime } : {}),
    ...(s.renewTime ? { renewTime: s.renewTime } : {}),
    ...(s.leaseTransitions !== undefined ? { leaseTransitions: s.leaseTransitions } : {}),
    ...(lease.metadata.resourceVersion ? { resourceVersion: lease.metadata.resourceVersion } : {}),
  };
}

function toLease(namespace: string, name: string, r: LeaseRecord): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { namespace, name, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holderIdentity ?? null,
      leaseDurationSeconds: r.leaseDurationSeconds,
      acquireTime: r.acquireTime ?? null,
      renewTime: r.renewTime ?? null,
      leaseTransitions: r.leaseTransitions,
    },
  };
}

/** A renewal must not wait behind the reconciles' requests for a socket: late, it loses the lease. */
const unqueued = { unqueued: true } as const;

export function kubeLeaseStore(
  client: Pick<KubeClient, 'get' | 'create' | 'replace'>,
  namespace: string,
  name: string,
): LeaseStore {
  return {
    async get() {
      try {
        return toRecord(await client.get(leases, { namespace, name }, unqueued));
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },
    async create(record) {
      return toRecord(await client.create(leases, toLease(namespace, name, record), unqueued));
    },
    async update(record) {
      return toRecord(await client.replace(leases, toLease(namespace, name, record), unqueued));
    },
  };
}
