// Issue 18, finding 5: key derivations (PBKDF2, 210,000 rounds) must not fill libuv's threadpool,
// which dns.lookup shares. Counted here is how many derivations run at once while three
// connections' key material is derived together: WebCrypto's deriveBits (jose's PBES2) and
// node:crypto's pbkdf2 (the fingerprint), each wrapped to count. Times are bench/derivations-dns.ts's.
import { afterEach, describe, expect, it, vi } from 'vitest';

const { inFlight } = vi.hoisted(() => ({ inFlight: { now: 0, most: 0 } }));
const counted = async <T>(run: () => Promise<T>): Promise<T> => {
  inFlight.most = Math.max(inFlight.most, ++inFlight.now);
  try {
    return await run();
  } finally {
    inFlight.now--;
  }
};

vi.mock('node:crypto', async (original) => {
  const crypto = await original<typeof import('node:crypto')>();
  const pbkdf2 = ((...args: Parameters<typeof crypto.pbkdf2>) => {
    const done = args[args.length - 1] as (error: Error | null, key: Buffer) => void;
    inFlight.most = Math.max(inFlight.most, ++inFlight.now);
    (crypto.pbkdf2 as (...a: unknown[]) => void)(...args.slice(0, -1), (error: Error | null, key: Buffer) => {
      inFlight.now--;
      done(error, key);
    });
  }) as typeof crypto.pbkdf2;
  return { ...crypto, pbkdf2, default: { ...crypto, pbkdf2 } };
});

const { Keyrings } = await import('./envelope.ts');
const { readCertificateKey } = await import('./keys.ts');
const { PASSPHRASE, OTHER_PASSPHRASE, tlsSecretData } = await import('./testdata/fixtures.ts');

const subtle = globalThis.crypto.subtle;
const deriveBits = subtle.deriveBits.bind(subtle);
afterEach(() => vi.restoreAllMocks());

describe('key derivations', () => {
  it('run one at a time, however many connections need one at once', async () => {
    // Only PBKDF2: ECDH-ES (the EC certificate's layer) is a deriveBits too, and a cheap one.
    vi.spyOn(subtle, 'deriveBits').mockImplementation((...args) => {
      const pbkdf2 = (args[0] as { name?: string }).name === 'PBKDF2';
      return pbkdf2 ? counted(() => deriveBits(...args)) : deriveBits(...args);
    });
    const payload = { access_token: 'a', token_type: 'bearer', obtained_at: '2026-01-01T00:00:00.000Z' };
    const materials = [
      [readCertificateKey(tlsSecretData('rsa')), PASSPHRASE],
      [readCertificateKey(tlsSecretData('ec')), PASSPHRASE],
      [readCertificateKey(tlsSecretData('rsa')), OTHER_PASSPHRASE],
    ] as const;
    await Promise.all(materials.map(([key, passphrase]) => new Keyrings().seal(payload, key, passphrase)));
    expect(inFlight.most).toBe(1);
    expect(inFlight.now).toBe(0);
  });
});
