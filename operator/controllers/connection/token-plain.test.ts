// Unencrypted tokens (issue 18, finding 14) are no longer a silent default: the condition says why
// they matter and how to encrypt them, and with --require-token-encryption a connection without
// spec.tokens.encryption stalls with a reason that says what to set. The Event and the pass that
// reads and writes nothing are the token code's (operator/tokens/plain.test.ts).
import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import { decideConnection } from './decide.ts';
import type { ObservedConnection, TokenObservation } from './observed.ts';

const now = new Date('2026-11-23T12:00:00Z');
const connection = mergePatch(baseConnection(), {
  metadata: { uid: 'uid-acme', generation: 1 },
  spec: { environments: null, auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } } },
});
const probed: ObservedConnection = {
  credentials: { name: 'svc', found: true, keys: ['username', 'password'] },
  reachability: {
    value: { outcome: { kind: 'Answered', httpStatus: 401 }, latencyMs: 5, address: '203.0.113.7' },
    checkedAt: now,
    nextAt: new Date('2026-11-23T12:04:00Z'),
  },
};
const payload = {
  access_token: 'a',
  token_type: 'Bearer',
  obtained_at: now.toISOString(),
  access_token_expires_at: '2026-11-23T12:29:00.000Z',
};
const plain: TokenObservation = { secretName: 'acme-tokens', encrypted: false, grant: 'Password', payload };

function tokensReady(t: TokenObservation) {
  const d = decideConnection(connection, { ...probed, tokens: t }, now);
  return Object.fromEntries(d.conditions.set.map((c) => [c.type, c]));
}

describe('tokens stored unencrypted', () => {
  it('TokensReady says why it matters and how to encrypt them', () => {
    const ready = tokensReady(plain)['TokensReady'];
    expect(ready).toMatchObject({ status: 'True', reason: 'Linked' });
    expect(ready?.message).toMatch(/not encrypted, plain\/v1: whoever may read Secrets in this namespace/);
    expect(ready?.message).toMatch(/set spec\.tokens\.encryption/);
  });

});

describe('--require-token-encryption', () => {

  it('stalls with TokenEncryptionRequired on spec.tokens.encryption, saying what to set', () => {
    const failure = { kind: 'EncryptionRequired', detail: 'no token unencrypted' } as const;
    const conditions = tokensReady({ secretName: 'acme-tokens', encrypted: false, grant: 'Password', failure });
    expect(conditions['Ready']).toMatchObject({ status: 'False', reason: 'TokenEncryptionRequired' });
    expect(conditions['Stalled']).toMatchObject({ status: 'True', reason: 'TokenEncryptionRequired' });
    expect(conditions['TokensReady']?.message).toMatch(/--require-token-encryption .* set spec\.tokens\.encryption/);
  });
});
