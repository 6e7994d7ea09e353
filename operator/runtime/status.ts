// Writes status through the status subresource, once per reconcile, and only when it differs
// from what was read. Conditions keep their lastTransitionTime unless their status changes.

import type { Clock } from './clock.ts';
import type { EngineContext } from './engine.ts';
import { targetOf } from './events.ts';
import { applyConditions, type Condition, type ConditionUpdate, findCondition, Ready, statusEqual } from './conditions.ts';
import type { KubeClient } from './kube/client.ts';
import type { KubeObject, Resource } from './kube/resources.ts';

export interface StatusObject extends KubeObject {
  status?: { conditions?: Condition[]; observedGeneration?: number };
}

export interface StatusChange {
  readonly wrote: boolean;
  /** Ready before and after, to decide whether an Event is due. */
  readonly readyBefore?: Condition;
  readonly readyAfter?: Condition;
}

/** The status `decide` wants, with its conditions applied to the ones already there. */
export function desiredStatus(
  current: StatusObject['status'],
  status: object,
  conditions: ConditionUpdate,
  clock: Clock,
): NonNullable<StatusObject['status']> {
  return { ...status, conditions: applyConditions(current?.conditions, conditions, clock) } as NonNullable<StatusObject['status']>;
}

/**
 * PUT /status with the resourceVersion that was read, so a stale cache fails with a conflict
 * (retried) instead of overwriting newer state.
 */
export async function writeStatusIfChanged<T extends StatusObject>(
  client: Pick<KubeClient, 'replaceStatus'>,
  resource: Resource<T>,
  object: T,
  status: NonNullable<StatusObject['status']>,
): Promise<StatusChange> {
  const readyBefore = findCondition(object.status?.conditions, Ready);
  const readyAfter = findCondition(status.conditions, Ready);
  if (statusEqual(object.status, status)) return { wrote: false, readyBefore, readyAfter };
  await client.replaceStatus(resource, { ...object, status } as T);
  return { wrote: true, readyBefore, readyAfter };
}

/** An Event is due when Ready changes status or reason; never on an unchanged pass. */
export function readyTransition(change: StatusChange): boolean {
  const { readyBefore: before, readyAfter: after } = change;
  if (!after) return false;
  return before?.status !== after.status || before?.reason !== after.reason;
}

/**
 * The apply step shared by controllers: conditions applied, status written if it changed, an
 * Event if Ready changed.
 */
export async function commitStatus<T extends StatusObject>(
  ctx: Pick<EngineContext, 'client' | 'clock' | 'metrics' | 'events'>,
  resource: Resource<T>,
  object: T,
  decision: { readonly status: object; readonly conditions: ConditionUpdate },
): Promise<StatusChange> {
  const status = desiredStatus(object.status, decision.status, decision.conditions, ctx.clock);
  const change = await writeStatusIfChanged(ctx.client, resource, object, status);
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
