// What each token outcome means for health (the README's Argo CD and Flux table): which reasons
// stall (Stalled=True, a human acts), which are retried (Reconciling=True ProgressingWithRetry),
// which keep Ready=True; and the words of the outcomes a reader could misread.
import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import { decideConnection } from './decide.ts';
import type { ObservedConnection, TokenObservation } from './observed.ts';

const now = new Date('2026-11-23T12:00:00Z');
const at = new Date('2026-11-23T11:59:00Z');
const connection = mergePatch(baseConnection(), {
  metadata: { generation: 2 },
  spec: { environments: null, auth: { grant: 'AuthorizationCode', credentialsSecretRef: { name: 'seed' } } },
});
const probed: ObservedConnection = {
  credentials: { name: 'seed', found: true, keys: ['refreshToken'] },
  reachability: {
    value: { outcome: { kind: 'Answered', httpStatus: 401 }, latencyMs: 5, address: '203.0.113.7' },
    checkedAt: at,
    nextAt: new Date('2026-11-23T12:04:00Z'),
  },
};
const payload = (refreshEnds = '2027-06-01T00:00:00.000Z') => ({
  access_token: 'a',
  token_type: 'Bearer',
  refresh_token: 'r',
  obtained_at: at.toISOString(),
  access_token_expires_at: '2026-11-23T12:29:00.000Z',
  refresh_token_expires_at: refreshEnds,
});
const discovery = { customerId: '100', userId: 'JSMITH', libraries: ['ACTIVE_US'] };
const tokens = (t: Partial<TokenObservation>): TokenObservation => ({
  secretName: 'acme-tokens',
  encrypted: true,
  grant: 'AuthorizationCode',
  ...t,
});
const signIn = {
  url: 'https://acme.cloudimanage.com/auth/oauth2/authorize?state=s',
  expiresAt: now,
  secretName: 'acme-sign-in',
};

function decide(t: TokenObservation) {
  const d = decideConnection(connection, { ...probed, tokens: t }, now);
  const byType = Object.fromEntries(d.conditions.set.map((c) => [c.type, c]));
  return { d, byType };
}

describe('token outcomes and health', () => {
  it.each([
    ['NotLinked', tokens({ notLinked: { signIn } }), 'stalled'],
    ['GrantNotSupported', tokens({ failure: { kind: 'GrantNotSupported', detail: 'unauthorized_client' } }), 'stalled'],
    ['InvalidCredentials', tokens({ failure: { kind: 'InvalidCredentials', detail: 'invalid_grant' } }), 'stalled'],
    [
      'EncryptionKeyChanged',
      tokens({ failure: { kind: 'EncryptionKeyChanged', detail: 'another passphrase' } }),
      'stalled',
    ],
    ['EncryptionKeyChanged', tokens({ failure: { kind: 'EncryptionRemoved', detail: 'removed' } }), 'stalled'],
    ['TokenSecretNotOwned', tokens({ failure: { kind: 'NotOwned', detail: "Secret 'a-tokens' …" } }), 'stalled'],
    ['RefreshTokenRevoked', tokens({ failure: { kind: 'RefreshTokenRevoked', detail: 'invalid_grant' } }), 'stalled'],
    ['RefreshFailed', tokens({ failure: { kind: 'Transient', detail: 'HTTP 503' } }), 'retrying'],
    ['AccessTokenExpiresAtOnce', tokens({ failure: { kind: 'ExpiresAtOnce', detail: '0 s' } }), 'retrying'],
    [
      'ApiUnavailable',
      tokens({ payload: payload(), discoveryError: { detail: 'HTTP 502', retryable: true, failure: 'ServerError' } }),
      'retrying',
    ],
    [
      'ApiAccessDenied',
      tokens({ payload: payload(), discoveryError: { detail: 'HTTP 403', retryable: false, failure: 'Forbidden' } }),
      'stalled',
    ],
  ] as const)('%s: Ready=False, %s', (reason, observed, kind) => {
    const { byType } = decide(observed);
    expect(byType['Ready']).toMatchObject({ status: 'False', reason });
    if (kind === 'stalled') expect(byType['Stalled']).toMatchObject({ status: 'True', reason });
    else expect(byType['Reconciling']).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
  });

  it('RefreshTokenExpiring warns in TokensReady and keeps Ready=True', () => {
    const { byType } = decide(tokens({ payload: payload('2026-12-10T00:00:00.000Z'), discovery }));
    expect(byType['TokensReady']).toMatchObject({ status: 'True', reason: 'RefreshTokenExpiring' });
    expect(byType['Ready']).toMatchObject({ status: 'True', reason: 'Connected' });
  });

  it('a removed spec.tokens.encryption says what happened and what to do, not that a key changed', () => {
    const { byType } = decide(tokens({ encrypted: false, failure: { kind: 'EncryptionRemoved', detail: 'removed' } }));
    const message = byType['TokensReady']?.message ?? '';
    expect(message).toMatch(/spec\.tokens\.encryption was removed, so the operator cannot read them/);
    expect(message).toMatch(/Put spec\.tokens\.encryption back as it was .* or, to store tokens unencrypted/);
    expect(message).not.toMatch(/certificate key/);
  });

  it('a refused seed names the Secret it came from, not the token Secret', () => {
    const failure = { kind: 'RefreshTokenRevoked', detail: 'invalid_grant', seed: true } as const;
    const message = decide(tokens({ failure })).byType['TokensReady']?.message ?? '';
    expect(message).toMatch(/^iManage refused the refresh token in Secret 'seed' key refreshToken \(invalid_grant\)/);
    expect(message).toMatch(/run imanage-operator link acme, or put a new refresh token in that Secret$/);
  });

  it('GET /api failing after the token is obtained is reported on the field it asked, with the Work API words', () => {
    const forbidden = { detail: 'GET /api at acme: HTTP 403', retryable: false, failure: 'Forbidden' } as const;
    const { d, byType } = decide(tokens({ payload: payload(), discoveryError: forbidden }));
    expect(byType['TokensReady']).toMatchObject({ status: 'True', reason: 'Linked' });
    expect(d.failure).toMatchObject({ reason: 'ApiAccessDenied', fieldPath: 'spec.url' });
    expect(byType['Ready']?.message).toMatch(/may not use the Work API: allow it in iManage, or link another account$/);
  });

  it('a relink asked for keeps the account Linked and Ready, and shows the new sign-in URL beside it', () => {
    const { d, byType } = decide(tokens({ payload: payload(), discovery, relinkSignIn: signIn }));
    expect(byType['TokensReady']).toMatchObject({ status: 'True', reason: 'Linked' });
    expect(byType['TokensReady']?.message).toMatch(/link acme --relink\): the account stays linked until it succeeds/);
    expect(byType['Ready']).toMatchObject({ status: 'True' });
    expect(d.status?.tokens).toMatchObject({ signInSecret: 'acme-sign-in', account: 'JSMITH' });
    expect(JSON.stringify(d.status)).not.toContain(signIn.url); // status is shown to every reader: never the URL
  });
});
