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

  it('tells no one when a reconcile sets the token it already held, and tells of a new one or a new CA', () => {
    const tokens = new AccessTokens();
    const seen: string[] = [];
    tokens.onChange((c) => seen.push(c));
    tokens.trust('ns/a', undefined);
    tokens.set('ns/a', { accessToken: 'x', expiresAt: later(1), customerId: '1' });
    tokens.trust('ns/a', undefined);
    tokens.set('ns/a', { accessToken: 'x', expiresAt: later(1), customerId: '1' });
    expect(seen).toEqual(['ns/a']);
    tokens.set('ns/a', { accessToken: 'y', expiresAt: later(1), customerId: '1' });
    tokens.set('ns/a', { accessToken: 'y', expiresAt: later(2), customerId: '1' });
    tokens.set('ns/a', { accessToken: 'y', expiresAt: later(2), customerId: '2' });
    expect(seen).toHaveLength(4);
    tokens.trust('ns/a', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(seen).toHaveLength(5);
    // A connection's first trust, before it holds a token, tells no one: its token will.
    tokens.trust('ns/b', undefined);
    tokens.trust('ns/b', 'other');
    expect(seen).toHaveLength(5);
  });
});

describe('AccessTokens: the Work API trust its connection read', () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('is unknown until the connection reads it, then what it read, system roots included', () => {
    const tokens = new AccessTokens();
    expect(tokens.trustOf('ns/a')).toBeUndefined();
    tokens.trust('ns/a', PEM);
    tokens.trust('ns/b', undefined);
    expect(tokens.trustOf('ns/a')).toEqual({ ca: PEM });
    expect(tokens.trustOf('ns/b')).toEqual({});
    tokens.trust('ns/a', undefined);
    expect(tokens.trustOf('ns/a')).toEqual({});
  });

  it('holds the bundle each connection read, and forgets it with the connection', () => {
    const tokens = new AccessTokens();
    // Equal strings read from different Secrets (kept as one shared copy inside).
    const copies = ['ns/a', 'ns/b', 'ns/c'].map((c) => [c, `${PEM.slice(0, 10)}${PEM.slice(10)}`] as const);
    for (const [connection, ca] of copies) tokens.trust(connection, ca);
    expect(copies.map(([connection]) => tokens.trustOf(connection)?.ca)).toEqual([PEM, PEM, PEM]);
    tokens.forget('ns/a');
    tokens.forget('ns/b');
    expect(tokens.trustOf('ns/a')).toBeUndefined();
    expect(tokens.trustOf('ns/c')).toEqual({ ca: PEM });
    tokens.trust('ns/c', 'another bundle');
    expect(tokens.trustOf('ns/c')).toEqual({ ca: 'another bundle' });
  });
});
