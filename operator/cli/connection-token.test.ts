import { describe, expect, it } from 'vitest';
import type { IManageConnection } from '../api/generated/types.ts';
import { baseConnection, mergePatch } from '../api/validation/fixtures.ts';
import { ForbiddenError } from '../runtime/kube/errors.ts';
import { Keyrings, type TokenPayload } from '../tokens/envelope.ts';
import { tokenSecret } from '../tokens/format.ts';
import { readCertificateKey } from '../tokens/keys.ts';
import { OTHER_PASSPHRASE, PASSPHRASE, tlsSecretData } from '../tokens/testdata/fixtures.ts';
import { accessTokenFor, type ReadSecret, TokenSecretUnusable } from './connection-token.ts';

const now = new Date('2026-11-29T12:00:00Z');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const payload: TokenPayload = {
  access_token: 'canary-access-token',
  refresh_token: 'canary-refresh-token',
  token_type: 'bearer',
  access_token_expires_at: '2026-11-29T12:30:00Z',
  obtained_at: '2026-11-29T11:59:00Z',
};

const encrypted: IManageConnection = mergePatch(baseConnection(), {
  metadata: { namespace: 'ns', uid: 'u1' },
  spec: {
    tokens: {
      encryption: {
        certificateSecretRef: { name: 'cert' },
        passphraseSecretRef: { name: 'phrase', key: 'passphrase' },
      },
    },
  },
});
const plain: IManageConnection = mergePatch(encrypted, { spec: { tokens: { encryption: null } } });

const plainSecret = (data: Record<string, string>) => ({
  metadata: { annotations: { 'imanage.operator.dev/token-format': 'plain/v1' } },
  data,
});

async function cluster(passphrase = PASSPHRASE): Promise<Record<string, object>> {
  const rsa = tlsSecretData('rsa');
  const sealed = await new Keyrings().seal(payload, readCertificateKey(rsa), PASSPHRASE);
  const owner = { apiVersion: 'imanage.operator.dev/v1alpha1', kind: 'IManageConnection', name: 'acme', uid: 'u1' };
  return {
    'acme-tokens': tokenSecret('ns', 'acme-tokens', owner, sealed),
    cert: { data: { 'tls.crt': b64(String(rsa['tls.crt'])), 'tls.key': b64(String(rsa['tls.key'])) } },
    phrase: { data: { passphrase: b64(passphrase) } },
  };
}

const reader =
  (secrets: Record<string, object>): ReadSecret =>
  async (name) =>
    secrets[name];

describe('the access token preview uses for a connection', () => {
  it('is read from a plain/v1 Secret', async () => {
    const read = reader({ 'acme-tokens': plainSecret({ access_token: b64('at-1'), token_type: b64('bearer') }) });
    await expect(accessTokenFor(plain, read, now)).resolves.toBe('at-1');
  });

  it("is opened from a nested-jwe/v1 Secret with the connection's certificate key and passphrase", async () => {
    await expect(accessTokenFor(encrypted, reader(await cluster()), now)).resolves.toBe('canary-access-token');
  });

  it.each<[string, () => Promise<ReadSecret>, IManageConnection, string | RegExp]>([
    ['no token Secret yet', async () => reader({}), plain, 'has the account been linked'],
    [
      'a Secret of another format',
      async () => reader({ 'acme-tokens': { metadata: {}, data: {} } }),
      plain,
      'docs/token-secret-format.md',
    ],
    [
      'an encrypted Secret and no spec.tokens.encryption',
      async () => reader(await cluster()),
      plain,
      'spec.tokens.encryption is not set',
    ],
    ['another passphrase', async () => reader(await cluster(OTHER_PASSPHRASE)), encrypted, /cannot be opened/],
    [
      'a passphrase Secret the user may not read',
      async () => {
        const secrets = await cluster();
        return async (name) => {
          const request = { method: 'GET', path: `/api/v1/namespaces/ns/secrets/${name}` };
          if (name === 'phrase') throw new ForbiddenError('forbidden', { status: 403, reason: 'Forbidden', request });
          return secrets[name];
        };
      },
      encrypted,
      'you may not read Secret phrase',
    ],
  ])('is refused, with what to do, for %s', async (_title, read, connection, message) => {
    const refused = accessTokenFor(connection, await read(), now);
    await expect(refused).rejects.toThrow(TokenSecretUnusable);
    await expect(accessTokenFor(connection, await read(), now)).rejects.toThrow(message);
    await refused.catch((error: Error) => expect(error.message).not.toMatch(/canary/));
  });

  it('is refused once expired, pointing at TokensReady', async () => {
    const later = new Date('2026-11-29T13:00:00Z');
    await expect(accessTokenFor(encrypted, reader(await cluster()), later)).rejects.toThrow(/TokensReady/);
  });
});
