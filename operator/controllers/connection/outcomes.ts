// What a probe's outcome means: for the probe cache, whether the host should be backed off; for
// status, the reason and the words a user reads. The probes in imanage/ report only what happened.
//
// What a namespace user may learn from status about an address is limited to what they could
// find out themselves: a name that does not resolve is reported (a typo is the usual cause), but a
// connection the SSRF guard refused, one that was refused, and one that timed out while connecting
// read the same — "cannot connect" — so that status is no port scanner for the cluster's network.
// The difference is logged at debug for operators (probes.ts). The one exception is an address the
// user wrote as an IP literal (https://169.254.169.254): status tells nothing they do not know by
// saying that the operator does not probe that class of address, and "check firewalls" would send
// them to the wrong place (AddressNotProbed, issue 18, finding 18).

import { refusalWords, type Verdict } from '../../imanage/network.ts';
import type { Assessment } from '../../imanage/probe-cache.ts';
import {
  isCertificateRejection,
  type ReachabilityOutcome,
  type ReachabilityResult,
  type TlsFailureKind,
} from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import type { Endpoint } from '../../api/connection.ts';

export type ReachabilityReason =
  | 'Reachable'
  | 'CertificateExpiring'
  | 'DnsFailed'
  | 'ConnectFailed'
  | 'TlsFailed'
  | 'HttpError'
  | 'Timeout'
  | 'RateLimited'
  | 'AddressNotProbed';

export interface ReachabilityVerdict {
  /** The server answered over verified TLS (an expiring certificate still counts). */
  readonly reachable: boolean;
  readonly reason: ReachabilityReason;
  readonly message: string;
  /** A failure that goes away by itself (an outage, a timeout, a 5xx, a 429): retried, not stalled. */
  readonly retried: boolean;
}

/**
 * Whether a failure needs a human. A certificate that does not verify, or an answer that is not
 * iManage's (a 404, a redirect), will not change by waiting; everything else that can fail on the
 * way (DNS, connect, timeouts, resets, 5xx, 429) is retried with the host's backoff.
 */
function retriedByItself(outcome: ReachabilityOutcome): boolean {
  if (outcome.kind === 'TlsFailed') return false;
  if (outcome.kind === 'Forbidden' && outcome.literal) return false; // only an admin's flag or a new URL helps
  if (outcome.kind === 'Answered') return outcome.httpStatus === 429 || outcome.httpStatus >= 500;
  return true;
}

/** GET /api without a token answers 401: the endpoint exists, so iManage is there. */
function answeredLikeIManage(status: number): boolean {
  return status !== 0 && status !== 404 && status !== 429 && (status < 300 || status >= 400) && status < 500;
}

/**
 * A certificate that does not verify is judged against the CA this connection brings (its key
 * holds the CA's fingerprint), so it says nothing certain about the host: that key alone backs
 * off, and another tenant's connection to the host, with the right CA, keeps its interval.
 */
export function assessReachability(result: ReachabilityResult): Assessment {
  const { outcome } = result;
  if (outcome.kind === 'TlsFailed') return { ok: false, scope: 'key' };
  if (outcome.kind !== 'Answered') return { ok: false };
  return {
    ok: answeredLikeIManage(outcome.httpStatus),
    ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
  };
}

/**
 * As for reachability, a certificate that did not verify against this connection's CA backs off
 * its key alone; so does an answer below 500 that is not iManage's usual one, which may come of
 * the client id and redirect URI this connection sent. The host backs off for a 429, a 5xx, or no
 * answer.
 */
export function assessRegistration(outcome: RegistrationOutcome): Assessment {
  if (outcome.kind === 'NotAsked' && isCertificateRejection(outcome.cause)) return { ok: false, scope: 'key' };
  if (outcome.kind === 'Unrecognised' && outcome.httpStatus < 500) return { ok: false, scope: 'key' };
  if (outcome.kind === 'RateLimited')
    return { ok: false, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) };
  return { ok: outcome.kind !== 'NotAsked' && outcome.kind !== 'Unrecognised' };
}

const TLS_HINTS: Readonly<Record<TlsFailureKind, string>> = {
  CertificateExpired: 'the server certificate has expired; iManage (or your on-premise administrator) must renew it',
  HostnameMismatch: 'the certificate is for another host name; check the URL, or a proxy that intercepts TLS',
  UntrustedIssuer:
    'the certificate is not signed by a trusted CA; for a private CA, reference its bundle in spec.caBundleSecretRef',
  Other: 'check the server certificate and any proxy that intercepts TLS',
};

export interface VerdictContext {
  readonly endpoint: Endpoint;
  readonly timeoutMs: number;
  readonly now: Date;
  readonly expiryWarningDays: number;
}

