// What a handler answers, before it is written to the socket. Handlers return values instead of
// writing to the response so the dispatcher can log the status and apply faults in one place.
import type { TokenErrorShape } from '../config/types.ts';
import type { ApiError, OAuthError } from '../errors.ts';

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

export function html(status: number, page: string): Reply {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page };
}

export function redirect(location: string): Reply {
  return { status: 302, headers: { location, 'cache-control': 'no-store' }, body: '' };
}

/** iManage's documented error body (iManCloudCore types/error.go). */
export function apiErrorReply(err: ApiError): Reply {
  const body = { error: { code: err.code, code_message: err.message, messages: err.messages } };
  return json(err.status, body, { ...err.headers });
}

/**
 * RFC 6749 §5.2, or the host's token-error shape (assumption: token-error-shape); an HTML page
 * when a browser is asking (assumption: invalid-redirect-uri-shape).
 */
export function oauthErrorReply(err: OAuthError, preferHtml: boolean, shape: TokenErrorShape = 'rfc6749'): Reply {
  if (preferHtml) {
    return html(
      err.status,
      page('Sign-in failed', `<p><code>${escapeHtml(err.error)}</code></p><p>${escapeHtml(err.message)}</p>`),
    );
  }
  // RFC 6749 §5.1: token responses and their errors must not be cached.
  return json(err.status, oauthErrorBody(err, shape), { 'cache-control': 'no-store', ...err.headers });
}

function oauthErrorBody(err: OAuthError, shape: TokenErrorShape): unknown {
  // iManage's own codes are upper case (NRC_INVALID_PROFILE); which code it gives here is not public.
  const imanage = { code: err.error.toUpperCase(), code_message: err.message, messages: [] };
  switch (shape) {
    case 'rfc6749':
      return { error: err.error, error_description: err.message };
    case 'imanage':
      return { error: imanage };
    case 'array':
      return { error: [{ code: err.error, code_message: err.message }] };
  }
}

export function page(title: string, content: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1>${content}</body></html>`
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
