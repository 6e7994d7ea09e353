import { describe, expect, it } from 'vitest';
import type { ReachabilityResult } from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import { assessReachability, assessRegistration } from './outcomes.ts';

// Whose failure it is decides who backs off: the host (every connection to it waits) or only the
// key of the connection that asked. What one tenant's own inputs cause must never be the host's.
describe('assessReachability', () => {
  const result = (outcome: ReachabilityResult['outcome']): ReachabilityResult => ({ outcome, latencyMs: 1 });

  it.each<[string, ReachabilityResult['outcome'], object]>([
    ['401 from GET /api: iManage is there', { kind: 'Answered', httpStatus: 401 }, { ok: true }],
    [
      'a certificate this connection does not trust',
      { kind: 'TlsFailed', tls: 'UntrustedIssuer', code: 'SELF_SIGNED_CERT_IN_CHAIN' },
      { ok: false, scope: 'key' },
    ],
    ['a 503', { kind: 'Answered', httpStatus: 503 }, { ok: false }],
    [
      'a 429 with Retry-After',
      { kind: 'Answered', httpStatus: 429, retryAfterMs: 5_000 },
      { ok: false, retryAfterMs: 5_000 },
    ],
    ['no connection', { kind: 'ConnectFailed', code: 'ECONNREFUSED' }, { ok: false }],
  ])('%s', (_title, outcome, assessment) => {
    expect(assessReachability(result(outcome))).toEqual(assessment);
  });
});

describe('assessRegistration', () => {
  it.each<[string, RegistrationOutcome, object]>([
    ['registered', { kind: 'Registered', via: 'redirect' }, { ok: true }],
    ['not registered: an answer about this key, not a failure', { kind: 'NotRegistered' }, { ok: true }],
    [
      'a certificate this connection does not trust',
      { kind: 'NotAsked', cause: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
      { ok: false, scope: 'key' },
    ],
    [
      'an unusual 400 to what this connection sent',
      { kind: 'Unrecognised', httpStatus: 400, excerpt: 'bad request' },
      { ok: false, scope: 'key' },
    ],
    ['a 502', { kind: 'Unrecognised', httpStatus: 502, excerpt: 'bad gateway' }, { ok: false }],
    ['no answer', { kind: 'NotAsked', cause: 'ECONNRESET' }, { ok: false }],
    ['a 429', { kind: 'RateLimited', retryAfterMs: 60_000 }, { ok: false, retryAfterMs: 60_000 }],
  ])('%s', (_title, outcome, assessment) => {
    expect(assessRegistration(outcome)).toEqual(assessment);
  });
});
