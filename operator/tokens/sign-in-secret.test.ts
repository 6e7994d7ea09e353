// Issue 18, finding 7: the sign-in URL grants linking, so it is kept in a Secret (RBAC guards who
// reads it), owned by its connection; a Secret of that name the connection does not own is
// neither read nor replaced.
import { describe, expect, it } from 'vitest';
import { secrets } from '../runtime/kube/resources.ts';
import { MemoryApi } from './link-testing.ts';
import { publishSignIn, readSignIn, SignInSecretTaken } from './sign-in-secret.ts';

const CONNECTION = { namespace: 'clio', name: 'acme', uid: 'uid-1' };
const signIn = (n: number) => ({ url: `https://acme.example/authorize?state=${n}`, expiresAt: new Date(n * 1000) });

describe('the sign-in Secret', () => {
  it('is created, then replaced, owned by the connection, and read back', async () => {
    const api = new MemoryApi();
    expect(await publishSignIn(api, CONNECTION, signIn(1))).toBe('acme-sign-in');
    await publishSignIn(api, CONNECTION, signIn(2));
    const secret = await api.get(secrets, { namespace: 'clio', name: 'acme-sign-in' });
    expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: 'uid-1', controller: true })]);
    expect(await readSignIn(api, CONNECTION)).toEqual(signIn(2));
  });

  it("leaves a Secret of that name alone when it is not the connection's, and does not read it", async () => {
    const api = new MemoryApi();
    api.put(secrets, {
      metadata: { name: 'acme-sign-in', namespace: 'clio' },
      data: { url: Buffer.from('https://attacker.example').toString('base64') },
    });
    await expect(publishSignIn(api, CONNECTION, signIn(1))).rejects.toBeInstanceOf(SignInSecretTaken);
    expect(await readSignIn(api, CONNECTION)).toBeUndefined();
  });
});
