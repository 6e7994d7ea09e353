// A passphrase is examined (its length and variety) before the first keyring made with it, not on
// every seal after: at 1,000 connections that check was about 4 % of all the operator allocated.
// A file of its own, because it counts the calls of the check through a module mock.
import { describe, expect, it, vi } from 'vitest';
import { checkPassphrase } from '../api/validation/index.ts';
import { Keyrings, type TokenPayload } from './envelope.ts';
import { EncryptionKeyError, readCertificateKey } from './keys.ts';
import { OTHER_PASSPHRASE, PASSPHRASE, tlsSecretData } from './testdata/fixtures.ts';

vi.mock('../api/validation/index.ts', async (original) => {
  const actual = await original<typeof import('../api/validation/index.ts')>();
  return { ...actual, checkPassphrase: vi.fn(actual.checkPassphrase) };
});

const PAYLOAD: TokenPayload = {
  access_token: 'canary-access-token-77c2',
  token_type: 'bearer',
  obtained_at: '2026-01-01T00:00:00.000Z',
};
const rsa = readCertificateKey(tlsSecretData('rsa'));
const checks = vi.mocked(checkPassphrase);

describe('Keyrings: the passphrase check', () => {
  it('runs once per passphrase and certificate key, then not again for each seal', async () => {
    const keyrings = new Keyrings();
    checks.mockClear();
    await keyrings.seal(PAYLOAD, rsa, PASSPHRASE);
    expect(checks).toHaveBeenCalledTimes(1);
    await keyrings.seal(PAYLOAD, rsa, PASSPHRASE);
    await keyrings.fingerprint(rsa, PASSPHRASE);
    expect(keyrings.pendingSeal(rsa, PASSPHRASE)).toBeUndefined();
    expect(checks).toHaveBeenCalledTimes(1);
    await keyrings.seal(PAYLOAD, rsa, OTHER_PASSPHRASE);
    expect(checks).toHaveBeenCalledTimes(2);
  });

  it('still refuses a weak passphrase on every attempt, since no keyring is made for it', async () => {
    const keyrings = new Keyrings();
    checks.mockClear();
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(keyrings.seal(PAYLOAD, rsa, 'a'.repeat(100))).rejects.toBeInstanceOf(EncryptionKeyError);
    }
    expect(checks).toHaveBeenCalledTimes(2);
  });
});
