// The registration probe: asks iManage's authorize endpoint whether it accepts a redirect URI
// for a client id, without following redirects and without signing anyone in.

import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { type Destination, type HostOverrides, type ProbeGuard, resolveTarget, tlsIdentity } from './network.ts';
import { retryAfterMs } from './reachability.ts';

export type RegistrationAnswer = 'Registered' | 'NotRegistered' | 'InvalidClient' | 'Unknown';

export interface RegistrationResult {
  readonly answer: RegistrationAnswer;
  /** For Unknown: what came back, so an SRE can tell a proxy's error page from iManage. */
  readonly detail: string;
  readonly httpStatus?: number;
  /** From a 429's Retry-After, in milliseconds. */
  readonly retryAfterMs?: number;
}

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
  const query = new URLSearchParams({ response_type: 'code', client_id: req.clientId, redirect_uri: req.redirectUri, scope: req.scope, state: 'imanage-operator-probe' });
  return `${req.baseUrl.pathname.replace(/\/$/, '')}/auth/oauth2/authorize?${query}`;
}

/** GET the authorize URL; resolves with the status, Location, Retry-After and the start of the body. */
function fetchAuthorize(req: AuthorizeRequest, network: ProbeNetwork, to: Destination): Promise<{ status: number; location?: string; retryAfter?: string; body: string }> {
  const host = req.baseUrl.hostname;
  const port = Number(req.baseUrl.port || 443);
  return new Promise((resolve, reject) => {
    const http = request({
      host, port, path: authorizePath(req), method: 'GET', timeout: network.timeoutMs,
      createConnection: () => tlsConnect({ host: to.address, port: to.port, ...tlsIdentity(host), ...(req.ca ? { ca: req.ca } : {}) }),
      headers: { accept: 'text/html,application/json', 'user-agent': 'imanage-operator-probe' },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 16_384) body += chunk; });
      res.once('end', () => resolve({
        status: res.statusCode ?? 0, body,
        ...(res.headers.location ? { location: res.headers.location } : {}),
        ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
      }));
      res.once('error', reject);
    });
    http.once('timeout', () => http.destroy(new Error(`no answer within ${network.timeoutMs / 1000} s`)));
    http.once('error', reject);
    http.end();
  });
}

/** Classifies iManage's answer (see simulator/assumptions.ts for the shape of the failures). */
export function classifyAuthorize(res: { status: number; location?: string; body: string }, redirectUri: string): RegistrationResult {
  const text = `${res.location ?? ''} ${res.body}`;
  if (/invalid_redirect_uri/.test(text)) return { answer: 'NotRegistered', detail: 'invalid_redirect_uri', httpStatus: res.status };
  if (/invalid_client|unauthorized_client/.test(text)) return { answer: 'InvalidClient', detail: 'invalid_client', httpStatus: res.status };
  // A redirect straight back to the redirect URI carrying an error is a refusal too.
  if (res.location?.startsWith(redirectUri) && /[?&]error=/.test(res.location)) {
    return { answer: 'Unknown', detail: `redirected back with ${/[?&]error=([^&]*)/.exec(res.location)?.[1]}`, httpStatus: res.status };
  }
  if (res.status >= 300 && res.status < 400 && res.location) return { answer: 'Registered', detail: 'redirected to sign-in', httpStatus: res.status };
  if (res.status === 200 && /<form|sign.?in|log.?in|password/i.test(res.body)) return { answer: 'Registered', detail: 'the sign-in page', httpStatus: res.status };
  return { answer: 'Unknown', detail: `HTTP ${res.status}${res.body ? `: ${res.body.replace(/\s+/g, ' ').slice(0, 160)}` : ''}`, httpStatus: res.status };
}

export async function probeRegistration(req: AuthorizeRequest, network: ProbeNetwork): Promise<RegistrationResult> {
  const port = Number(req.baseUrl.port || 443);
  try {
    const to = await resolveTarget(req.baseUrl.hostname, port, network.overrides, network.blocked);
    const res = await fetchAuthorize(req, network, to);
    const wait = res.status === 429 ? retryAfterMs(res.retryAfter, new Date()) : undefined;
    return { ...classifyAuthorize(res, req.redirectUri), ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  } catch (error) {
    return { answer: 'Unknown', detail: `the authorize endpoint could not be asked: ${(error as Error).message}` };
  }
}
