// Secret GETs per connection reconcile (issue 20): a linked AuthorizationCode connection whose
// tokens are encrypted names three Secrets (its application, the passphrase, the certificate) and
// owns one (the token Secret). A reconcile that finds the tokens fresh reads each once: 4 GETs.
// It was 6: observe read the passphrase and the certificate, then the token store read both again
// to open the token Secret. Everything is in memory; the probes are stubbed; nothing is sent.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IManageConnection } from '../../api/generated/types.ts';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import { HostOverrides, ProbeGuard } from '../../imanage/network.ts';
import { ProbeCache } from '../../imanage/probe-cache.ts';
import type { ReachabilityResult } from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import { FakeClock } from '../../runtime/clock.ts';
import type { Secret } from '../../runtime/kube/resources.ts';
import { AccessTokens } from '../../tokens/access.ts';
import { Keyrings } from '../../tokens/envelope.ts';
import { MemorySecrets } from '../../tokens/memory-secrets-testing.ts';
import type { TokenContext } from '../../tokens/observe.ts';
import { readKeyMaterial, TokenStore } from '../../tokens/store.ts';
import { PASSPHRASE, tlsSecretData } from '../../tokens/testdata/fixtures.ts';
import { connectionFacts } from '../../api/connection.ts';
import { observeConnection } from './observe.ts';
import { withTokens } from './controller.ts';
import { answeringProbes } from './probe-stubs-testing.ts';

const data = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

/** MemorySecrets that counts GETs per Secret name. */
class CountingSecrets extends MemorySecrets {
  readonly gets = new Map<string, number>();
  override async get(r: unknown, ref: { name: string }): Promise<Secret> {
    this.gets.set(ref.name, (this.gets.get(ref.name) ?? 0) + 1);
    return super.get(r, ref);
  }
}

const connection: IManageConnection = mergePatch(baseConnection(), {
  metadata: { namespace: 'team', name: 'acme', uid: 'uid-acme', generation: 1 },
  spec: {
    environments: null,
    clientSecretRef: { name: 'app' },
    tokens: {
      encryption: {
        passphraseSecretRef: { name: 'passphrase' },
        certificateSecretRef: { name: 'cert' },
      },
    },
  },
});

async function linkedConnection() {
  const clock = new FakeClock(Date.now());
  const secrets = new CountingSecrets();
  const tls = tlsSecretData('rsa');
  for (const [name, values] of Object.entries<Record<string, string>>({
    app: { clientId: 'web-app', clientSecret: 'canary-app-secret' },
    passphrase: { passphrase: PASSPHRASE },
    cert: {
      'tls.crt': tls['tls.crt'].toString(),
      'tls.key': tls['tls.key'].toString(),
    },
  })) {
    await secrets.create(undefined, {
      metadata: { name, namespace: 'team' },
      data: data(values),
    } as Secret);
  }
  const store = new TokenStore(secrets as never, new Keyrings(), () => clock.now());
  const now = clock.now();
  const payload = {
    access_token: 'canary-access',
    token_type: 'Bearer',
    obtained_at: now.toISOString(),
    access_token_expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
    refresh_token: 'canary-refresh',
  };
  await store.save(connection, payload, await readKeyMaterial(secrets as never, connection), undefined);
  return { clock, secrets, store, payload };
}

describe('Secret reads per connection reconcile', () => {
  it('reads each Secret once: 4 GETs for a linked connection with encrypted tokens', async () => {
    const { clock, secrets, store, payload } = await linkedConnection();
    const network = {
      overrides: new HostOverrides([]),
      guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
    };
    const token = createHash('sha256').update(payload.access_token).digest('base64url');
    const found = {
      userId: 'jsmith',
      customerId: '1',
      libraries: ['ACTIVE_US'],
    } as never;
    const tokens: TokenContext = {
      store,
      accessTokens: new AccessTokens(),
      network,
      isLeading: () => true,
      now: () => clock.now(),
      // GET /api answered moments ago for this access token: not asked again in this reconcile.
      discoveries: new Map([['uid-acme', { token, at: clock.now().getTime(), found }]]),
      refusedSeeds: new Map(),
    };
    const settings = answeringProbes(clock, network);
    secrets.gets.clear();
    const observed = await withTokens(tokens, await observeConnection(secrets as never, connection, {
      facts: connectionFacts(connection),
      now: clock.now(),
      probes: { settings },
      tokens,
    }));
    expect(observed.tokens?.failure).toBeUndefined();
    expect(observed.tokens?.payload?.access_token).toBe('canary-access');
    expect(Object.fromEntries(secrets.gets)).toEqual({
      app: 1,
      passphrase: 1,
      cert: 1,
      'acme-tokens': 1,
    });
    expect([...secrets.gets.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
  });
});
