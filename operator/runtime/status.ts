// Writes status through the status subresource, once per reconcile, and only when it differs
// from the status the object has now. Conditions keep their lastTransitionTime unless their
// status changes.
//
// "The status it has now" is what this process last wrote, until the cache has caught up with
// that write; only then the cache. Issue 9 found repositories stuck in WaitingForConnection
// while their connection was Ready: a reconcile compared its new `Configured` with a cached
// `Configured` from before our own `Waiting` write, so it wrote nothing; the late arrival of
// `Waiting` was a status-only update, which triggers nothing. The ledger below closes that gap.

import type { Clock } from './clock.ts';
import { type EventRecorder, targetOf } from './events.ts';
import {
  applyConditions,
  type Condition,
  type ConditionUpdate,
  findCondition,
  markStalled,
  Ready,
  statusEqual,
} from './conditions.ts';
import type { MissingPermission } from './errors.ts';
import type { KubeClient } from './kube/client.ts';
import type { KubeObject, Resource } from './kube/resources.ts';

export interface StatusObject extends KubeObject {
  status?: { conditions?: Condition[]; observedGeneration?: number };
}

type Status = NonNullable<StatusObject['status']>;

export interface StatusChange {
  readonly wrote: boolean;
  /** Ready before and after, to decide whether an Event is due. */
  readonly readyBefore?: Condition;
  readonly readyAfter?: Condition;
}

interface Written {
  readonly resourceVersion: string;
  readonly status: Status;
}

/**
 * What this process last wrote to each object's status (keyed by uid), kept only until the cache
 * shows that write: so it holds the few writes in flight, not a copy of every status.
 */
export class StatusLedger {
  readonly #written = new Map<string, Written>();

  get size(): number {
    return this.#written.size;
  }

  lastWritten(uid: string | undefined): Written | undefined {
    return uid === undefined ? undefined : this.#written.get(uid);
  }

  record(uid: string | undefined, resourceVersion: string | undefined, status: Status): void {
    if (uid === undefined || resourceVersion === undefined) return;
    this.#written.set(uid, { resourceVersion, status });
  }

  /**
   * The cache holds a new version of the object. Once it is our write, or shows the status we
   * wrote (a relist skips versions), the cache is current again for this object.
   */
  observe(object: StatusObject): void {
    const written = this.lastWritten(object.metadata.uid);
    if (!written) return;
    if (object.metadata.resourceVersion === written.resourceVersion || statusEqual(object.status, written.status)) {
      this.#written.delete(object.metadata.uid!);
    }
  }

  forget(uid: string | undefined): void {
    if (uid !== undefined) this.#written.delete(uid);
  }
}

/** The status `decide` wants, with its conditions applied to the ones already there. */
export function desiredStatus(
  current: StatusObject['status'],
  status: object,
  conditions: ConditionUpdate,
  clock: Clock,
): Status {
  return { ...status, conditions: applyConditions(current?.conditions, conditions, clock) } as Status;
}

/**
 * PUT /status with the resourceVersion of the newest version known (our own last write, or the
 * cache's), so that a change made since fails with a conflict (retried) instead of being
 * overwritten. A conflict also drops the ledger entry: the next attempt starts from the cache.
 */
export async function writeStatusIfChanged<T extends StatusObject>(
  client: Pick<KubeClient, 'replaceStatusForMetadata'>,
  resource: Resource<T>,
  object: T,
  status: Status,
  ledger: StatusLedger = new StatusLedger(),
): Promise<StatusChange> {
  const written = ledger.lastWritten(object.metadata.uid);
  const current = written?.status ?? object.status;
  const readyBefore = findCondition(current?.conditions, Ready);
  const readyAfter = findCondition(status.conditions, Ready);
  if (statusEqual(current, status)) return { wrote: false, readyBefore, readyAfter };
  const resourceVersion = written?.resourceVersion ?? object.metadata.resourceVersion;
  try {
    const body = { ...object, metadata: { ...object.metadata, resourceVersion }, status } as T;
    const saved = await client.replaceStatusForMetadata(resource, body);
    ledger.record(object.metadata.uid, saved?.metadata?.resourceVersion, status);
  } catch (error) {
    ledger.forget(object.metadata.uid);
    throw error;
  }
  return { wrote: true, readyBefore, readyAfter };
}

/**
 * An Event is due when Ready changes status or reason; never on an unchanged pass. A new object's
 * first Ready is no Event unless it is a Warning: its status says so, the user just created it, and
 * at 1,000 connections one Normal Event per object was 6,000 API writes, a third of the API
 * server's work to make them Ready (issue 22). Every Warning, and every later change, is one.
 */
export function readyTransition(change: StatusChange): boolean {
  const { readyBefore: before, readyAfter: after } = change;
  if (!after) return false;
  if (!before) return after.status === 'False';
  return before.status !== after.status || before.reason !== after.reason;
}

/**
 * What the apply step needs of the engine. Declared here, not picked from EngineContext, so that
 * status.ts does not import the engine that imports it.
 */
export interface StatusContext {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly metrics: { readonly statusWrites: { inc(labels: { kind: string }): void } };
  readonly events: EventRecorder;
  informer(resource: Resource): { readonly statusLedger: StatusLedger };
}

/**
 * The apply step shared by controllers: conditions applied, status written if it changed, an
 * Event if Ready changed.
 */
export async function commitStatus<T extends StatusObject>(
  ctx: StatusContext,
  resource: Resource<T>,
  object: T,
  decision: { readonly status: object; readonly conditions: ConditionUpdate },
): Promise<StatusChange> {
  const ledger = ctx.informer(resource).statusLedger;
  const current = ledger.lastWritten(object.metadata.uid)?.status ?? object.status;
  const status = desiredStatus(current, decision.status, decision.conditions, ctx.clock);
  const change = await writeStatusIfChanged(ctx.client, resource, object, status, ledger);
  if (change.wrote) ctx.metrics.statusWrites.inc({ kind: resource.kind });
  if (change.wrote && readyTransition(change)) {
    const ready = change.readyAfter!;
    await ctx.events.record(targetOf(object), {
      type: ready.status === 'False' ? 'Warning' : 'Normal',
      reason: ready.reason,
      action: 'Reconcile',
      note: ready.status === 'True' ? `Ready: ${ready.message}` : ready.message,
    });
  }
  return change;
}

/** The condition reason while the operator's own Role lacks a permission a reconcile needs. */
export const PermissionDenied = 'PermissionDenied';

/**
 * Reports a missing permission on the object it stopped: Stalled and Ready=False with reason
 * PermissionDenied, naming the verb and resource, everything else in status kept. The reconcile
 * is retried with backoff meanwhile, and the next successful one replaces these conditions.
 */
export async function commitPermissionDenied<T extends StatusObject>(
  ctx: StatusContext,
  resource: Resource<T>,
  object: T,
  missing: MissingPermission,
): Promise<StatusChange> {
  const where = missing.namespace ? ` in namespace ${missing.namespace}` : '';
  const message =
    `the operator may not ${missing.verb} ${missing.resource}${where}; grant it in the operator's Role ` +
    `(the chart's RBAC); the operator retries with backoff`;
  const { conditions: _replaced, ...rest } = object.status ?? {};
  const generation = object.metadata.generation ?? 0;
  const conditions = markStalled(generation, PermissionDenied, message);
  return commitStatus(ctx, resource, object, { status: rest, conditions });
}
