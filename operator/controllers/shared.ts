// Small helpers both controllers use.

import type { ObjectRef } from '../runtime/engine.ts';

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
