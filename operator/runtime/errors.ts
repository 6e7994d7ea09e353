// Reconcile errors decide what the engine does next, so a controller never has to choose between
// "retry", "give up until the spec changes" and "the object is gone" by reading message text.
import { checkReason } from './conditions.ts';

/**
 * `permission`: the API server refused the operator's own identity (403) outside the short window
 * after a restart in which a server refuses everyone. Unlike a configuration error it is retried
 * (with the queue's capped backoff): a Role is usually fixed without touching the object.
 */
export type ErrorClass = 'transient' | 'configuration' | 'permission' | 'gone';

/** Something outside our control failed; retrying with backoff is expected to succeed. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  /** A server-advised wait (e.g. Retry-After); the queue waits at least this long. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The spec cannot work as written. Retrying would only repeat the failure, so the controller sets
 * Stalled/Ready=False with this reason and waits for a new generation.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  /** PascalCase condition reason, e.g. `RedirectUriNotRegistered`. */
  readonly reason: string;
  /** Where in the object the problem is, e.g. `spec.auth.clientSecretRef.name`. */
  readonly fieldPath: string | undefined;

  constructor(reason: string, message: string, options: { fieldPath?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.reason = checkReason(reason);
    this.fieldPath = options.fieldPath;
  }
}

/** The primary object no longer exists; the reconcile ends quietly. */
export class GoneError extends Error {
  override readonly name = 'GoneError';
}

/**
 * Decides what happens after a failed reconcile. Kubernetes API errors are recognised by a
 * numeric `status` and a boolean `transient` (duck-typed, so this module does not depend on the
 * REST client; the client sets `transient` on a 401 or 403 answered while the server was
 * restarting): 404 → gone; 401, 408, 409, 410, 429, 5xx and 0 (no response) → transient;
 * 403 → permission; other 4xx → configuration. Anything unrecognised is transient: retrying with
 * backoff is the safe default.
 */
export function classify(err: unknown): ErrorClass {
  if (err instanceof GoneError) return 'gone';
  if (err instanceof ConfigurationError) return 'configuration';
  if (err instanceof TransientError || saysTransient(err)) return 'transient';
  const status = httpStatusOf(err);
  if (status === undefined) return 'transient';
  if (status === 404) return 'gone';
  // 408 is a timeout, 409 a lost optimistic-concurrency race and 410 an expired list version:
  // all succeed on a re-read. 401 means our own credentials expired; they are re-read too.
  if ([401, 408, 409, 410, 429].includes(status) || status >= 500) return 'transient';
  if (status === 403) return 'permission';
  if (status >= 400) return 'configuration';
  return 'transient';
}

/** What a refused request needed, when the error says (`verb` and `resource` properties). */
export interface MissingPermission {
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
}

/** The verb and resource a 403 was about, for the log line and the condition. */
export function missingPermissionOf(err: unknown): MissingPermission | undefined {
  if (typeof err !== 'object' || err === null || !('verb' in err) || !('resource' in err)) return undefined;
  const { verb, resource } = err;
  if (typeof verb !== 'string' || typeof resource !== 'string') return undefined;
  const namespace = 'namespace' in err && typeof err.namespace === 'string' ? err.namespace : undefined;
  return namespace === undefined ? { verb, resource } : { verb, resource, namespace };
}

function saysTransient(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'transient' in err && err.transient === true;
}

/** The server-advised retry delay, if the error carries one (`retryAfterMs` property). */
export function retryAfterMsOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('retryAfterMs' in err)) return undefined;
  const value = err.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

export interface StalledDetail {
  readonly reason: string;
  readonly message: string;
  readonly fieldPath?: string;
}

// Reasons for API rejections that are not ConfigurationErrors, so Stalled always has a reason.
const reasonByStatus: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  422: 'Invalid',
};

/** Reason and message for the Stalled condition when `classify(err)` is `'configuration'`. */
export function stalledDetail(err: unknown): StalledDetail {
  if (err instanceof ConfigurationError) {
    return err.fieldPath === undefined
      ? { reason: err.reason, message: err.message }
      : { reason: err.reason, message: err.message, fieldPath: err.fieldPath };
  }
  const status = httpStatusOf(err);
  const reason = (status !== undefined && reasonByStatus[status]) || 'ApiRequestRejected';
  const message = err instanceof Error ? err.message : 'the request was rejected';
  return { reason, message };
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) return undefined;
  const status = err.status;
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
}
