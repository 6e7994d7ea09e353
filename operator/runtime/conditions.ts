// The one module that writes status conditions (metav1.Condition), following
// apimachinery's meta.SetStatusCondition and kstatus, so Flux, Argo CD and `kubectl wait` read
// health the same way for every kind.
// @see https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/README.md
import type { Clock } from './clock.ts';
import { truncateUtf8 } from './truncate.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  /** PascalCase, e.g. `RedirectUriNotRegistered`. */
  readonly reason: string;
  /** Says what to do next. */
  readonly message: string;
  /** RFC 3339, seconds precision (`2025-01-01T00:00:00Z`). */
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/** A condition to set; `lastTransitionTime` defaults to the clock's now when the status changes. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'> & { readonly lastTransitionTime?: string };

/** The kstatus condition types. */
export const Ready = 'Ready';
export const Reconciling = 'Reconciling';
export const Stalled = 'Stalled';

/**
 * The limit on `message`: metav1.Condition's, counted in bytes by Go's validation (the CRD schema
 * counts characters, which bytes never exceed), so a message within it is accepted by both.
 */
export const MAX_MESSAGE_BYTES = 32_768;

/** A reason is not PascalCase (a programming error caught in development and tests). */
export class InvalidReasonError extends Error {
  override readonly name = 'InvalidReasonError';
  readonly reason: string;
  constructor(reason: string) {
    super(`condition reason '${reason}' must be PascalCase (e.g. 'InvalidSpec')`);
    this.reason = reason;
  }
}

/** The conditions would break a kstatus invariant (a programming error). */
export class ConditionInvariantError extends Error {
  override readonly name = 'ConditionInvariantError';
}

// Strict outside production: a bad reason fails tests loudly, while in production it is
// normalised instead, because the API server would reject the whole status write.
const strictByDefault = process.env['NODE_ENV'] !== 'production';

export function isPascalCase(reason: string): boolean {
  return /^[A-Z][A-Za-z0-9]*$/.test(reason) && reason.length <= 1024;
}

/** Returns `reason` if PascalCase; otherwise throws (strict) or returns a PascalCase form. */
export function checkReason(reason: string, strict: boolean = strictByDefault): string {
  if (isPascalCase(reason)) return reason;
  if (strict) throw new InvalidReasonError(reason);
  return normalizeReason(reason);
}

/** `'redirect uri-not_registered'` → `'RedirectUriNotRegistered'`; empty → `'Unknown'`. */
export function normalizeReason(reason: string): string {
  const words = reason.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const trimmed = joined.replace(/^[^A-Za-z]+/, '').slice(0, 1024);
  return trimmed.length > 0 ? trimmed : 'Unknown';
}

