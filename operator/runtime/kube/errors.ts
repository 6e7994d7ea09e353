// Every failure of a call to the API server becomes one of these classes, in one place
// (`toApiError` / `toTransportError`), so callers branch on the class or on the Kubernetes
// Status `reason`, never on message text. Messages carry the verb, the path and the server's own
// Status message; never a request body, a header or a token.
//
// `status` and `retryAfterMs` are the duck-typed properties that `operator/runtime/errors.ts`
// `classify`/`retryAfterMsOf` read, so the engine needs no import of this module.

export interface StatusCause {
  readonly field?: string;
  readonly reason?: string;
  readonly message?: string;
}

/** The parts of a `meta/v1 Status` body that decide what a caller does next. */
export interface KubeStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly StatusCause[];
    readonly retryAfterSeconds?: number;
  };
}

export interface ApiErrorOptions {
  /** HTTP status; 0 when no response arrived (network error, timeout). */
  readonly status: number;
  /** Kubernetes Status reason (`NotFound`, `AlreadyExists`, `Expired`, …), or our own for 0. */
  readonly reason: string;
  readonly cause?: unknown;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly reason: string;

  constructor(message: string, options: ApiErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.reason = options.reason;
  }
}

export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}

/** 409: `Conflict` (stale resourceVersion) or `AlreadyExists` (create of an existing name). */
export class ConflictError extends ApiError {
  override name = 'ConflictError';
}

/** 410: the resourceVersion is too old for the watch cache; the caller must relist. */
export class GoneError extends ApiError {
  override name = 'GoneError';
}

/** 403. `verb`, `resource` and `namespace` say which RBAC rule is missing (read by the engine's log). */
export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
  readonly verb: string;
  /** `plural.group` (`secrets`, `leases.coordination.k8s.io`), `/subresource` appended if any. */
  readonly resource: string;
  readonly namespace: string | undefined;

  constructor(message: string, options: ApiErrorOptions & { readonly request: RequestLine }) {
    super(message, options);
    const rule = ruleOf(options.request);
    this.verb = rule.verb;
    this.resource = rule.resource;
    this.namespace = rule.namespace;
  }
}

/**
 * A 401 or 403 answered in the short window after the API server restarted or a watch broke: a
 * freshly started server refuses everyone for about a second, until its RBAC caches are loaded.
 * `transient` tells `classify` (operator/runtime/errors.ts) to retry it like any outage.
 */
export class RecoveringAuthError extends ApiError {
  override name = 'RecoveringAuthError';
  readonly transient = true;
}

/** 422: the object failed validation; `causes` name the offending field paths. */
export class InvalidError extends ApiError {
  override name = 'InvalidError';
  readonly causes: readonly StatusCause[];

  constructor(message: string, options: ApiErrorOptions & { causes: readonly StatusCause[] }) {
    super(message, options);
    this.causes = options.causes;
  }

  /** The `field` of every cause, e.g. `spec.connectionRef.name`. */
  get fieldPaths(): string[] {
    return this.causes.flatMap((cause) => (cause.field ? [cause.field] : []));
  }
}

/** 5xx, 429, network failures and timeouts: retrying later is expected to succeed. */
export class TransientApiError extends ApiError {
  override name = 'TransientApiError';
  /** Server-advised wait (Retry-After header or Status `details.retryAfterSeconds`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: ApiErrorOptions & { retryAfterSeconds?: number }) {
    super(message, options);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Read by `retryAfterMsOf` in `operator/runtime/errors.ts`. */
  get retryAfterMs(): number | undefined {
    return this.retryAfterSeconds === undefined ? undefined : this.retryAfterSeconds * 1000;
  }
}

/** What went wrong on the wire when no HTTP status is available. */
export type TransportFailure = 'Timeout' | 'NetworkError';

/** The request that failed, for the message only. */
export interface RequestLine {
  readonly method: string;
  readonly path: string;
}

/**
 * The one place an HTTP response that is not 2xx becomes a typed error. `body` is the parsed
 * response body if it was JSON (normally a `Status`), else undefined.
 */
