// The documented format is enough: examples/decrypt/decrypt.ts, which imports nothing but jose and
// Node's built-ins, decrypts a token Secret this envelope produced, run as a consumer would run it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import { Keyrings, type TokenPayload } from './envelope.ts';
import { readTokenSecret, tokenSecret } from './format.ts';
import { readCertificateKey } from './keys.ts';
import { OTHER_PASSPHRASE, PASSPHRASE, tlsSecretData, type FixtureCertificate } from './testdata/fixtures.ts';

const run = promisify(execFile);
const EXAMPLE = new URL('../../examples/decrypt/decrypt.ts', import.meta.url).pathname;
const OWNER = { apiVersion: 'imanage.operator.dev/v1alpha1', kind: 'iManageConnection', name: 'acme', uid: 'uid-1' };
const PAYLOAD: TokenPayload = {
  access_token: 'canary-access-token-example-1',
  refresh_token: 'canary-refresh-token-example-2',
  token_type: 'bearer',
  access_token_expires_at: '2026-01-01T00:30:00.000Z',
  refresh_token_expires_at: '2027-01-01T00:00:00.000Z',
  obtained_at: '2026-01-01T00:00:00.000Z',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'decrypt-example-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64');

/** Writes the three Secrets as `kubectl get secret -o json` would; answers their paths. */
async function secretsFor(certificate: FixtureCertificate, passphrase: string): Promise<string[]> {
  const key = readCertificateKey(tlsSecretData(certificate));
  const sealed = await new Keyrings().seal(PAYLOAD, key, PASSPHRASE);
  const tls = tlsSecretData(certificate);
  const files = {
    [`${certificate}-tokens.json`]: tokenSecret('team-a', 'acme-imanage-tokens', OWNER, sealed),
    [`${certificate}-tls.json`]: {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(tls['tls.crt']), 'tls.key': b64(tls['tls.key']) },
    },
    [`${certificate}-passphrase.json`]: { apiVersion: 'v1', kind: 'Secret', data: { passphrase: b64(passphrase) } },
  };
  return Promise.all(
    Object.entries(files).map(async ([name, secret]) => {
      await writeFile(join(dir, name), JSON.stringify(secret));
      return join(dir, name);
    }),
  );
}

describe('examples/decrypt/decrypt.ts', () => {
  it.each(['rsa', 'ec'] as const)('decrypts a Secret sealed under an %s key, with jose alone', async (certificate) => {
    const { stdout } = await run(process.execPath, [EXAMPLE, ...(await secretsFor(certificate, PASSPHRASE))]);
    expect(JSON.parse(stdout)).toEqual(PAYLOAD);
  });

  it('decrypts the worked example in examples/decrypt/secrets.yaml to the payload its comment shows', async () => {
    const text = await readFile(new URL('../../examples/decrypt/secrets.yaml', import.meta.url), 'utf8');
    const paths = await Promise.all(
      loadAll(text).map(async (doc, index) => {
        const path = join(dir, `worked-${index}.json`);
        await writeFile(path, JSON.stringify(doc));
        return path;
      }),
    );
    const { stdout } = await run(process.execPath, [EXAMPLE, ...paths]);
    const shown = /# decrypt\.ts prints:\n((?:#   .*\n)+)/.exec(text)?.[1]?.replace(/^# {3}/gm, '');
    expect(JSON.parse(stdout)).toEqual(JSON.parse(shown ?? 'null'));
    expect(JSON.parse(stdout)).toMatchObject({ access_token: 'FAKE-PLACEHOLDER-access-token' });
  });

  it('fails plainly with another passphrase, printing no token', async () => {
    const failed = await run(process.execPath, [EXAMPLE, ...(await secretsFor('ec', OTHER_PASSPHRASE))]).catch(
      (e: unknown) => e as { code: number; stdout: string; stderr: string },
    );
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect((failed as { stderr: string }).stderr).toMatch(/^decrypt: /);
    expect((failed as { stderr: string }).stderr).not.toContain('canary');
  });

  it('imports nothing but jose and node: built-ins', async () => {
    const source = await readFile(EXAMPLE, 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.every((name) => name === 'jose' || name?.startsWith('node:'))).toBe(true);
  });
});

describe('the token Secret', () => {
  it('keeps tokens in data only; metadata names the owner, the format and the key fingerprint', async () => {
    const sealed = await new Keyrings().seal(PAYLOAD, readCertificateKey(tlsSecretData('rsa')), PASSPHRASE);
    const secret = tokenSecret('team-a', 'acme-imanage-tokens', OWNER, sealed);
    expect(JSON.stringify(secret.metadata)).not.toContain('canary');
    expect(secret.metadata.ownerReferences).toEqual([{ ...OWNER, controller: true, blockOwnerDeletion: true }]);
    expect(secret.metadata.labels).toMatchObject({ 'imanage.operator.dev/connection': 'acme' });
    expect(secret.metadata.annotations['imanage.operator.dev/key-fingerprint']).toBe(sealed.fingerprint);
    expect(readTokenSecret(secret)).toEqual(sealed);
  });

  it('is refused by the reader when the format annotation is missing', () => {
    expect(() => readTokenSecret({ metadata: { annotations: {} }, data: {} })).toThrow(/token-format/);
  });
});
