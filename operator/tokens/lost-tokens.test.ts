import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../api/validation/fixtures.ts';
import { isSensitiveKey } from '../runtime/log.ts';
import { lostTokenLine } from './lost-tokens.ts';
import type { TokenObservation } from './observation.ts';

const tokens = (failure?: TokenObservation['failure']): TokenObservation => ({
  secretName: 'acme-tokens',
  encrypted: true,
  grant: 'AuthorizationCode',
  ...(failure ? { failure } : {}),
});
const withTokensReady = (reason: string) =>
  mergePatch(baseConnection(), {
    status: { conditions: [{ type: 'TokensReady', status: reason === 'Linked' ? 'True' : 'False', reason }] },
  });
const revoked = { kind: 'RefreshTokenRevoked', detail: 'invalid_grant', grant: 'refresh_token' } as const;

describe('lostTokenLine', () => {
  it('names the connection and its Secret, never a token, when a stored refresh token is refused', () => {
    const line = lostTokenLine(withTokensReady('Linked'), tokens(revoked));
    const fields = { connection: 'default/acme', secretName: 'acme-tokens', reason: 'RefreshTokenRevoked' };
    expect(line?.fields).toEqual(fields);
    // The log's redaction would blank a field it takes for a credential: these are names.
    expect(Object.keys(fields).filter(isSensitiveKey)).toEqual([]);
    expect(line?.message).toMatch(/^token lost: .* linked again/);
  });

  it.each([
    ['status already says so (logged once per loss)', withTokensReady('RefreshTokenRevoked'), tokens(revoked)],
    ['a refused seed, which the operator never held', withTokensReady('NotLinked'), tokens({ ...revoked, seed: true })],
    ['another failure', withTokensReady('Linked'), tokens({ kind: 'Transient', detail: 'HTTP 503' })],
    ['no failure', withTokensReady('Linked'), tokens()],
  ])('says nothing when %s', (_, connection, observed) => {
    expect(lostTokenLine(connection, observed)).toBeUndefined();
  });
});
