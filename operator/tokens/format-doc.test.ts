// docs/token-secret-format.md says what a reader needs: every field the operator stores in the
// payload, the p2c it writes and the range a reader should accept, and how the passphrase's bytes
// become the PBES2 password (decoded as UTF-8 first). Checked here against what the code does.
import { readFileSync } from 'node:fs';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { Keyrings } from './envelope.ts';
import { readCertificateKey } from './keys.ts';
import { plainTokenSecret, type StoredPayload } from './stored.ts';
import { PASSPHRASE, tlsSecretData } from './testdata/fixtures.ts';

const doc = readFileSync(new URL('../../docs/token-secret-format.md', import.meta.url), 'utf8');
const OWNER = { apiVersion: 'imanage.operator.dev/v1alpha1', kind: 'IManageConnection', name: 'acme', uid: 'u' };
const FULL: Required<StoredPayload> = {
  access_token: 'a',
  refresh_token: 'r',
  token_type: 'bearer',
  scope: 'user',
  access_token_expires_at: '2026-01-01T00:30:00.000Z',
  refresh_token_expires_at: '2027-01-01T00:00:00.000Z',
  obtained_at: '2026-01-01T00:00:00.000Z',
  account: 'JSMITH',
  seed_sha256: 's',
  refresh_token_refused_at: '2026-06-01T00:00:00.000Z',
};
const number = (text: string) => Number(text.replaceAll(',', ''));

describe('docs/token-secret-format.md', () => {
  it("names every field of the payload the operator stores, in the payload's example", () => {
    const block = /### The payload\n\n```json\n([^`]*)```/.exec(doc)?.[1] ?? '{}';
    const documented = Object.keys(JSON.parse(block) as object);
    const stored = Object.keys(plainTokenSecret('ns', 'acme-tokens', OWNER, FULL).data ?? {});
    expect(stored.length).toBe(Object.keys(FULL).length);
    expect(documented.sort()).toEqual(stored.sort());
  });

  it('says the p2c the operator writes, and a range a reader accepts that holds it', async () => {
    const sealed = await new Keyrings().seal(FULL, readCertificateKey(tlsSecretData('ec')), PASSPHRASE);
    const written = decodeProtectedHeader(sealed.key).p2c;
    const [, writes, low, high] = /writes `p2c` = ([\d,]+).*?Accept `p2c` from ([\d,]+) to ([\d,]+)/s.exec(doc) ?? [];
    expect(number(writes!)).toBe(written);
    expect(number(low!)).toBeLessThanOrEqual(written as number);
    expect(number(high!)).toBeGreaterThanOrEqual(written as number);
  });

  it('a passphrase that is not valid UTF-8 opens key.jwe only decoded and re-encoded, as the page says', async () => {
    const raw = Buffer.concat([Buffer.from(PASSPHRASE), Buffer.from([0xff, 0xfe])]);
    // What the operator does with the Secret's bytes (token-store.ts: decoded), then seals with.
    const operators = raw.toString('utf8');
    const sealed = await new Keyrings().seal(FULL, readCertificateKey(tlsSecretData('ec')), operators);
    const options = { keyManagementAlgorithms: ['PBES2-HS512+A256KW'], maxPBES2Count: 1_000_000 };
    await expect(compactDecrypt(sealed.key, new Uint8Array(raw), options)).rejects.toThrow(/decryption/i);
    const reencoded = new TextEncoder().encode(new TextDecoder().decode(raw));
    await expect(compactDecrypt(sealed.key, reencoded, options)).resolves.toBeDefined();
    expect(doc).toMatch(/decodes the Secret's bytes as UTF-8, replacing\s+each invalid sequence with U\+FFFD/);
  });
});
