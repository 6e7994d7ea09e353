// (createConnection is honoured only when no agent is given: each probe brings its own socket.)
// The reachability probe: DNS, TCP, TLS (verified chain, days to expiry), then GET /api. Each
// failing step has a reason of its own and a message that says what to check, in the spirit
// of the vendors' troubleshooting pages (firewall, IP allow-list, URL, port).

import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { request } from 'node:https';
import { DnsLookupError, type HostOverrides, type ProbeGuard, ProbeTargetForbiddenError, resolveTarget, tlsIdentity } from './network.ts';

export type ReachabilityReason =
  | 'Reachable' | 'CertificateExpiring' | 'DnsFailed' | 'TargetForbidden' | 'ConnectFailed'
  | 'TlsFailed' | 'HttpError' | 'Timeout' | 'RateLimited';

export interface ReachabilityResult {
  /** The server answered over verified TLS (an expiring certificate still counts). */
  readonly reachable: boolean;
  readonly reason: ReachabilityReason;
  readonly message: string;
  readonly latencyMs: number;
  readonly address?: string;
  readonly certificateNotAfter?: string;
  readonly certificateDaysLeft?: number;
  readonly httpStatus?: number;
  /** From a 429's Retry-After, in milliseconds. */
  readonly retryAfterMs?: number;
}

export interface ReachabilityTarget {
  readonly host: string;
  readonly port: number;
  /** PEM bundle to trust instead of the system's roots (caBundleSecretRef). */
  readonly ca?: string;
}

export interface ReachabilityOptions {
  readonly timeoutMs: number;
  readonly overrides: HostOverrides;
  readonly blocked: ProbeGuard;
  /** Certificates expiring sooner are reported as CertificateExpiring. */
  readonly expiryWarningDays: number;
  readonly now: () => Date;
}

class StepTimeout extends Error {
  override readonly name = 'StepTimeout';
  readonly step: string;
  constructor(step: string) {
    super(step);
    this.step = step;
  }
}

/** A step failed: which one matters as much as how (a reset during TLS is not a TLS error). */
class StepFailure extends Error {
  override readonly name = 'StepFailure';
  readonly step: Step;
  constructor(step: Step, cause: unknown) {
    super(step, { cause });
    this.step = step;
  }
}

type Step = 'DNS lookup' | 'TCP connect' | 'TLS handshake' | 'GET /api';

function withDeadline<T>(step: Step, deadline: number, work: (done: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const remaining = Math.max(0, deadline - Date.now());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      controller.abort();
      reject(new StepTimeout(step));
    }, remaining);
    work(controller.signal).then(resolve, (error: unknown) => reject(new StepFailure(step, error))).finally(() => clearTimeout(timer));
  });
}

function openTcp(address: string, port: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: address, port });
    signal.addEventListener('abort', () => socket.destroy(), { once: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function openTls(socket: Socket, target: ReachabilityTarget, signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({ socket, ...tlsIdentity(target.host), ...(target.ca ? { ca: target.ca } : {}), ALPNProtocols: ['http/1.1'] });
    signal.addEventListener('abort', () => tls.destroy(), { once: true });
    tls.once('secureConnect', () => resolve(tls));
    tls.once('error', reject);
  });
}

function getApi(tls: TLSSocket, target: ReachabilityTarget, signal: AbortSignal): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: target.host, port: target.port, path: '/api', method: 'GET',
      createConnection: () => tls, headers: { accept: 'application/json', 'user-agent': 'imanage-operator-probe' },
    }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) }));
      res.once('error', reject);
    });
    signal.addEventListener('abort', () => req.destroy(), { once: true });
    req.once('error', reject);
    req.end();
  });
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

export async function probeReachability(target: ReachabilityTarget, options: ReachabilityOptions): Promise<ReachabilityResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const hostPort = `${target.host}:${target.port}`;
  const elapsed = () => Date.now() - started;
  let address: string | undefined;
  let tls: TLSSocket | undefined;
  // Once TLS succeeded, its certificate is worth reporting even if GET /api then fails.
  let certificate: { certificateNotAfter: string; certificateDaysLeft: number } | undefined;
  try {
    const resolved = await withDeadline('DNS lookup', deadline, () => resolveTarget(target.host, target.port, options.overrides, options.blocked));
    address = resolved.address;
    const socket = await withDeadline('TCP connect', deadline, (s) => openTcp(resolved.address, resolved.port, s));
    tls = await withDeadline('TLS handshake', deadline, (s) => openTls(socket, target, s));
    const notAfter = new Date(tls.getPeerCertificate().valid_to);
    const daysLeft = Math.floor((notAfter.getTime() - options.now().getTime()) / 86_400_000);
    certificate = { certificateNotAfter: notAfter.toISOString(), certificateDaysLeft: daysLeft };
    const http = await withDeadline('GET /api', deadline, (s) => getApi(tls!, target, s));
    const base = { latencyMs: elapsed(), address, ...certificate, httpStatus: http.status };
    return classifyHttp(http, base, hostPort, options, daysLeft);
  } catch (error) {
    return { reachable: false, latencyMs: elapsed(), ...(address ? { address } : {}), ...certificate, ...failure(error, hostPort, address, options.timeoutMs) };
  } finally {
    tls?.destroy();
  }
}

