import { describe, expect, it } from 'vitest';
import { AccessTokens, NoAccessToken } from './access.ts';

const now = new Date('2026-11-29T12:00:00Z');
const later = (s: number) => new Date(now.getTime() + s * 1000);

describe('AccessTokens', () => {
  it('gives the token held for a connection until it expires', () => {
    const tokens = new AccessTokens();
    tokens.set('ns/acme', { accessToken: 'a1', expiresAt: later(60) });
    expect(tokens.get('ns/acme', now).accessToken).toBe('a1');
    expect(() => tokens.get('ns/acme', later(60))).toThrow(NoAccessToken);
  });

  it.each([
    ['never obtained', () => new AccessTokens(), 'NotYetObtained'],
    [
      'expired',
      () => {
        const t = new AccessTokens();
        t.set('ns/acme', { accessToken: 'a1', expiresAt: now });
        return t;
      },
      'Expired',
    ],
  ] as const)('says why there is none: %s', (_title, make, reason) => {
    try {
      make().get('ns/acme', now);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NoAccessToken);
      expect((error as NoAccessToken).reason).toBe(reason);
      expect((error as Error).message).not.toContain('a1');
    }
  });

  it('tells listeners which connection changed, and forgets', () => {
    const tokens = new AccessTokens();
    const seen: string[] = [];
    const stop = tokens.onChange((c) => seen.push(c));
    tokens.set('ns/a', { accessToken: 'x', expiresAt: later(1) });
    tokens.forget('ns/a');
    tokens.forget('ns/a');
    stop();
    tokens.set('ns/b', { accessToken: 'y', expiresAt: later(1) });
    expect(seen).toEqual(['ns/a', 'ns/a']);
    expect(tokens.size).toBe(1);
  });
});
