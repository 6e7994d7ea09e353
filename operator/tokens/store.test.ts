// The token Secret's ownership rule (issue 18, finding 6): a connection loads, and so may replace,
// only a Secret whose controller owner is its own uid, or one with no controller that an adopt-by
// annotation hands to it by name. Every other Secret is refused before anything is read from it.
import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../api/validation/fixtures.ts';
import type { Secret } from '../runtime/kube/resources.ts';
import { Keyrings } from './envelope.ts';
import { plainTokenSecret } from './stored.ts';
import { ADOPT_BY_ANNOTATION, TokenSecretNotOwned, TokenStore } from './store.ts';

const connection = mergePatch(baseConnection(), {
  metadata: { name: 'b', uid: 'uid-b' },
  spec: { tokens: { secretName: 'a-tokens' } },
});
const owner = (name: string, uid: string, controller = true) => ({
  apiVersion: 'imanage.operator.dev/v1alpha1',
  kind: 'IManageConnection',
  name,
  uid,
  ...(controller ? { controller: true } : {}),
});
const payload = { access_token: 'A-ACCESS', token_type: 'Bearer', obtained_at: '2026-11-23T12:00:00Z' };

function stored(ownerReferences: object[], annotations: Record<string, string> = {}): Secret {
  const secret = plainTokenSecret('default', 'a-tokens', owner('x', 'x'), payload) as unknown as Secret;
  const metadata = { ...secret.metadata, annotations: { ...secret.metadata.annotations, ...annotations } };
  return { ...secret, metadata: { ...metadata, ownerReferences, resourceVersion: '7' } } as Secret;
}

function storeHolding(secret: Secret): TokenStore {
  const client = {
    get: async () => structuredClone(secret),
    create: async () => Promise.reject(new Error('not expected')),
    replace: async () => Promise.reject(new Error('not expected')),
    patch: async () => Promise.reject(new Error('not expected')),
  };
  return new TokenStore(client as never, new Keyrings(), () => new Date());
}

describe('TokenStore.load and the owner of the token Secret', () => {
  it.each([
    ['controlled by this connection', stored([owner('b', 'uid-b')])],
    ['without a controller, adopted by this connection by name', stored([], { [ADOPT_BY_ANNOTATION]: 'b' })],
    [
      'a non-controller reference to another, adopted by name',
      stored([owner('a', 'uid-a', false)], {
        [ADOPT_BY_ANNOTATION]: 'b',
      }),
    ],
  ])('loads a Secret %s', async (_title, secret) => {
    const loaded = await storeHolding(secret).load(connection, undefined);
    expect(loaded?.payload.access_token).toBe('A-ACCESS');
  });

  it.each([
    ['controlled by another connection', stored([owner('a', 'uid-a')]), /its controller is IManageConnection a/],
    ['controlled by an earlier connection of the same name', stored([owner('b', 'uid-old')]), /controller is/],
    [
      'controlled by another, even with an adopt-by annotation',
      stored([owner('a', 'uid-a')], { [ADOPT_BY_ANNOTATION]: 'b' }),
      /its controller is IManageConnection a/,
    ],
    ['without owner or annotation', stored([]), /kubectl annotate secret a-tokens imanage\.operator\.dev\/adopt-by=b/],
    ['adopted by another name', stored([], { [ADOPT_BY_ANNOTATION]: 'a' }), /has no controller owner/],
  ])('refuses a Secret %s, naming it and the fix', async (_title, secret, words) => {
    const refused = storeHolding(secret).load(connection, undefined);
    await expect(refused).rejects.toThrow(TokenSecretNotOwned);
    await expect(refused).rejects.toThrow(words);
    await expect(refused).rejects.not.toThrow(/A-ACCESS/);
  });
});