type Base = Omit<ReachabilityResult, 'reachable' | 'reason' | 'message'>;

function classifyHttp(http: { status: number; retryAfter?: string }, base: Base, hostPort: string, options: ReachabilityOptions, daysLeft: number): ReachabilityResult {
  if (http.status === 429) {
    const wait = retryAfterMs(http.retryAfter, options.now());
    return { ...base, reachable: false, reason: 'RateLimited', ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      message: `${hostPort} rate-limited the probe (HTTP 429)${wait !== undefined ? `; the next probe waits ${Math.ceil(wait / 1000)} s as Retry-After asks` : ''}` };
  }
  // Without a token, GET /api answers 401: the endpoint exists, so iManage is there.
  if (http.status >= 500 || http.status === 404 || (http.status >= 300 && http.status < 400) || http.status === 0) {
    return { ...base, reachable: false, reason: 'HttpError',
      message: `GET https://${hostPort}/api answered HTTP ${http.status}; ${http.status >= 500 ? 'iManage reports a server error, check its status page or contact iManage support' : 'this does not look like an iManage Work API, check spec.url (or spec.apiUrl) and the port'}` };
  }
  if (daysLeft < options.expiryWarningDays) {
    return { ...base, reachable: true, reason: 'CertificateExpiring',
      message: `${hostPort} answers, but its TLS certificate expires in ${daysLeft} days (${base.certificateNotAfter}); renew it before clients start failing` };
  }
  return { ...base, reachable: true, reason: 'Reachable', message: `${hostPort} answered GET /api in ${base.latencyMs} ms over verified TLS` };
}

function failure(error: unknown, hostPort: string, address: string | undefined, timeoutMs: number): { reason: ReachabilityReason; message: string } {
  const at = address ? `${hostPort} (${address})` : hostPort;
  if (error instanceof StepTimeout) {
    return { reason: 'Timeout', message: `no answer from ${at} within ${timeoutMs / 1000} s (at ${error.step}); check firewalls and proxies between the cluster and iManage, or raise spec.probes.timeout if the server is slow` };
  }
  const step = error instanceof StepFailure ? error.step : 'GET /api';
  const cause = error instanceof StepFailure ? error.cause : error;
  if (cause instanceof ProbeTargetForbiddenError) return { reason: 'TargetForbidden', message: `${cause.message}; check spec.url` };
  if (cause instanceof DnsLookupError) {
    return { reason: 'DnsFailed', message: `${cause.message}; check spec.url for typos (and the vanity subdomain), and that the cluster's DNS can resolve public names` };
  }
  const code = (cause as NodeJS.ErrnoException).code ?? '';
  if (step === 'TCP connect') {
    return { reason: 'ConnectFailed', message: `cannot open a TCP connection to ${at} (${code || 'failed'}); check the port in spec.url, firewalls, and that iManage's IP allow-list admits the cluster's egress address` };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return { reason: 'ConnectFailed', message: `${at} reset the connection during ${step}; a firewall, proxy or IP allow-list may be cutting the cluster's traffic` };
  }
  if (step === 'TLS handshake') return { reason: 'TlsFailed', message: `TLS with ${at} failed (${code || (cause as Error).message}): ${tlsHint(code)}` };
  return { reason: 'HttpError', message: `GET /api on ${at} failed (${code || (cause as Error).message}); check spec.url and any proxy in between` };
}

function tlsHint(code: string): string {
  if (code === 'CERT_HAS_EXPIRED') return 'the server certificate has expired; iManage (or your on-premise administrator) must renew it';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'the certificate is for another host name; check spec.url, or a proxy that intercepts TLS';
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/.test(code)) return 'the certificate is not signed by a trusted CA; for a private CA, reference its bundle in spec.caBundleSecretRef';
  return 'check the server certificate and any proxy that intercepts TLS';
}
