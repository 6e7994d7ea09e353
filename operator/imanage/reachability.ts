// The reachability probe: DNS, TCP, TLS (verified chain), then GET /api. It reports what happened
// at which step, as a typed outcome; what that means for the connection, and the words a user
// reads, are the connection controller's decide (controllers/connection/outcomes.ts).
// (createConnection is honoured only when no agent is given: each probe brings its own socket.)

import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { request } from 'node:https';
import { retryAfterMs } from './delays.ts';
import { openSocket, ProxyTunnelError } from './proxy.ts';
import {
  DnsLookupError,
  type HostOverrides,
  type ProbeGuard,
  ProbeTargetForbiddenError,
  resolveTarget,
  tlsIdentity,
  type Verdict,
} from './network.ts';

export type ProbeStep = 'DNS lookup' | 'TCP connect' | 'TLS handshake' | 'GET /api';

/** Why a TLS handshake failed, in the terms of what to do about it. */
export type TlsFailureKind = 'CertificateExpired' | 'HostnameMismatch' | 'UntrustedIssuer' | 'Other';

/** What happened, and nothing the server wrote: no body, no reason phrase. */
export type ReachabilityOutcome =
  | { readonly kind: 'Answered'; readonly httpStatus: number; readonly retryAfterMs?: number }
  | { readonly kind: 'DnsFailed'; readonly code?: string }
  /** The SSRF guard refused the address the name resolved to; no packet was sent. `verdict` is for logs only. */
  /** `literal`: the URL names the address itself, so status may say what it is (see outcomes.ts). */
  | { readonly kind: 'Forbidden'; readonly verdict: Verdict; readonly literal: boolean }
  | { readonly kind: 'ConnectFailed'; readonly code: string }
  | { readonly kind: 'Reset'; readonly step: ProbeStep }
  | { readonly kind: 'TlsFailed'; readonly tls: TlsFailureKind; readonly code: string }
  | { readonly kind: 'Timeout'; readonly step: ProbeStep }
  | { readonly kind: 'RequestFailed'; readonly code: string };

export interface ReachabilityResult {
  readonly outcome: ReachabilityOutcome;
  readonly latencyMs: number;
  /** The address connected to (or refused): for operators' logs, never for status. */
  readonly address?: string;
  /** Known once the TLS handshake passed, even if GET /api then failed. */
  readonly certificateNotAfter?: string;
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
  readonly now: () => Date;
}

class StepTimeout extends Error {
  override readonly name = 'StepTimeout';
  readonly step: ProbeStep;
  constructor(step: ProbeStep) {
    super(step);
    this.step = step;
  }
}

/** A step failed: which one matters as much as how (a reset during TLS is not a TLS error). */
class StepFailure extends Error {
  override readonly name = 'StepFailure';
  readonly step: ProbeStep;
  constructor(step: ProbeStep, cause: unknown) {
    super(step, { cause });
    this.step = step;
  }
}

function withDeadline<T>(step: ProbeStep, deadline: number, work: (done: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const remaining = Math.max(0, deadline - Date.now());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      controller.abort();
      reject(new StepTimeout(step));
    }, remaining);
    work(controller.signal)
      .then(resolve, (error: unknown) => reject(new StepFailure(step, error)))
      .finally(() => clearTimeout(timer));
  });
}

function openTls(socket: Socket, target: ReachabilityTarget, signal: AbortSignal): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      ...tlsIdentity(target.host),
      ...(target.ca ? { ca: target.ca } : {}),
      ALPNProtocols: ['http/1.1'],
    });
    signal.addEventListener('abort', () => tls.destroy(), { once: true });
    tls.once('secureConnect', () => resolve(tls));
    tls.once('error', reject);
  });
}

function getApi(
  tls: TLSSocket,
  target: ReachabilityTarget,
  signal: AbortSignal,
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        path: '/api',
        method: 'GET',
        createConnection: () => tls,
        headers: { accept: 'application/json', 'user-agent': 'imanage-operator-probe' },
      },
      (res) => {
        res.resume();
        res.once('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
          }),
        );
        res.once('error', reject);
      },
    );
    signal.addEventListener('abort', () => req.destroy(), { once: true });
    req.once('error', reject);
    req.end();
  });
}

export async function probeReachability(
  target: ReachabilityTarget,
  options: ReachabilityOptions,
): Promise<ReachabilityResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const elapsed = () => Date.now() - started;
  let address: string | undefined;
  let tls: TLSSocket | undefined;
  // Once TLS succeeded, its certificate is worth reporting even if GET /api then fails.
  let certificateNotAfter: string | undefined;
  try {
    const resolved = await withDeadline('DNS lookup', deadline, () =>
      resolveTarget(target.host, target.port, options.overrides, options.blocked),
    );
    address = resolved.address;
    const socket = await withDeadline('TCP connect', deadline, (s) =>
      openSocket(target.host, target.port, resolved, options.overrides.proxy, s),
    );
    tls = await withDeadline('TLS handshake', deadline, (s) => openTls(socket, target, s));
    certificateNotAfter = new Date(tls.getPeerCertificate().valid_to).toISOString();
    const http = await withDeadline('GET /api', deadline, (s) => getApi(tls!, target, s));
    const wait = http.status === 429 ? retryAfterMs(http.retryAfter, options.now()) : undefined;
    const outcome = {
      kind: 'Answered',
      httpStatus: http.status,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    } as const;
    return { outcome, latencyMs: elapsed(), address, certificateNotAfter };
  } catch (error) {
    return {
      outcome: failure(error),
      latencyMs: elapsed(),
      ...(address ? { address } : {}),
      ...(certificateNotAfter ? { certificateNotAfter } : {}),
    };
  } finally {
    tls?.destroy();
  }
}

function failure(error: unknown): ReachabilityOutcome {
  if (error instanceof StepTimeout) return { kind: 'Timeout', step: error.step };
  const step = error instanceof StepFailure ? error.step : 'GET /api';
  const cause = error instanceof StepFailure ? error.cause : error;
  if (cause instanceof ProbeTargetForbiddenError)
    return { kind: 'Forbidden', verdict: cause.verdict, literal: cause.literal };
  if (cause instanceof DnsLookupError) return { kind: 'DnsFailed', ...(cause.code ? { code: cause.code } : {}) };
  // Through an egress proxy the TCP step is the tunnel: a proxy's refusal is a connect failure.
  if (cause instanceof ProxyTunnelError)
    return { kind: 'ConnectFailed', code: `PROXY_${cause.httpStatus ?? 'FAILED'}` };
  const code = (cause as NodeJS.ErrnoException).code ?? 'failed';
  if (step === 'TCP connect') return { kind: 'ConnectFailed', code };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { kind: 'Reset', step };
  if (step === 'TLS handshake') return { kind: 'TlsFailed', tls: tlsFailureKind(code), code: errorCode(code) };
  return { kind: 'RequestFailed', code: errorCode(code) };
}

/** Node's error codes are upper-case identifiers; anything else is not repeated. */
function errorCode(code: string): string {
  return /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'failed';
}

/** Whether a Node error code says the peer's certificate did not verify against the trust given. */
export function isCertificateRejection(code: string): boolean {
  // Codes are Node's and OpenSSL's, a few dozen characters; the bound keeps the pattern's input short.
  return code.length <= 64 && tlsFailureKind(code) !== 'Other';
}

function tlsFailureKind(code: string): TlsFailureKind {
  if (code === 'CERT_HAS_EXPIRED') return 'CertificateExpired';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'HostnameMismatch';
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/.test(code)) return 'UntrustedIssuer';
  return 'Other';
}
