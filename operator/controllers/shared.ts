// The spec check both controllers start with.

import { formatProblem, validateResource } from '../api/validation/index.ts';
import { type CheckFailure, stalled } from '../runtime/readiness.ts';

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
