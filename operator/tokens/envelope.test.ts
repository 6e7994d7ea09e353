// The token envelope: round trips with RSA and EC certificate keys, neither key alone opens it,
// a changed passphrase or key is reported (never overwritten), a renewed certificate with the
// same key is no change, rotation re-encrypts, and the key derivation runs once per process.
import { PASSPHRASE_TOO_SHORT } from '../api/validation/index.ts';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  EncryptionKeyChanged,
  hasPassphraseVerifier,
  Keyrings,
  TokensUnreadable,
  type SealedTokens,
  type TokenPayload,
} from './envelope.ts';
import { EncryptionKeyError, readCertificateKey, PBKDF2_ITERATIONS } from './keys.ts';
import { OTHER_PASSPHRASE, PASSPHRASE, tlsSecretData } from './testdata/fixtures.ts';

const PAYLOAD: TokenPayload = {
  access_token: 'canary-access-token-5b1e',
  refresh_token: 'canary-refresh-token-0f7d',
  token_type: 'bearer',
  scope: 'user',
  access_token_expires_at: '2026-01-01T00:30:00.000Z',
  obtained_at: '2026-01-01T00:00:00.000Z',
};

const rsa = readCertificateKey(tlsSecretData('rsa'));
const ec = readCertificateKey(tlsSecretData('ec'));

describe('seal and open', () => {
  it.each([
    ['RSA', rsa, 'RSA-OAEP-256'],
    ['EC P-256', ec, 'ECDH-ES+A256KW'],
  ])('round-trips with an %s certificate key, as a nested JWE', async (_name, key, alg) => {
    const keyrings = new Keyrings();
    const sealed = await keyrings.seal(PAYLOAD, key, PASSPHRASE);
    const outerHeader = decodeProtectedHeader(sealed.tokens);
    expect(outerHeader).toMatchObject({ alg, enc: 'A256GCM', cty: 'JOSE', kid: key.spkiSha256 });
    expect(decodeProtectedHeader(sealed.key)).toMatchObject({ alg: 'PBES2-HS512+A256KW', p2c: PBKDF2_ITERATIONS });
    expect(`${sealed.tokens}${sealed.key}${sealed.fingerprint}`).not.toContain('canary');
    expect(await new Keyrings().open(sealed, key, PASSPHRASE)).toEqual(PAYLOAD);
  });

  it('cannot be read with the certificate key alone: the inner layer needs the passphrase', async () => {
    const sealed = await new Keyrings().seal(PAYLOAD, rsa, PASSPHRASE);
    const outer = await compactDecrypt(sealed.tokens, rsa.privateKey);
    const inner = new TextDecoder().decode(outer.plaintext);
    expect(decodeProtectedHeader(inner)).toMatchObject({ alg: 'A256KW' });
    expect(inner).not.toContain('canary');
    await expect(
      compactDecrypt(sealed.key, new TextEncoder().encode(OTHER_PASSPHRASE), { maxPBES2Count: 1e6 }),
    ).rejects.toThrow();
  });

  it('cannot be read with the passphrase alone: the outer layer needs the certificate key', async () => {
    const sealed = await new Keyrings().seal(PAYLOAD, rsa, PASSPHRASE);
    await expect(compactDecrypt(sealed.tokens, readCertificateKey(tlsSecretData('ec')).privateKey)).rejects.toThrow();
  });

  it('derives the passphrase key once per process, whatever the number of tokens', async () => {
    const keyrings = new Keyrings();
    const sealed = await keyrings.seal(PAYLOAD, ec, PASSPHRASE);
    const many = await Promise.all(Array.from({ length: 20 }, () => keyrings.seal(PAYLOAD, ec, PASSPHRASE)));
    // Sealed with the same wrapped key: one PBKDF2 run served all 21.
    expect(new Set(many.map((s) => s.key))).toEqual(new Set([sealed.key]));
    const reader = new Keyrings();
    const opened = await Promise.all(many.map((s) => reader.open(s, ec, PASSPHRASE)));
    expect(opened).toEqual(many.map(() => PAYLOAD));
  });

  it('refuses a tampered ciphertext as TokensUnreadable', async () => {
    const sealed = await new Keyrings().seal(PAYLOAD, ec, PASSPHRASE);
    const parts = sealed.tokens.split('.');
    parts[3] = `${parts[3]!.slice(0, -2)}AA`;
    const tampered: SealedTokens = { ...sealed, tokens: parts.join('.') };
    await expect(new Keyrings().open(tampered, ec, PASSPHRASE)).rejects.toBeInstanceOf(TokensUnreadable);
  });
});

