// The spec check both controllers start with.

import { formatProblem, validateResource } from '../api/validation/index.ts';
import { type CheckFailure, stalled } from '../runtime/readiness.ts';

/**
 * What the spec check says of an object: why it is invalid, if it is, and the object to read from
 * there on. `value` has the schema's defaults applied when the spec is valid; an invalid object is
 * returned as it was given (nothing about it is read beyond its failure).
 */
export interface SpecCheck<T> {
  readonly failure?: CheckFailure;
  readonly value: T;
}

/**
 * The first readiness check of both kinds: the same schema and semantic checks as the API server
 * and `imanage-operator validate`. The first problem leads; the others are named. The validator
 * defaults a clone, so the informer's cached object is never changed.
 */
export function checkSpec<T>(object: T): SpecCheck<T> {
  if (object === null || typeof object !== 'object') return verdictOf(object);
  // Cached objects are replaced, never changed, on update: one check per version serves the
  // controller's gate, decide, and every resync of an unchanged object. A valid object's verdict
  // holds its defaulted clone, so it is held only weakly: kept for every cached object it would be
  // a second copy of the cache; while a reconcile holds it, asking again costs nothing. A failure
  // holds nothing more than the object, and is kept.
  const known = verdicts.get(object);
  const remembered = (known instanceof WeakRef ? known.deref() : known) as SpecCheck<T> | undefined;
  if (remembered) return remembered;
  const verdict = verdictOf(object);
  const entry = verdict.failure ? verdict : new WeakRef(verdict);
  verdicts.set(object, entry);
  verdicts.set(verdict.value as object, entry);
  return verdict;
}

/** Why the spec is invalid, or undefined for a valid one. */
export const invalidSpec = (object: unknown): CheckFailure | undefined => checkSpec(object).failure;

const verdicts = new WeakMap<object, SpecCheck<unknown> | WeakRef<SpecCheck<unknown>>>();

function verdictOf<T>(object: T): SpecCheck<T> {
  // The status is the operator's own, checked by the API server on its way in (ValidateOptions).
  const { problems, value } = validateResource(object, { status: 'asWritten' });
  if (problems.length === 0) return { value: value as T };
  const [first, ...rest] = problems;
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((p) => p.path).join(', ')})` : '';
  return { failure: stalled('InvalidSpec', undefined, `${formatProblem(first!)}${more}`), value: object };
}