export function reachabilityVerdict(result: ReachabilityResult, context: VerdictContext): ReachabilityVerdict {
  const { outcome } = result;
  const retried = retriedByItself(outcome);
  if (outcome.kind === 'Answered') return { ...answered(outcome, result.certificateNotAfter, context), retried };
  return { reachable: false, ...failed(outcome, context), retried };
}

function answered(
  outcome: Extract<ReachabilityOutcome, { kind: 'Answered' }>,
  notAfter: string | undefined,
  c: VerdictContext,
): Omit<ReachabilityVerdict, 'retried'> {
  const { hostPort, field } = c.endpoint;
  const status = outcome.httpStatus;
  if (status === 429) {
    const wait =
      outcome.retryAfterMs === undefined
        ? ''
        : `; the next probe waits ${Math.ceil(outcome.retryAfterMs / 1000)} s as Retry-After asks`;
    return { reachable: false, reason: 'RateLimited', message: `${hostPort} rate-limited the probe (HTTP 429)${wait}` };
  }
  if (!answeredLikeIManage(status)) {
    const advice =
      status >= 500
        ? 'iManage reports a server error, check its status page or contact iManage support'
        : `this does not look like an iManage Work API, check ${field} and the port`;
    return {
      reachable: false,
      reason: 'HttpError',
      message: `GET https://${hostPort}/api answered HTTP ${status}; ${advice}`,
    };
  }
  const daysLeft = notAfter
    ? Math.floor((Date.parse(notAfter) - c.now.getTime()) / 86_400_000)
    : Number.POSITIVE_INFINITY;
  if (daysLeft < c.expiryWarningDays) {
    return {
      reachable: true,
      reason: 'CertificateExpiring',
      message: `${hostPort} answers, but its TLS certificate expires in ${daysLeft} days (${notAfter}); renew it before clients start failing`,
    };
  }
  // No latency here: it changes on every probe, and status changes only when the outcome does.
  return { reachable: true, reason: 'Reachable', message: `${hostPort} answers GET /api over verified TLS` };
}

type Failure = Exclude<ReachabilityOutcome, { kind: 'Answered' }>;

function failed(outcome: Failure, c: VerdictContext): Omit<ReachabilityVerdict, 'reachable' | 'retried'> {
  const { hostPort, hostname, field } = c.endpoint;
  switch (outcome.kind) {
    case 'DnsFailed':
      return {
        reason: 'DnsFailed',
        message: `cannot resolve ${hostname} (${outcome.code ?? 'lookup failed'}); check ${field} for typos (and the vanity subdomain), and that the cluster's DNS can resolve public names`,
      };
    case 'Forbidden':
      return outcome.literal ? notProbed(c.endpoint, outcome.verdict) : cannotConnect(c.endpoint);
    case 'ConnectFailed':
      return cannotConnect(c.endpoint);
    case 'Timeout':
      if (outcome.step === 'TCP connect') return cannotConnect(c.endpoint);
      return {
        reason: 'Timeout',
        message: `no answer from ${hostPort} within ${c.timeoutMs / 1000} s (at ${outcome.step}); check firewalls and proxies between the cluster and iManage, or raise spec.probes.timeout if the server is slow`,
      };
    case 'Reset':
      return {
        reason: 'ConnectFailed',
        message: `${hostPort} reset the connection during ${outcome.step}; a firewall, proxy or IP allow-list may be cutting the cluster's traffic`,
      };
    case 'TlsFailed':
      return {
        reason: 'TlsFailed',
        message: `TLS with ${hostPort} failed (${outcome.code}): ${TLS_HINTS[outcome.tls].replace('the URL', field)}`,
      };
    case 'RequestFailed':
      return {
        reason: 'HttpError',
        message: `GET /api on ${hostPort} failed (${outcome.code}); check ${field} and any proxy in between`,
      };
  }
}

/** An IP literal the guard refuses: what the user wrote is the problem, and who can change the rule. */
function notProbed(
  { hostname, field }: Endpoint,
  verdict: Verdict,
): Omit<ReachabilityVerdict, 'reachable' | 'retried'> {
  const open =
    verdict.category === 'private'
      ? `an administrator can open it by running the operator with --allow-probe-cidr and a range holding ` +
        `${verdict.judged} (for example ${verdict.judged}/32), or use the server's host name in ${field}`
      : `use the iManage server's host name or a routable address in ${field}; no flag opens this range`;
  return {
    reason: 'AddressNotProbed',
    message: `${field} names ${hostname}, ${refusalWords(verdict)}: the operator does not probe this class of address; ${open}`,
  };
}

/** One wording for refused, forbidden and unanswered connects: see the header. */
function cannotConnect({ hostPort, field }: Endpoint): Omit<ReachabilityVerdict, 'reachable' | 'retried'> {
  return {
    reason: 'ConnectFailed',
    message: `cannot connect to ${hostPort}; check the host and port in ${field}, firewalls, and that iManage's IP allow-list admits the cluster's egress address`,
  };
}
