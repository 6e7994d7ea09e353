// What can go wrong when the operator asks iManage's OAuth endpoints, as a few typed errors made
// in one place (toOAuthError), so that callers branch on the class, never on message text.
// openid-client (over oauth4webapi) reports a failure in one of several shapes: an RFC 6749 §5.2
// error body (ResponseBodyError), a 401 with WWW-Authenticate, a non-conforming response whose
// cause is the Response (iManage's own `{"error":{"code",…}}` body on 429 and 5xx), or a failed
// fetch. Each becomes one class below. Messages carry the server's error code and a masked
// excerpt of its description (excerpt.ts), never a request parameter: a token, secret or
// password cannot end up in a log through them.
//
// iManage's token endpoint may answer an error in any of three shapes (shared/imanage-api.md):
// RFC 6749's `{"error":"invalid_grant"}` (no public source shows it), iManage's own object
// `{"error":{"code","code_message","messages"}}` (the public Go client parses every error so), or
// `error` as an array (the public PHP client handles it). openid-client knows only the first, so
// asRfc6749Error rewrites the other two into it before openid-client reads the answer
// (oauth-dialect.ts), and every shape of a dead refresh token ends as InvalidGrant.

import { AuthorizationResponseError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { retryAfterMs } from './delays.ts';
import { excerpt, oauthErrorCode } from './excerpt.ts';
import { causes, type ErrorDetails, errorKind, IManageError } from './typed-errors.ts';

/**
 * The longest a Retry-After from the token endpoint is honoured: 10 minutes. A longer (or
 * absurd) value is cut to this, so a misbehaving server cannot park a connection's refresh past
 * the access token's lifetime (30 minutes of inactivity by default at iManage).
 */
export const MAX_OAUTH_RETRY_AFTER_MS = 600_000;

/** The OAuth error kinds, one per class below. */
export type OAuthFailure =
  | 'InvalidGrant'
  | 'InvalidClient'
  | 'GrantNotSupported'
  | 'InvalidRequest'
  | 'RateLimited'
  | 'ServerError'
  | 'Unreachable'
  | 'TargetForbidden'
  | 'AuthorizationDenied'
  | 'StateMismatch';

type Details = ErrorDetails;

export abstract class IManageOAuthError extends IManageError<OAuthFailure> {}

const kind = <F extends OAuthFailure>(failure: F, retryable: boolean) =>
  errorKind(IManageOAuthError, failure, retryable);

/** The grant was refused: wrong password, a used or expired code, a revoked or expired refresh token. */
export const InvalidGrant = kind('InvalidGrant', false);
export type InvalidGrant = InstanceType<typeof InvalidGrant>;

/** Unknown client id or wrong client secret. */
export const InvalidClient = kind('InvalidClient', false);
export type InvalidClient = InstanceType<typeof InvalidClient>;

/** The server or this application does not allow the grant (e.g. client credentials, refresh tokens). */
export const GrantNotSupported = kind('GrantNotSupported', false);
export type GrantNotSupported = InstanceType<typeof GrantNotSupported>;

/** Any other refusal of the request as sent (invalid_request, invalid_scope, an unknown error code). */
export const InvalidRequest = kind('InvalidRequest', false);
export type InvalidRequest = InstanceType<typeof InvalidRequest>;

export class RateLimited extends IManageOAuthError {
  override readonly name = 'RateLimited';
  readonly failure = 'RateLimited';
  readonly retryable = true;
  /** Retry-After, at most MAX_OAUTH_RETRY_AFTER_MS; undefined when the server gave none. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, retryAfter: number | undefined, details: Details = {}) {
    super(message, details);
    this.retryAfterMs = retryAfter === undefined ? undefined : Math.min(retryAfter, MAX_OAUTH_RETRY_AFTER_MS);
  }
}

/** 5xx, or an answer that is not a conforming token response. */
export const ServerError = kind('ServerError', true);
export type ServerError = InstanceType<typeof ServerError>;

/** No answer: DNS, connection, TLS or timeout. */
export const Unreachable = kind('Unreachable', true);
export type Unreachable = InstanceType<typeof Unreachable>;

/** The host resolves to an address the SSRF guard refuses (link-local, loopback, cluster services). */
export const TargetForbidden = kind('TargetForbidden', false);
export type TargetForbidden = InstanceType<typeof TargetForbidden>;

/** The authorization response carried an error (the user declined, or iManage refused). */
export const AuthorizationDenied = kind('AuthorizationDenied', false);
export type AuthorizationDenied = InstanceType<typeof AuthorizationDenied>;

/** The callback's state is not the one this authorization was started with: never exchange its code. */
export const StateMismatch = kind('StateMismatch', false);
export type StateMismatch = InstanceType<typeof StateMismatch>;

/** A failed fetch, as the OAuth client's transport reports it (before openid-client wraps it). */
export class TransportFailure extends Error {
  override readonly name = 'TransportFailure';
  /** The SSRF guard refused the address: not a network problem, a configuration one. */
  readonly forbidden: boolean;

  constructor(message: string, forbidden: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.forbidden = forbidden;
  }
}

/** RFC 6749 §5.2 codes → the error they mean. */
const BY_OAUTH_CODE: Readonly<Record<string, new (message: string, details: Details) => IManageOAuthError>> = {
  invalid_grant: InvalidGrant,
  invalid_client: InvalidClient,
  unauthorized_client: GrantNotSupported,
  unsupported_grant_type: GrantNotSupported,
  temporarily_unavailable: ServerError,
  server_error: ServerError,
};

/** The longest server code kept (RFC 6749 codes are short; iManage's look like NRC_INVALID_PROFILE). */
const MAX_CODE_LENGTH = 40;

/**
 * An error code as the table above knows it: lower case, words joined by `_`, so that iManage's
 * upper-case style (INVALID_GRANT) and camel case (invalidGrant) name the same error. The code is
 * cut before any regex reads it.
 */
export function normalizedOAuthCode(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_CODE_LENGTH) return undefined;
  const snake = raw
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s.-]+/g, '_')
    .toLowerCase();
  return oauthErrorCode(snake);
}

