// Small helpers both controllers use.

import { formatProblem, validateResource } from '../api/validation/index.ts';
import type { ObjectRef } from '../runtime/engine.ts';
import { type CheckFailure, stalled } from '../runtime/readiness.ts';

interface Meta {
  readonly metadata: { readonly namespace?: string; readonly name?: string; readonly generation?: number; readonly deletionTimestamp?: string; readonly labels?: Record<string, string> };
}

export function refOf(object: Meta): ObjectRef {
  return { namespace: object.metadata.namespace ?? 'default', name: object.metadata.name ?? '' };
}

/**
 * Our own status writes come back as updates; they need no reconcile. A new generation (spec),
 * a deletion or a label change does.
 */
export function specChanged(old: Meta, current: Meta): boolean {
  return old.metadata.generation !== current.metadata.generation
    || old.metadata.deletionTimestamp !== current.metadata.deletionTimestamp
    || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(current.metadata.labels ?? {});
}

/**
 * The first readiness check of both kinds: the same schema and semantic checks as the API
 * server and `imanage-operator validate`. The first problem leads; the others are named.
 */
export function invalidSpec(object: unknown): CheckFailure | undefined {
  if (object === null || typeof object !== 'object') return checkSpec(object);
  // Cached objects are replaced, never changed, on update: one check per version serves the
  // controller's gate, decide, and every resync of an unchanged object.
  if (!verdicts.has(object)) verdicts.set(object, checkSpec(object));
  return verdicts.get(object);
}

const verdicts = new WeakMap<object, CheckFailure | undefined>();

function checkSpec(object: unknown): CheckFailure | undefined {
  const { problems } = validateResource(object);
  if (problems.length === 0) return undefined;
  const [first, ...rest] = problems;
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((p) => p.path).join(', ')})` : '';
  return stalled('InvalidSpec', undefined, `${formatProblem(first!)}${more}`);
}
