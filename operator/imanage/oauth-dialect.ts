// iManage's token endpoint as public clients see it, made readable for openid-client. Two
// differences from RFC 6749 would otherwise fail a grant inside openid-client, before our own
// code sees the answer (shared/imanage-api.md, OAuth):
//
// - `token_type`: public clients read access_token, expires_in and refresh_token only; the one
//   public sighting of token_type is a test mock. openid-client refuses a token response without
//   it ("not a valid OAuth response"). The access token is sent as X-Auth-Token whatever the type
//   says, so a missing or empty token_type is filled in as "Bearer" here.
// - error bodies: iManage's own `{"error":{"code",…}}` object and `error` as an array are
//   rewritten into RFC 6749's `{"error","error_description"}` (asRfc6749Error), so that
//   openid-client raises the same ResponseBodyError for every shape and toOAuthError maps a dead
//   refresh token to InvalidGrant in each.
//
// Only the token and revocation endpoints' answers are touched; the body was already read whole
// (pinnedFetch caps it at 1 MiB), so parsing it again costs nothing the server can inflate.

import type * as client from 'openid-client';
import { asRfc6749Error } from './oauth-errors.ts';

/** Wraps the transport of one OAuth client; `endpoints` are the token and revocation URLs. */
export function imanageDialect(inner: client.CustomFetch, endpoints: readonly string[]): client.CustomFetch {
  return async (url, options) => {
    const response = await inner(url, options);
    if (!endpoints.includes(stripQuery(url))) return response;
    if (response.ok) return withTokenType(response);
    if (response.status >= 400 && response.status < 500) return withRfc6749Error(response);
    return response;
  };
}

function stripQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

async function jsonOf(response: Response): Promise<{ text: string; body: unknown } | undefined> {
  const text = await response.clone().text();
  try {
    return { text, body: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

async function withTokenType(response: Response): Promise<Response> {
  const parsed = await jsonOf(response);
  if (!parsed || !isObject(parsed.body) || !('access_token' in parsed.body)) return response;
  if (typeof parsed.body['token_type'] === 'string' && parsed.body['token_type'] !== '') return response;
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  const body = JSON.stringify({ ...parsed.body, token_type: 'Bearer' });
  return new Response(body, { status: response.status, headers });
}

async function withRfc6749Error(response: Response): Promise<Response> {
  const parsed = await jsonOf(response);
  const rewritten = parsed && asRfc6749Error(parsed.body);
  if (!rewritten) return response;
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(rewritten), { status: response.status, headers });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
