// Readiness as an ordered list of small pure checks; the first that fails names the reason
// (cert-manager's policies.Chain). Controllers declare their checks; this file knows no kind.

import { type ConditionUpdate, markReady, markReconciling, markRetrying, markStalled } from './conditions.ts';

/** Set while spec.suspend is true: the object is left alone and keeps everything it has. */
export const Suspended = 'Suspended';

/** Suspension changes nothing but the Suspended condition: Ready and the rest stay as they were. */
export function suspendedConditions(generation: number): ConditionUpdate {
  return {
    generation,
    set: [
      {
        type: Suspended,
        status: 'True',
        reason: 'Suspended',
        message: 'spec.suspend is true: the operator leaves this object alone; set it to false to resume',
      },
    ],
    remove: [],
  };
}

/**
 * Why an object is not Ready. `stalled`: it cannot progress until someone changes something (a
 * spec, a Secret): kstatus Failed. `reconciling`: it is waiting on work in progress: kstatus
 * InProgress. `retrying`: it failed in a way the operator retries by itself (an outage, a 5xx):
 * Ready=False with Reconciling=True, kstatus InProgress.
 */
export interface CheckFailure {
  readonly reason: string;
  readonly message: string;
  readonly fieldPath?: string;
  readonly kind: 'stalled' | 'reconciling' | 'retrying';
}

export type Check<I> = (input: I) => CheckFailure | undefined;

export function firstFailure<I>(checks: readonly Check<I>[], input: I): CheckFailure | undefined {
  for (const check of checks) {
    const failure = check(input);
    if (failure) return failure;
  }
  return undefined;
}

export function stalled(reason: string, fieldPath: string | undefined, message: string): CheckFailure {
  return { reason, message, kind: 'stalled', ...(fieldPath ? { fieldPath } : {}) };
}

export function reconciling(reason: string, message: string): CheckFailure {
  return { reason, message, kind: 'reconciling' };
}

export function retrying(reason: string, fieldPath: string | undefined, message: string): CheckFailure {
  return { reason, message, kind: 'retrying', ...(fieldPath ? { fieldPath } : {}) };
}

/** The kstatus conditions for a check outcome. The field path leads the message, as in `kubectl`. */
export function readinessConditions(
  generation: number,
  failure: CheckFailure | undefined,
  ready: { reason: string; message: string },
): ConditionUpdate {
  const update = failureConditions(generation, failure, ready);
  return { ...update, remove: [...update.remove, Suspended] };
}

function failureConditions(
  generation: number,
  failure: CheckFailure | undefined,
  ready: { reason: string; message: string },
): ConditionUpdate {
  if (!failure) return markReady(generation, ready.reason, ready.message);
  const message = failure.fieldPath ? `${failure.fieldPath}: ${failure.message}` : failure.message;
  switch (failure.kind) {
    case 'stalled':
      return markStalled(generation, failure.reason, message);
    case 'retrying':
      return markRetrying(generation, failure.reason, message);
    case 'reconciling':
      return markReconciling(generation, failure.reason, failure.message);
  }
}
