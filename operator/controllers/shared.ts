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
  // controller's gate, decide, and every resync of an unchanged object. The defaulted value is
  // remembered too, so that checking it again (decide reads only the value) costs nothing.
  let known = verdicts.get(object) as SpecCheck<T> | undefined;
  if (!known) {
    known = verdictOf(object);
    verdicts.set(object, known);
    verdicts.set(known.value as object, known);
  }
  return known;
}

/** Why the spec is invalid, or undefined for a valid one. */
export const invalidSpec = (object: unknown): CheckFailure | undefined => checkSpec(object).failure;

const verdicts = new WeakMap<object, SpecCheck<unknown>>();

function verdictOf<T>(object: T): SpecCheck<T> {
  const { problems, value } = validateResource(object);
  if (problems.length === 0) return { value: value as T };
  const [first, ...rest] = problems;
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((p) => p.path).join(', ')})` : '';
  return { failure: stalled('InvalidSpec', undefined, `${formatProblem(first!)}${more}`), value: object };
}
