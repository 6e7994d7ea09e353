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

describe('the line of derivations', () => {
  /** A derivation that ends when the test says, recording the order in which they start. */
  function gate(started: string[], name: string) {
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    return { derive: () => (started.push(name), ended), end };
  }

  it("takes each owner's derivations in turn: one tenant's many do not hold back another's one", async () => {
    const { DerivationLine } = await import('./derivations.ts');
    const line = new DerivationLine();
    const started: string[] = [];
    const many = ['a1', 'a2', 'a3', 'a4'].map((name) => gate(started, name));
    const one = gate(started, 'b1');
    const runs = many.map((g) => line.run('team-a', g.derive));
    runs.push(line.run('team-b', one.derive));
    expect(started).toEqual([]); // started on a later tick, one at a time
    for (const g of [many[0]!, one, many[1]!, many[2]!, many[3]!]) {
      await vi.waitFor(() => expect(started.length).toBeGreaterThan(0));
      g.end();
      await Promise.resolve();
    }
    await Promise.all(runs);
    expect(started).toEqual(['a1', 'b1', 'a2', 'a3', 'a4']);
  });

  it('refuses an owner more than its share of waiting derivations, and takes them again once some have run', async () => {
    const { DerivationLine, DerivationLineFull } = await import('./derivations.ts');
    const line = new DerivationLine(2);
    const started: string[] = [];
    const first = gate(started, 'running');
    const running = line.run('team-a', first.derive);
    await vi.waitFor(() => expect(started).toEqual(['running']));
    const waiting = [line.run('team-a', async () => 'w1'), line.run('team-a', async () => 'w2')];
    await expect(line.run('team-a', async () => 'w3')).rejects.toBeInstanceOf(DerivationLineFull);
    expect(line.waiting('team-a')).toBe(2);
    // Another owner is not affected by team-a's full line.
    const other = line.run('team-b', async () => 'b1');
    first.end();
    await running;
    expect(await Promise.all([...waiting, other])).toEqual(['w1', 'w2', 'b1']);
    expect(await line.run('team-a', async () => 'again')).toBe('again');
  });
});