describe('the keyring caches', () => {
  it('hold at most maxKeyrings materials: the least recently used is derived again, the rest kept', async () => {
    const third = randomBytes(96).toString('base64url');
    const keyrings = new Keyrings({ maxKeyrings: 2 });
    const first = await keyrings.seal(PAYLOAD, ec, PASSPHRASE);
    const second = await keyrings.seal(PAYLOAD, ec, OTHER_PASSPHRASE);
    // A use makes the first material the most recent one, so the third pushes out the second.
    expect((await keyrings.seal(PAYLOAD, ec, PASSPHRASE)).key).toBe(first.key);
    await keyrings.seal(PAYLOAD, ec, third);
    expect((await keyrings.seal(PAYLOAD, ec, PASSPHRASE)).key).toBe(first.key);
    // Derived again: a new random content key, wrapped anew. What it sealed before still opens.
    const again = await keyrings.seal(PAYLOAD, ec, OTHER_PASSPHRASE);
    expect(again.key).not.toBe(second.key);
    expect(await keyrings.open(second, ec, OTHER_PASSPHRASE)).toEqual(PAYLOAD);
  });
});

describe('fingerprint', () => {
  it('stays the same when the certificate is renewed with the same key', async () => {
    const keyrings = new Keyrings();
    const renewed = readCertificateKey(tlsSecretData('rsa-renewed'));
    expect(await keyrings.fingerprint(renewed, PASSPHRASE)).toBe(await keyrings.fingerprint(rsa, PASSPHRASE));
    const sealed = await keyrings.seal(PAYLOAD, rsa, PASSPHRASE);
    expect(await new Keyrings().open(sealed, renewed, PASSPHRASE)).toEqual(PAYLOAD);
  });

  it('tests no passphrase guess: the certificate key and a random key id, never derived from the passphrase', async () => {
    const first = await new Keyrings().seal(PAYLOAD, rsa, PASSPHRASE);
    const second = await new Keyrings().seal(PAYLOAD, rsa, PASSPHRASE);
    expect(first.fingerprint.split('.')[0]).toBe(rsa.spkiSha256);
    expect(first.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}\.k[A-Za-z0-9_-]{22}$/);
    // The same key material in two processes: two key ids, so nothing in it is a function of the passphrase.
    expect(first.fingerprint).not.toBe(second.fingerprint);
    expect(hasPassphraseVerifier(first)).toBe(false);
  });

  it('a key-fingerprint annotation naming another key id than key.jwe holds is TokensUnreadable', async () => {
    const sealed = await new Keyrings().seal(PAYLOAD, rsa, PASSPHRASE);
    const other = `${rsa.spkiSha256}.k${randomBytes(16).toString('base64url')}`;
    await expect(new Keyrings().open({ ...sealed, fingerprint: other }, rsa, PASSPHRASE)).rejects.toBeInstanceOf(
      TokensUnreadable,
    );
  });

  it.each([
    ['passphrase', rsa, OTHER_PASSPHRASE],
    ['certificate key', ec, PASSPHRASE],
    ['certificate key', ec, OTHER_PASSPHRASE],
  ] as const)('a changed %s is EncryptionKeyChanged, saying how to rotate', async (changed, key, passphrase) => {
    const sealed = await new Keyrings().seal(PAYLOAD, rsa, PASSPHRASE);
    const error = await new Keyrings().open(sealed, key, passphrase).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncryptionKeyChanged);
    expect(error).toMatchObject({ changed });
    expect((error as Error).message).toMatch(changed === 'passphrase' ? /previousPassphraseSecretRef/ : /certificate/);
  });
});

