// After a restart a repository waits, without a status write, for its connection's first
// reconcile in this process to load the token, but only for a while (awaitingTokenLoad).
import { describe, expect, it } from 'vitest';
import { baseConnection } from '../../api/validation/fixtures.ts';
import { AccessTokens } from '../../tokens/access.ts';
import { awaitingTokenLoad, TOKEN_LOAD_GRACE_MS } from './controller.ts';
import type { ObservedRepository } from './observed.ts';

const connection = { ...baseConnection('acme'), metadata: { namespace: 'legal', name: 'acme' } };
const noToken = (reason: 'NotYetObtained' | 'Expired'): ObservedRepository => ({
  connection,
  resolution: { kind: 'NoAccessToken', reason, message: 'no access token for IManageConnection legal/acme yet' },
});

describe('awaitingTokenLoad', () => {
  it('waits while this process has not reconciled the connection, within the grace', () => {
    expect(awaitingTokenLoad(noToken('NotYetObtained'), new AccessTokens(), connection, 1_000)).toBe(true);
  });

  it('reports the missing token once the grace is over: the connection may never be reconciled here', () => {
    expect(awaitingTokenLoad(noToken('NotYetObtained'), new AccessTokens(), connection, TOKEN_LOAD_GRACE_MS)).toBe(
      false,
    );
  });

  it('reports it at once when the connection was reconciled here and still holds none', () => {
    const tokens = new AccessTokens();
    tokens.trust('legal/acme', undefined);
    expect(awaitingTokenLoad(noToken('NotYetObtained'), tokens, connection, 1_000)).toBe(false);
  });

  it('reports an expired token at once', () => {
    expect(awaitingTokenLoad(noToken('Expired'), new AccessTokens(), connection, 1_000)).toBe(false);
  });

  it('does not wait when a resolution was observed', () => {
    const observed: ObservedRepository = { connection, resolution: { kind: 'NoTarget', missing: 'library' } };
    expect(awaitingTokenLoad(observed, new AccessTokens(), connection, 1_000)).toBe(false);
  });
});
