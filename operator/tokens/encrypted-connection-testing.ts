// For the connection controller's observe tests: a linked connection whose tokens are encrypted, the Secrets it names in its
// namespace (its application, the passphrase, the certificate), and tokens as a grant returns them.
import { createHash } from 'node:crypto';
import type { IManageConnection } from '../api/generated/types.ts';
import { baseConnection, mergePatch } from '../api/validation/fixtures.ts';
import { HostOverrides, ProbeGuard } from '../imanage/network.ts';
import type { FakeClock } from '../runtime/clock.ts';
import type { Secret } from '../runtime/kube/resources.ts';
import { AccessTokens } from './access.ts';
import type { TokenContext } from './observe.ts';
import type { TokenStore } from './store.ts';
import type { MemorySecrets } from './memory-secrets-testing.ts';
import { PASSPHRASE, tlsSecretData } from './testdata/fixtures.ts';

export const encryptedConnection: IManageConnection = mergePatch(baseConnection(), {
  metadata: { namespace: 'team', name: 'acme', uid: 'uid-acme', generation: 1 },
  spec: {
    environments: null,
    clientSecretRef: { name: 'app' },
    tokens: { encryption: { passphraseSecretRef: { name: 'passphrase' }, certificateSecretRef: { name: 'cert' } } },
  },
});

const data = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

/** The three Secrets encryptedConnection names, in `secrets`. */
export async function createNamedSecrets(secrets: MemorySecrets): Promise<void> {
  const tls = tlsSecretData('rsa');
  const values: Record<string, Record<string, string>> = {
    app: { clientId: 'web-app', clientSecret: 'canary-app-secret' },
    passphrase: { passphrase: PASSPHRASE },
    cert: { 'tls.crt': tls['tls.crt'].toString(), 'tls.key': tls['tls.key'].toString() },
  };
  for (const [name, value] of Object.entries(values)) {
    await secrets.create(undefined, { metadata: { name, namespace: 'team' }, data: data(value) } as Secret);
  }
}

/** Tokens obtained at `now`, the access token valid for an hour. */
export function freshTokens(now: Date) {
  return {
    access_token: 'canary-access',
    token_type: 'Bearer',
    obtained_at: now.toISOString(),
    access_token_expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
    refresh_token: 'canary-refresh',
  };
}

/** The network settings of these tests: nothing is sent (the probes are stubbed), loopback allowed. */
export function testNetwork() {
  return { overrides: new HostOverrides([]), guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }) };
}

/** The token context of a reconcile whose GET /api for `accessToken` was answered moments ago: not asked again. */
export function tokenContext(
  store: TokenStore,
  clock: FakeClock,
  accessToken: string,
  network: ReturnType<typeof testNetwork>,
): TokenContext {
  const token = createHash('sha256').update(accessToken).digest('base64url');
  const found = { userId: 'jsmith', customerId: '1', libraries: ['ACTIVE_US'] } as never;
  return {
    store,
    accessTokens: new AccessTokens(),
    network,
    isLeading: () => true,
    now: () => clock.now(),
    discoveries: new Map([[encryptedConnection.metadata.uid!, { token, at: clock.now().getTime(), found }]]),
    refusedSeeds: new Map(),
  };
}