/** An RFC 6749 §5.2 error body: what openid-client can read. */
export interface Rfc6749Error {
  readonly error: string;
  readonly error_description?: string;
}

/**
 * iManage's object or array shape of a token-endpoint error as an RFC 6749 body; undefined when
 * the body is already one (`error` a string) or names no code at all. The first recognised code
 * wins: the object's `code`, then each of its `messages[].code` (a server may put the OAuth code
 * there and a generic one on top); failing that, the object's own code as it is.
 */
export function asRfc6749Error(body: unknown): Rfc6749Error | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'string' || error === undefined || error === null) return undefined;
  const entries = (Array.isArray(error) ? error.slice(0, 8) : [error]).flatMap(errorEntries);
  const chosen = entries.find((e) => BY_OAUTH_CODE[e.code] !== undefined) ?? entries[0];
  if (!chosen) return undefined;
  return { error: chosen.code, ...(chosen.description ? { error_description: chosen.description } : {}) };
}

interface ErrorEntry {
  readonly code: string;
  readonly description?: string;
}

/** One array item or object: a bare code string, or {code, code_message, messages[]}. */
function errorEntries(item: unknown): ErrorEntry[] {
  const code = normalizedOAuthCode(item);
  if (code) return [{ code }];
  if (typeof item !== 'object' || item === null) return [];
  const o = item as Record<string, unknown>;
  const description = typeof o['code_message'] === 'string' ? o['code_message'].slice(0, 500) : undefined;
  const own = normalizedOAuthCode(o['code']);
  const messages = Array.isArray(o['messages']) ? o['messages'].slice(0, 8) : [];
  const nested = messages.flatMap((m) => {
    const c = normalizedOAuthCode((m as { code?: unknown } | null)?.code);
    return c ? [{ code: c, ...(description ? { description } : {}) }] : [];
  });
  const first = own ? [{ code: own, ...(description ? { description } : {}) }] : [];
  const recognised = [...first, ...nested].filter((e) => BY_OAUTH_CODE[e.code] !== undefined);
  return [...recognised, ...first];
}

