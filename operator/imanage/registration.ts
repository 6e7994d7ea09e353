// The registration probe: asks iManage's authorize endpoint whether it accepts a redirect URI
// for a client id, without following redirects and without signing anyone in.

import { request } from 'node:https';
import { sharedAgents } from './agents.ts';
import { DnsLookupError, type HostOverrides, type ProbeGuard, ProbeTargetForbiddenError } from './network.ts';
import { retryAfterMs } from './delays.ts';
import { excerpt, oauthErrorCode } from './excerpt.ts';

/**
 * What the authorize endpoint answered, reduced to what the operator can vouch for: iManage's own
 * OAuth error codes, the HTTP status, and at most a sanitised excerpt. Never the client id, never
 * the body as it came.
 */
export type RegistrationOutcome =
  | { readonly kind: 'Registered'; readonly via: 'redirect' | 'sign-in page' }
  | { readonly kind: 'NotRegistered' }
  | { readonly kind: 'InvalidClient' }
  /** Sent back to the redirect URI with `error=`: a refusal; `error` only when it is an OAuth code. */
  | { readonly kind: 'RedirectedWithError'; readonly error?: string }
  | { readonly kind: 'RateLimited'; readonly retryAfterMs?: number }
  | { readonly kind: 'Unrecognised'; readonly httpStatus: number; readonly excerpt: string }
  /** The endpoint could not be asked (DNS, refused, forbidden, TLS, timeout): no more detail for status. */
  | { readonly kind: 'NotAsked'; readonly cause: string }
  /** Not sent: the URI breaks a rule iManage's exact comparison would fail on. */
  | { readonly kind: 'Malformed'; readonly problem: string };

/** Mistakes the seeds warn about, caught before any call: iManage compares URIs exactly. */
export function lintRedirectUri(uri: string): string | undefined {
  if (/\s/.test(uri)) return 'contains whitespace';
  if (!uri.startsWith('https://')) return 'does not start with https://';
  if (uri.endsWith('/')) return "ends with '/'";
  const authority = /^https:\/\/([^/?#]*)/.exec(uri)?.[1] ?? '';
  if (authority !== authority.toLowerCase()) return 'has upper-case letters in its host';
  if (uri.includes('#')) return 'has a fragment';
  return undefined;
}

export interface AuthorizeRequest {
  readonly baseUrl: URL;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly ca?: string;
}

export interface ProbeNetwork {
  readonly overrides: HostOverrides;
  readonly blocked: ProbeGuard;
  readonly timeoutMs: number;
}

function authorizePath(req: AuthorizeRequest): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: req.clientId,
    redirect_uri: req.redirectUri,
    scope: req.scope,
    state: 'imanage-operator-probe',
  });
  return `${req.baseUrl.pathname.replace(/\/$/, '')}/auth/oauth2/authorize?${query}`;
}

/** GET the authorize URL; resolves with the status, Location, Retry-After and the start of the body. */
function fetchAuthorize(
  req: AuthorizeRequest,
  network: ProbeNetwork,
): Promise<{ status: number; location?: string; retryAfter?: string; body: string }> {
  const host = req.baseUrl.hostname;
  const port = Number(req.baseUrl.port || 443);
  return new Promise((resolve, reject) => {
    const http = request(
      {
        host,
        port,
        path: authorizePath(req),
        method: 'GET',
        timeout: network.timeoutMs,
        agent: sharedAgents.agentFor({ host, port, ca: req.ca, overrides: network.overrides, guard: network.blocked }),
        headers: { accept: 'text/html,application/json', 'user-agent': 'imanage-operator-probe' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 16_384) body += chunk;
        });
        res.once('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            ...(res.headers.location ? { location: res.headers.location } : {}),
            ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
          }),
        );
        res.once('error', reject);
      },
    );
    http.once('timeout', () =>
      http.destroy(Object.assign(new Error(`no answer within ${network.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })),
    );
    http.once('error', reject);
    http.end();
  });
}

/** Classifies iManage's answer (see simulator/assumptions.ts for the shape of the failures). */
export function classifyAuthorize(
  res: { status: number; location?: string; retryAfter?: string; body: string },
  redirectUri: string,
  now = new Date(),
): RegistrationOutcome {
  const text = `${res.location ?? ''} ${res.body}`;
  if (/invalid_redirect_uri/.test(text)) return { kind: 'NotRegistered' };
  if (/invalid_client|unauthorized_client/.test(text)) return { kind: 'InvalidClient' };
  // A redirect straight back to the redirect URI carrying an error is a refusal too.
  if (res.location?.startsWith(redirectUri) && /[?&]error=/.test(res.location)) {
    const error = oauthErrorCode(/[?&]error=([^&#]*)/.exec(res.location)?.[1]);
    return { kind: 'RedirectedWithError', ...(error ? { error } : {}) };
  }
  if (res.status === 429) {
    const wait = retryAfterMs(res.retryAfter, now);
    return { kind: 'RateLimited', ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  }
  if (res.status >= 300 && res.status < 400 && res.location) return { kind: 'Registered', via: 'redirect' };
  if (res.status === 200 && /<form|sign.?in|log.?in|password/i.test(res.body))
    return { kind: 'Registered', via: 'sign-in page' };
  return { kind: 'Unrecognised', httpStatus: res.status, excerpt: excerpt(res.body) };
}

export async function probeRegistration(req: AuthorizeRequest, network: ProbeNetwork): Promise<RegistrationOutcome> {
  try {
    return classifyAuthorize(await fetchAuthorize(req, network), req.redirectUri);
  } catch (error) {
    // The agent asks the SSRF guard before it opens a socket; a refusal means nothing was sent.
    if (error instanceof ProbeTargetForbiddenError || error instanceof DnsLookupError)
      return { kind: 'NotAsked', cause: error.name };
    const code = (error as NodeJS.ErrnoException).code;
    return { kind: 'NotAsked', cause: code && /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'failed' };
  }
}
