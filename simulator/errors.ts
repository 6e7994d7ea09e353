// Typed errors: the HTTP layer renders each class in its own wire format, so handlers throw and
// never build error bodies themselves.

/** One entry of an iManage error body's `messages` list. */
export interface FieldMessage {
  readonly field: string;
  readonly code: string;
  readonly code_message: string;
}

/**
 * A Work API failure, rendered as iManage's documented body
 * `{"error":{"code","code_message","messages":[…]}}`.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly messages: readonly FieldMessage[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { messages?: readonly FieldMessage[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.messages = options.messages ?? [];
    this.headers = options.headers ?? {};
  }
}

/** An OAuth 2.0 failure, rendered per RFC 6749 §5.2 as `{error, error_description}`. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly status: number;
  readonly error: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, error: string, description: string, headers: Record<string, string> = {}) {
    super(description);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

/** The configuration (YAML file or admin request) is invalid; `path` names the offending field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly path: string;

  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** An admin API request names something that does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}
