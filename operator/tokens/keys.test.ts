// readCertificateKey and certificateNotAfter keep what they parsed, by a digest of the bytes they
// were given: the same bytes give the same objects back, other bytes never do, failures are not kept,
// and the cache is bounded.
import { describe, expect, it } from 'vitest';
import { certificateNotAfter, EncryptionKeyError, MAX_CERTIFICATE_KEYS, readCertificateKey } from './keys.ts';
import { tlsSecretData } from './testdata/fixtures.ts';

describe('readCertificateKey', () => {
  it('gives the key it parsed before for the same bytes, and another for a renewed certificate', () => {
    const first = readCertificateKey(tlsSecretData('rsa'));
    expect(readCertificateKey(tlsSecretData('rsa'))).toBe(first);
    const renewed = readCertificateKey(tlsSecretData('rsa-renewed'));
    expect(renewed).not.toBe(first);
    expect(renewed.spkiSha256).toBe(first.spkiSha256);
  });

  it("never answers a certificate it knows with its key when the Secret's tls.key is another", () => {
    readCertificateKey(tlsSecretData('rsa'));
    const forged = { 'tls.crt': tlsSecretData('rsa')['tls.crt'], 'tls.key': tlsSecretData('ec')['tls.key'] };
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(() => readCertificateKey(forged)).toThrow(
        expect.objectContaining({ problem: 'KeyDoesNotMatchCertificate' }) as EncryptionKeyError,
      );
    }
  });

  it('parses again what it let go beyond its bound, and keeps what was used lately', () => {
    const { 'tls.crt': crt, 'tls.key': key } = tlsSecretData('ec');
    // Trailing blank lines change the bytes, not the certificate: each is an entry of its own.
    const variant = (i: number) => ({ 'tls.crt': `${crt}${'\n'.repeat(i + 1)}`, 'tls.key': key });
    const oldest = readCertificateKey(variant(0));
    const used = readCertificateKey(variant(1));
    for (let i = 2; i < MAX_CERTIFICATE_KEYS; i++) readCertificateKey(variant(i));
    expect(readCertificateKey(variant(1))).toBe(used);
    readCertificateKey(variant(MAX_CERTIFICATE_KEYS));
    expect(readCertificateKey(variant(1))).toBe(used);
    expect(readCertificateKey(variant(0))).not.toBe(oldest);
  });
});

describe('certificateNotAfter', () => {
  it('reads the expiry once per certificate and fails every time on what does not parse', () => {
    const pem = tlsSecretData('rsa')['tls.crt'] as string;
    expect(certificateNotAfter(pem)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(certificateNotAfter(pem)).toBe(certificateNotAfter(`${pem}\n`));
    expect(() => certificateNotAfter('not a certificate')).toThrow();
    expect(() => certificateNotAfter('not a certificate')).toThrow();
  });
});
