// Secret GETs per connection reconcile (issue 20): a linked AuthorizationCode connection whose
// tokens are encrypted names three Secrets (its application, the passphrase, the certificate) and
// owns one (the token Secret). A reconcile that finds the tokens fresh reads each once: 4 GETs.
// It was 6: observe read the passphrase and the certificate, then the token store read both again
// to open the token Secret. Everything is in memory; the probes are stubbed; nothing is sent.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import type { Secret } from '../../runtime/kube/resources.ts';
import { Keyrings } from '../../tokens/envelope.ts';
import { MemorySecrets } from '../../tokens/memory-secrets-testing.ts';
import { readKeyMaterial, TokenStore } from '../../tokens/store.ts';
import { connectionFacts } from '../../api/connection.ts';
import { observeConnection } from './observe.ts';
import { RecentSecretReads } from '../../runtime/kube/recent-secrets.ts';
import { withTokens } from './controller.ts';
import { answeringProbes } from './probe-stubs-testing.ts';
import * as fixture from '../../tokens/encrypted-connection-testing.ts';


/** MemorySecrets that counts GETs per Secret name. */
class CountingSecrets extends MemorySecrets {
  readonly gets = new Map<string, number>();
  override async get(r: unknown, ref: { name: string }): Promise<Secret> {
    this.gets.set(ref.name, (this.gets.get(ref.name) ?? 0) + 1);
    return super.get(r, ref);
  }
}

const connection = fixture.encryptedConnection;

async function linkedConnection() {
  const clock = new FakeClock(Date.now());
  const secrets = new CountingSecrets();
  await fixture.createNamedSecrets(secrets);
  const store = new TokenStore(secrets as never, new Keyrings(), () => clock.now());
  const payload = fixture.freshTokens(clock.now());
  await store.save(connection, payload, await readKeyMaterial(secrets as never, connection), undefined);
  const network = fixture.testNetwork();
  // GET /api answered moments ago for this access token: not asked again in this reconcile.
  const tokens = fixture.tokenContext(store, clock, payload.access_token, network);
  const settings = answeringProbes(clock, network);
  secrets.gets.clear();
  /** Observe as the connection controller does, with the Secret reads of `recentSecrets` shared. */
  const observe = (c: typeof connection, recentSecrets?: RecentSecretReads) =>
    observeConnection(secrets as never, c, {
      facts: connectionFacts(c),
      now: clock.now(),
      probes: { settings },
      tokens,
      ...(recentSecrets ? { recentSecrets } : {}),
    });
  return { secrets, tokens, observe };
}

describe('Secret reads per connection reconcile', () => {
  it('reads each Secret once: 4 GETs for a linked connection with encrypted tokens', async () => {
    const { secrets, tokens, observe } = await linkedConnection();
    const observed = await withTokens(tokens, await observe(connection));
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

describe('Secret reads shared between connection reconciles', () => {
  it('reads the Secrets two connections both name once, and each token Secret once', async () => {
    const { secrets, observe } = await linkedConnection();
    const recentSecrets = new RecentSecretReads(() => 0);
    const twin = { ...connection, metadata: { ...connection.metadata, name: 'acme-uat', uid: 'uid-acme-uat' } };
    const [first, second] = await Promise.all([observe(connection, recentSecrets), observe(twin, recentSecrets)]);
    expect(first.tokenReading?.loadError).toBeUndefined();
    expect([first.passphrase?.length, second.passphrase?.length]).toEqual([100, 100]);
    expect(Object.fromEntries(secrets.gets)).toEqual({
      app: 1,
      passphrase: 1,
      cert: 1,
      'acme-tokens': 1,
      'acme-uat-tokens': 1,
    });
  });
});