/** RFC 3339 with seconds precision, as metav1.Time serialises. */
export function formatTime(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/**
 * Sets one condition and returns a new list (the input is not modified). `lastTransitionTime`
 * is kept unless the status changes, so it records when the status last flipped, not when we
 * last looked.
 */
export function setCondition(list: readonly Condition[] | undefined, cond: ConditionInput, clock: Clock): Condition[] {
  const current = list ?? [];
  const existing = findCondition(current, cond.type);
  const transitioned = existing === undefined || existing.status !== cond.status;
  const next: Condition = {
    type: cond.type,
    status: cond.status,
    reason: checkReason(cond.reason),
    message: truncateUtf8(cond.message, MAX_MESSAGE_BYTES),
    lastTransitionTime: transitioned
      ? (cond.lastTransitionTime ?? formatTime(clock.now()))
      : existing.lastTransitionTime,
    ...(cond.observedGeneration === undefined ? {} : { observedGeneration: cond.observedGeneration }),
  };
  if (existing === undefined) return [...current, next];
  return current.map((c) => (c.type === cond.type ? next : c));
}

export function removeCondition(list: readonly Condition[] | undefined, type: string): Condition[] {
  return (list ?? []).filter((c) => c.type !== type);
}

/**
 * A pure description of a condition change. `decide` returns one without needing a clock, and
 * the status writer applies it with `applyConditions`. The mark* helpers check the reason at once,
 * so a bad reason fails where it is written rather than at the status write.
 */
export interface ConditionUpdate {
  /** Stamped as `observedGeneration` on every condition set by this update. */
  readonly generation: number;
  readonly set: readonly Omit<ConditionInput, 'observedGeneration'>[];
  readonly remove: readonly string[];
}

/** The object is reconciled and healthy at this generation. */
export function markReady(generation: number, reason: string, message: string): ConditionUpdate {
  checkReason(reason);
  return {
    generation,
    set: [{ type: Ready, status: 'True', reason, message }],
    remove: [Reconciling, Stalled],
  };
}

/** Work is in progress (kstatus: Reconciling=True, Ready=Unknown, no Stalled). */
export function markReconciling(generation: number, reason: string, message: string): ConditionUpdate {
  checkReason(reason);
  return {
    generation,
    set: [
      { type: Reconciling, status: 'True', reason, message },
      { type: Ready, status: 'Unknown', reason, message },
    ],
    remove: [Stalled],
  };
}

/** Flux's reason for a failure that is retried on its own: Reconciling=True beside Ready=False. */
export const ProgressingWithRetry = 'ProgressingWithRetry';

/**
 * A failure the operator retries by itself (an outage, a timeout, a 5xx or 429): Ready=False names
 * it, Reconciling=True says it is being retried, and nothing stalls, so kstatus reads InProgress and
 * a short iManage outage fails no Flux or `helm --wait` deploy. Flux's own controllers do the same.
 */
export function markRetrying(generation: number, reason: string, message: string): ConditionUpdate {
  checkReason(reason);
  return {
    generation,
    set: [
      { type: Reconciling, status: 'True', reason: ProgressingWithRetry, message },
      { type: Ready, status: 'False', reason, message },
    ],
    remove: [Stalled],
  };
}

/** Progress is blocked until something changes (kstatus: Stalled=True, Ready=False, no Reconciling). */
export function markStalled(generation: number, reason: string, message: string): ConditionUpdate {
  checkReason(reason);
  return {
    generation,
    set: [
      { type: Stalled, status: 'True', reason, message },
      { type: Ready, status: 'False', reason, message },
    ],
    remove: [Reconciling],
  };
}

/** Adds kind-specific conditions (e.g. `CredentialsValid`) to a kstatus update. */
export function withConditions(
  update: ConditionUpdate,
  ...conditions: readonly Omit<ConditionInput, 'observedGeneration'>[]
): ConditionUpdate {
  return { ...update, set: [...update.set, ...conditions] };
}

/** Applies an update and checks the kstatus invariants on the result. */
export function applyConditions(
  list: readonly Condition[] | undefined,
  update: ConditionUpdate,
  clock: Clock,
): Condition[] {
  let next = [...(list ?? [])];
  for (const type of update.remove) next = removeCondition(next, type);
  for (const cond of update.set) next = setCondition(next, { ...cond, observedGeneration: update.generation }, clock);
  assertKstatusInvariants(next);
  return next;
}

/**
 * Lists kstatus invariant violations of a whole condition list for an object at `generation`;
 * empty when consistent. Useful to check a status before writing it.
 */
export function kstatusViolations(list: readonly Condition[], generation: number): string[] {
  const violations: string[] = [];
  if (isTrue(list, Reconciling) && isTrue(list, Stalled)) {
    violations.push('Reconciling and Stalled are both True');
  }
  const ready = findCondition(list, Ready);
  if (ready?.status === 'True' && ready.observedGeneration !== generation) {
    violations.push(`Ready is True at observedGeneration ${ready.observedGeneration} but generation is ${generation}`);
  }
  return violations;
}

// Only the exclusion can be broken by an update: a Ready it sets carries its own generation, and
// an untouched Ready=True from an older generation is truthful (kstatus reads it as in progress).
function assertKstatusInvariants(list: readonly Condition[]): void {
  if (isTrue(list, Reconciling) && isTrue(list, Stalled)) {
    throw new ConditionInvariantError('Reconciling and Stalled must never both be True');
  }
}

function isTrue(list: readonly Condition[], type: string): boolean {
  return findCondition(list, type)?.status === 'True';
}

/**
 * Deep equality for status objects, ignoring key order and `undefined` members (JSON drops
 * them, so they never reach the server). Used to skip a status write when nothing changed.
 */
export function statusEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => statusEqual(item, b[i]));
  }
  const aEntries = definedEntries(a);
  const bEntries = new Map(definedEntries(b));
  return (
    aEntries.length === bEntries.size && aEntries.every(([k, v]) => bEntries.has(k) && statusEqual(v, bEntries.get(k)))
  );
}

function definedEntries(value: object): [string, unknown][] {
  return Object.entries(value).filter(([, v]) => v !== undefined);
}
