// Both kinds of refresh-token rotation, at the token store: what each lets a client that lost a
// refresh response (or a second holder of the same token) still do.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { readApplication } from '../config/parse.ts';
import type { RefreshTokenRotation } from '../config/types.ts';
import { TokenStore, type Principal } from './tokens.ts';

const PRINCIPAL: Principal = { customerId: '100', username: 'jsmith', clientId: 'app', scope: 'user' };

function setup(rotation: RefreshTokenRotation) {
  const app = readApplication(
    { clientId: 'app', clientSecret: 's', allowRefreshToken: true, refreshTokenRotation: rotation },
    'app',
  );
  const store = new TokenStore(new ManualClock(Date.UTC(2025, 0, 1)));
  /** One refresh as the token endpoint does it; undefined when the token is refused. */
  const refresh = (token: string): string | undefined => {
    const principal = store.consumeRefreshToken(token, rotation);
    if (!principal) return undefined;
    return store.issue(principal, app, rotation === 'until-new-token-used' ? token : undefined).refresh_token;
  };
  const first = store.issue(PRINCIPAL, app).refresh_token!;
  return { store, refresh, first };
}

describe('refresh token rotation', () => {
  it('revoke-at-once: the presented token stops working as soon as the new one is issued', () => {
    const { refresh, first } = setup('revoke-at-once');
    const second = refresh(first);
    expect(second).toBeDefined();
    expect(refresh(first)).toBeUndefined();
    expect(refresh(second!)).toBeDefined();
  });

  it('until-new-token-used: a lost response can be retried with the old token', () => {
    const { refresh, first } = setup('until-new-token-used');
    const lost = refresh(first);
    const retried = refresh(first);
    expect(lost).toBeDefined();
    expect(retried).toBeDefined();
    expect(retried).not.toBe(lost);
  });

  it('until-new-token-used: the first use of the new token ends the old one and its other successors', () => {
    const { refresh, first } = setup('until-new-token-used');
    const lost = refresh(first)!;
    const kept = refresh(first)!;
    const third = refresh(kept);
    expect(third).toBeDefined();
    expect(refresh(first)).toBeUndefined();
    expect(refresh(lost)).toBeUndefined();
    // The kept token is now the old one of `third`: still valid until `third` is used.
    expect(refresh(kept)).toBeDefined();
  });

  it('refuses an unknown rotation kind naming the field', () => {
    expect(() =>
      readApplication({ clientId: 'a', clientSecret: 's', refreshTokenRotation: 'sometimes' }, 'config.app'),
    ).toThrow(/config\.app\.refreshTokenRotation: must be one of revoke-at-once, until-new-token-used/);
  });

  it('revokes a refresh token by value', () => {
    const { store, refresh, first } = setup('until-new-token-used');
    store.revokeRefreshToken(first);
    expect(refresh(first)).toBeUndefined();
  });
});
