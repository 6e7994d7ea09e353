// What can go wrong when the operator calls the Work API v2, as a few typed errors made in one
// place (toWorkError), so that callers branch on the class, never on message text. iManage's
// error body is `{"error":{"code","code_message","messages":[…]}}` (shared/imanage-api.md); its
// code is kept (when it looks like a code), its message only as a masked excerpt (excerpt.ts).

import { retryAfterMs } from './delays.ts';
import { excerpt } from './excerpt.ts';
import { type ErrorDetails, errorKind, IManageError } from './typed-errors.ts';
import { ServerError as OAuthServerError, TransportFailure } from './oauth-errors.ts';

export type WorkFailure =
  | 'NotFound'
  | 'LibraryNotFound'
  | 'Forbidden'
  | 'Unauthorized'
  | 'InvalidRequest'
  | 'RateLimited'
  | 'ServerError'
  | 'Unreachable'
  | 'TargetForbidden';

type Details = ErrorDetails;

export abstract class WorkApiError extends IManageError<WorkFailure> {}

const kind = <F extends WorkFailure>(failure: F, retryable: boolean) => errorKind(WorkApiError, failure, retryable);

/** The workspace, folder or document named in the path does not exist (or is not visible). */
export const NotFound = kind('NotFound', false);
export type NotFound = InstanceType<typeof NotFound>;

/** A 404 on a library's own collection (its workspace search): the library is not there. */
export const LibraryNotFound = kind('LibraryNotFound', false);
export type LibraryNotFound = InstanceType<typeof LibraryNotFound>;

/** 403: the token's user may not do this (or the customer id is not the token's). */
export const Forbidden = kind('Forbidden', false);
export type Forbidden = InstanceType<typeof Forbidden>;

/** 401: the access token expired (iManage counts inactivity) or was revoked; refresh, then retry. */
export const Unauthorized = kind('Unauthorized', true);
export type Unauthorized = InstanceType<typeof Unauthorized>;

/** 400, 405, 409, 413, 415 …: the request as sent is refused; sending it again will not help. */
export const InvalidRequest = kind('InvalidRequest', false);
export type InvalidRequest = InstanceType<typeof InvalidRequest>;

/** 5xx, or an answer that is not the JSON the Work API sends. */
export const ServerError = kind('ServerError', true);
export type ServerError = InstanceType<typeof ServerError>;

/** No answer: DNS, connection, TLS or timeout. */
export const Unreachable = kind('Unreachable', true);
export type Unreachable = InstanceType<typeof Unreachable>;

/** The host resolves to an address the SSRF guard refuses. */
export const TargetForbidden = kind('TargetForbidden', false);
export type TargetForbidden = InstanceType<typeof TargetForbidden>;

export class RateLimited extends WorkApiError {
  override readonly name = 'RateLimited';
  readonly failure = 'RateLimited';
  readonly retryable = true;
  /** Retry-After, bounded by delays.ts (an hour at most); undefined when the server gave none. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, retryAfter: number | undefined, details: Details = {}) {
    super(message, details);
    this.retryAfterMs = retryAfter;
  }
}

/** What a path is: a 404 on a library's collection means the library, on an object the object. */
export type PathKind = 'library-collection' | 'object' | 'customer';

interface ErrorBody {
  readonly code?: string;
  readonly message?: string;
}

/**
 * An HTTP answer that is not 2xx → its error. `operation` reads like "searching ACTIVE_US at host";
 * `sent` are secret values the request carried (the access token), masked wherever they are echoed.
 */
export function errorFromResponse(
  status: number,
  headers: Headers,
  bodyText: string,
  operation: string,
  pathKind: PathKind,
  now: Date,
  sent: readonly string[] = [],
): WorkApiError {
  const body = readErrorBody(bodyText, sent);
  const said = body.message ? `: ${body.message}` : '';
  const details = {
    httpStatus: status,
    ...(body.code ? { serverCode: body.code } : {}),
  };
  const message = `${operation}: HTTP ${status}${body.code ? ` ${body.code}` : ''}${said}`;
  if (status === 401) return new Unauthorized(message, details);
  if (status === 403) return new Forbidden(message, details);
  if (status === 404)
    return pathKind === 'library-collection' ? new LibraryNotFound(message, details) : new NotFound(message, details);
  if (status === 429)
    return new RateLimited(message, retryAfterMs(headers.get('retry-after') ?? undefined, now), details);
  if (status >= 500) return new ServerError(message, details);
  return new InvalidRequest(message, details);
}

/** Whatever the shared transport (oauth.ts pinnedFetch) threw → its error. */
export function errorFromTransport(error: unknown, operation: string): WorkApiError {
  if (error instanceof WorkApiError) return error;
  if (error instanceof TransportFailure) {
    const ErrorClass = error.forbidden ? TargetForbidden : Unreachable;
    return new ErrorClass(`${operation}: ${error.message}`, { cause: error });
  }
  if (error instanceof OAuthServerError) return new ServerError(`${operation}: ${error.message}`, { cause: error });
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new Unreachable(`${operation}: no answer in time`, { cause: error });
  }
  return new Unreachable(`${operation}: ${excerpt(String((error as Error)?.message ?? error))}`, { cause: error });
}

/** NRC_INVALID_PROFILE and the like; the length is checked before the pattern sees the text. */
const isServerCode = (code: string): boolean => code.length <= 64 && /^[A-Z][A-Z0-9_]{0,63}$/.test(code);

/** iManage's error body; a code is repeated only when it looks like one (NRC_INVALID_PROFILE). */
function readErrorBody(text: string, sent: readonly string[]): ErrorBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.trim() === '' ? {} : { message: excerpt(text, undefined, sent) };
  }
  const error = (value as { error?: { code?: unknown; code_message?: unknown } } | null)?.error;
  if (typeof error !== 'object' || error === null) return {};
  const code = typeof error.code === 'string' && isServerCode(error.code) ? error.code : undefined;
  const message = typeof error.code_message === 'string' ? excerpt(error.code_message, undefined, sent) : undefined;
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}