export function toApiError(
  request: RequestLine,
  status: number,
  body: unknown,
  retryAfterHeader?: string | readonly string[],
  context: { readonly serverRecovering?: boolean } = {},
): ApiError {
  const kubeStatus = asKubeStatus(body);
  const reason = kubeStatus?.reason || defaultReason(status);
  const message = `${request.method} ${request.path}: ${status} ${reason}${kubeStatus?.message ? `: ${kubeStatus.message}` : ''}`;
  const options = { status, reason };
  if ((status === 401 || status === 403) && context.serverRecovering) return new RecoveringAuthError(message, options);
  if (status === 404) return new NotFoundError(message, options);
  if (status === 409) return new ConflictError(message, options);
  if (status === 410) return new GoneError(message, options);
  if (status === 403) return new ForbiddenError(message, { ...options, request });
  if (status === 422) return new InvalidError(message, { ...options, causes: kubeStatus?.details?.causes ?? [] });
  if (status === 429 || status >= 500) {
    const retryAfterSeconds = retryAfterOf(retryAfterHeader) ?? kubeStatus?.details?.retryAfterSeconds;
    return new TransientApiError(message, { ...options, retryAfterSeconds });
  }
  return new ApiError(message, options);
}

/**
 * The one place a failure without a usable response becomes a typed error. The cause is kept
 * (Node's socket errors carry no request data), so `err.cause.code` shows e.g. ECONNREFUSED.
 */
export function toTransportError(request: RequestLine, failure: TransportFailure, cause?: unknown): TransientApiError {
  const detail = failure === 'Timeout' ? 'timed out' : `network error${codeOf(cause)}`;
  return new TransientApiError(`${request.method} ${request.path}: ${detail}`, { status: 0, reason: failure, cause });
}

/** A 2xx answer that is not the JSON asked for (a proxy's page, a truncated body). Never quotes it. */
export function toResponseFormatError(request: RequestLine, status: number): ApiError {
  return new ApiError(`${request.method} ${request.path}: ${status} answer is not JSON`, {
    status,
    reason: 'InvalidResponse',
  });
}

const verbByMethod: Readonly<Record<string, string>> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  WATCH: 'watch',
};

/**
 * The RBAC verb, resource and namespace of a request path (`/api/v1/namespaces/n/secrets/x`,
 * `/apis/g/v/namespaces/n/plural/x/status`, a cluster-scoped or a collection path).
 */
export function ruleOf(request: RequestLine): { verb: string; resource: string; namespace: string | undefined } {
  const parts = request.path.split('?')[0]!.split('/').filter(Boolean);
  const group = parts[0] === 'apis' ? parts[1] : '';
  let rest = parts.slice(parts[0] === 'apis' ? 3 : 2);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = '', name, subresource] = rest;
  const named = name !== undefined;
  const verb =
    verbByMethod[request.method] ??
    (request.method === 'DELETE' ? (named ? 'delete' : 'deletecollection') : named ? 'get' : 'list');
  const resource = `${plural}${group ? `.${group}` : ''}${subresource ? `/${subresource}` : ''}`;
  return { verb, resource, namespace };
}

function codeOf(cause: unknown): string {
  if (typeof cause !== 'object' || cause === null || !('code' in cause)) return '';
  return typeof cause.code === 'string' ? ` (${cause.code})` : '';
}

function asKubeStatus(body: unknown): KubeStatus | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return (body as { kind?: unknown }).kind === 'Status' ? (body as KubeStatus) : undefined;
}

// The reasons the API server itself would use, for bodies that are not a Status (a proxy's page).
const reasonByStatus: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function defaultReason(status: number): string {
  return reasonByStatus[status] ?? (status >= 500 ? 'InternalError' : 'Unknown');
}

/** Retry-After in seconds; the HTTP-date form is not used by the API server. */
function retryAfterOf(header: string | readonly string[] | undefined): number | undefined {
  const value = typeof header === 'string' ? header : header?.[0];
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Thrown while loading a kubeconfig or in-cluster config; never quotes a credential. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

/** An exec credential plugin failed; the message has its exit status, never its output. */
export class ExecPluginError extends Error {
  override name = 'ExecPluginError';
}