/**
 * Turns whatever openid-client threw for `operation` (e.g. "the password grant at
 * acme.cloudimanage.com") into one IManageOAuthError. `sent` are the secret values the request
 * carried (client secret, password, refresh token, code): masked wherever the server echoes them.
 */
export function toOAuthError(
  error: unknown,
  operation: string,
  now: Date = new Date(),
  sent: readonly string[] = [],
): IManageOAuthError {
  const ours = findCause(error, IManageOAuthError);
  if (ours) return ours;
  if (error instanceof ResponseBodyError) return fromOAuthBody(error, operation, now, sent);
  if (error instanceof AuthorizationResponseError) {
    const code = oauthErrorCode(error.error);
    const details = { ...(code ? { serverCode: code } : {}), cause: error };
    return new AuthorizationDenied(`${operation}: iManage answered ${code ?? 'an unrecognised error'}`, details);
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    const details = { httpStatus: error.status, cause: error };
    if (error.status === 401) return new InvalidClient(`${operation}: the client id or secret was refused`, details);
    const byStatus = fromStatus(error.response, operation, now);
    return byStatus ?? new InvalidRequest(`${operation}: HTTP ${error.status}`, details);
  }
  const transport = findCause(error, TransportFailure);
  if (transport) {
    const message = `${operation}: ${transport.message}`;
    const ErrorClass = transport.forbidden ? TargetForbidden : Unreachable;
    return new ErrorClass(message, { cause: error });
  }
  if (findTimeout(error)) return new Unreachable(`${operation}: no answer in time`, { cause: error });
  const response = findResponse(error);
  if (response) return fromStatus(response, operation, now) ?? unexpected(response.status, operation, error);
  return new ServerError(`${operation}: the answer was not a valid OAuth response`, { cause: error });
}

function fromOAuthBody(error: ResponseBodyError, operation: string, now: Date, sent: readonly string[]): IManageOAuthError {
  const code = normalizedOAuthCode(error.error);
  const described = error.error_description ? ` (${excerpt(error.error_description, undefined, sent)})` : '';
  const message = `${operation} was refused: ${code ?? 'an unrecognised error'}${described}`;
  const details = { ...(code ? { serverCode: code } : {}), httpStatus: error.status, cause: error };
  if (error.status === 429) return new RateLimited(message, retryAfterMs(retryAfterOf(error.response), now), details);
  const ErrorClass = (code && BY_OAUTH_CODE[code]) || byStatus(error.status);
  return new ErrorClass(message, details);
}

/** An unrecognised code: 401 is still the client (RFC 6749 §5.2), 5xx the server. */
function byStatus(status: number): new (message: string, details: Details) => IManageOAuthError {
  if (status === 401) return InvalidClient;
  return status >= 500 ? ServerError : InvalidRequest;
}

/** 429 and 5xx, whatever their body; undefined for any other status. */
function fromStatus(response: Response, operation: string, now: Date): IManageOAuthError | undefined {
  const details = { httpStatus: response.status };
  if (response.status === 429) {
    const wait = retryAfterMs(retryAfterOf(response), now);
    return new RateLimited(`${operation}: rate-limited (HTTP 429)`, wait, details);
  }
  if (response.status >= 500) {
    return new ServerError(`${operation}: the server failed (HTTP ${response.status})`, details);
  }
  return undefined;
}

function unexpected(status: number, operation: string, cause: unknown): IManageOAuthError {
  if (status === 401) return new InvalidClient(`${operation}: HTTP 401`, { httpStatus: status, cause });
  return new InvalidRequest(`${operation}: unexpected HTTP ${status}`, { httpStatus: status, cause });
}

function retryAfterOf(response: Response | undefined): string | undefined {
  return response?.headers.get('retry-after') ?? undefined;
}

function findCause<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (const c of causes(error)) if (c instanceof type) return c;
  return undefined;
}

function findTimeout(error: unknown): boolean {
  for (const c of causes(error)) {
    if (c instanceof DOMException && (c.name === 'TimeoutError' || c.name === 'AbortError')) return true;
  }
  return false;
}

function findResponse(error: unknown): Response | undefined {
  return findCause(error, Response);
}