/** A Secret as the earlier format wrote it: a PBKDF2 verifier in the fingerprint, no key id in key.jwe. */
async function legacySeal(payload: TokenPayload, key: typeof rsa, passphrase: string): Promise<SealedTokens> {
  const salt = `imanage-operator/v1/verifier:${key.spkiSha256}`;
  const verifier = pbkdf2Sync(passphrase, salt, PBKDF2_ITERATIONS, 16, 'sha512').toString('base64url');
  const fingerprint = `${key.spkiSha256}.${verifier}`;
  const contentKey = randomBytes(32);
  const jwk = JSON.stringify({ kty: 'oct', k: contentKey.toString('base64url'), alg: 'A256KW' });
  const encode = (text: string) => new TextEncoder().encode(text);
  const wrapped = await new CompactEncrypt(encode(jwk))
    .setProtectedHeader({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', cty: 'jwk+json', kid: fingerprint })
    .setKeyManagementParameters({ p2c: PBKDF2_ITERATIONS })
    .encrypt(encode(passphrase));
  const inner = await new CompactEncrypt(encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM', kid: fingerprint })
    .encrypt(contentKey);
  const tokens = await new CompactEncrypt(encode(inner))
    .setProtectedHeader({ alg: key.algorithm, enc: 'A256GCM', cty: 'JOSE', kid: key.spkiSha256 })
    .encrypt(key.publicKey);
  return { tokens, key: wrapped, fingerprint };
}

describe('Secrets of the earlier format (a passphrase verifier in the fingerprint)', () => {
  it('still open, are recognised for rewriting, and a wrong passphrase is still EncryptionKeyChanged', async () => {
    const legacy = await legacySeal(PAYLOAD, rsa, PASSPHRASE);
    expect(hasPassphraseVerifier(legacy)).toBe(true);
    const keyrings = new Keyrings();
    expect(await keyrings.open(legacy, rsa, PASSPHRASE)).toEqual(PAYLOAD);
    await expect(new Keyrings().open(legacy, rsa, OTHER_PASSPHRASE)).rejects.toMatchObject({ changed: 'passphrase' });
    // Rewritten under a key id: the verifier is gone.
    const rewritten = await keyrings.seal(PAYLOAD, rsa, PASSPHRASE);
    expect(hasPassphraseVerifier(rewritten)).toBe(false);
    expect(rewritten.fingerprint).not.toContain(legacy.fingerprint.split('.')[1]!);
  });
});

describe('rotation', () => {
  it('re-encrypts under a new passphrase when the previous one is supplied', async () => {
    const keyrings = new Keyrings();
    const sealed = await keyrings.seal(PAYLOAD, rsa, PASSPHRASE);
    const rotated = await keyrings.rotate(
      sealed,
      { certificate: rsa, passphrase: PASSPHRASE },
      { certificate: rsa, passphrase: OTHER_PASSPHRASE },
    );
    expect(rotated.fingerprint).not.toBe(sealed.fingerprint);
    expect(await new Keyrings().open(rotated, rsa, OTHER_PASSPHRASE)).toEqual(PAYLOAD);
    await expect(new Keyrings().open(rotated, rsa, PASSPHRASE)).rejects.toBeInstanceOf(EncryptionKeyChanged);
  });

  it('re-encrypts under a new certificate key when the previous key is supplied', async () => {
    const keyrings = new Keyrings();
    const sealed = await keyrings.seal(PAYLOAD, rsa, PASSPHRASE);
    const rotated = await keyrings.rotate(
      sealed,
      { certificate: rsa, passphrase: PASSPHRASE },
      { certificate: ec, passphrase: PASSPHRASE },
    );
    expect(await new Keyrings().open(rotated, ec, PASSPHRASE)).toEqual(PAYLOAD);
  });

  it('refuses with a wrong "previous" passphrase and leaves nothing half-done', async () => {
    const sealed = await new Keyrings().seal(PAYLOAD, rsa, PASSPHRASE);
    const rotation = new Keyrings().rotate(
      sealed,
      { certificate: rsa, passphrase: OTHER_PASSPHRASE },
      { certificate: rsa, passphrase: OTHER_PASSPHRASE },
    );
    await expect(rotation).rejects.toBeInstanceOf(EncryptionKeyChanged);
  });
});

describe('key material', () => {
  it('says a short passphrase is too short in the one wording status uses, without its length (issue 20)', async () => {
    const error = await Promise.resolve()
      .then(() => new Keyrings().fingerprint(rsa, 'x'.repeat(99)))
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain(`the passphrase ${PASSPHRASE_TOO_SHORT}`);
    expect((error as Error).message).not.toMatch(/\b99\b/);
  });

  it.each([
    ['a passphrase under 100 characters', () => new Keyrings().fingerprint(rsa, 'x'.repeat(99)), 'PassphraseTooShort'],
    ["'a' × 100", () => new Keyrings().fingerprint(rsa, 'a'.repeat(100)), 'PassphraseTooWeak'],
    [
      'a phrase repeated',
      () => new Keyrings().seal(PAYLOAD, rsa, 'abcdefghijklmnopqrstuvwxyz'.repeat(4)),
      'PassphraseTooWeak',
    ],
    ['an Ed25519 certificate', async () => readCertificateKey(tlsSecretData('ed25519')), 'KeyUnsupported'],
    [
      'a key that is not the certificate’s',
      async () => readCertificateKey({ ...tlsSecretData('rsa'), 'tls.key': tlsSecretData('ec')['tls.key'] }),
      'KeyDoesNotMatchCertificate',
    ],
    [
      'a Secret that is not PEM',
      async () => readCertificateKey({ 'tls.crt': 'x', 'tls.key': 'y' }),
      'CertificateUnreadable',
    ],
  ] as const)('refuses %s, naming the field', async (_what, attempt: () => Promise<unknown>, problem) => {
    const error = await attempt().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncryptionKeyError);
    expect(error).toMatchObject({ problem, fieldPath: expect.stringMatching(/^spec\.tokens\.encryption\./) });
  });
});
