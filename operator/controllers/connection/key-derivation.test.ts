// A connection reconcile never waits in the line of key derivations (tokens/derivations.ts) while
// holding its worker: a new process that has not derived the key of a connection's token Secret
// yet, or the key that will seal its first tokens, starts the derivation and ends the pass
// (keyDerivationAwaited says what it waits for); once the derivation has ended, the next pass opens
// the Secret at once. Everything is in memory; the probes are stubbed; nothing is sent.
import { describe, expect, it } from 'vitest';
import { connectionFacts } from '../../api/connection.ts';
import { FakeClock } from '../../runtime/clock.ts';
import { KeyDerivationPending, Keyrings } from '../../tokens/envelope.ts';
import { MemorySecrets } from '../../tokens/memory-secrets-testing.ts';
import { readKeyMaterial, TokenStore } from '../../tokens/store.ts';
import { PASSPHRASE } from '../../tokens/testdata/fixtures.ts';
import { keyDerivationAwaited, withTokens } from './controller.ts';
import { observeConnection } from './observe.ts';
import { answeringProbes } from './probe-stubs-testing.ts';
import {
  createNamedSecrets,
  encryptedConnection,
  freshTokens,
  testNetwork,
  tokenContext,
} from '../../tokens/encrypted-connection-testing.ts';

const connection = encryptedConnection;

async function namespaceSecrets(): Promise<MemorySecrets> {
  const secrets = new MemorySecrets();
  await createNamedSecrets(secrets);
  return secrets;
}

/** This process: a Keyrings of its own, which has derived nothing yet. */
function thisProcess(secrets: MemorySecrets, clock: FakeClock, accessToken: string) {
  const network = testNetwork();
  const tokens = tokenContext(
    new TokenStore(secrets as never, new Keyrings(), () => clock.now()),
    clock,
    accessToken,
    network,
  );
  const observe = () =>
    observeConnection(secrets as never, connection, {
      facts: connectionFacts(connection),
      now: clock.now(),
      probes: { settings: answeringProbes(clock, network) },
      tokens,
    });
  return { tokens, observe };
}

/** Whether `promise` has settled by the time the microtasks queued now have run. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('a connection reconcile and the key derivations', () => {
  it('does not wait for the key of its token Secret: it starts the derivation, and the next pass opens the Secret', async () => {
    const clock = new FakeClock(Date.now());
    const secrets = await namespaceSecrets();
    const payload = freshTokens(clock.now());
    // Sealed by another process (the one before a restart): this one must derive the key to open it.
    const before = new TokenStore(secrets as never, new Keyrings(), () => clock.now());
    await before.save(connection, payload, await readKeyMaterial(secrets as never, connection), undefined);

    const { tokens, observe } = thisProcess(secrets, clock, payload.access_token);
    const first = await observe();
    expect(first.tokenReading?.loadError).toBeInstanceOf(KeyDerivationPending);
    const derivation = keyDerivationAwaited(tokens, first.tokenReading);
    expect(derivation).toBeDefined();
    // The pass returned while the derivation (about 0.1 s of PBKDF2) still runs: it did not wait.
    expect(await settledYet(derivation!)).toBe(false);
    expect(await derivation).toBe(true);

    const second = await observe();
    expect(keyDerivationAwaited(tokens, second.tokenReading)).toBeUndefined();
    const observed = await withTokens(tokens, second);
    expect(observed.tokens?.failure).toBeUndefined();
    expect(observed.tokens?.payload?.access_token).toBe('canary-access');
  });

  it('does not wait for the key that will seal its first tokens either', async () => {
    const clock = new FakeClock(Date.now());
    const { tokens, observe } = thisProcess(await namespaceSecrets(), clock, 'none yet');
    const first = await observe();
    expect(first.tokenReading?.loadError).toBeUndefined();
    expect(first.tokenReading?.loaded).toBeUndefined();
    const derivation = keyDerivationAwaited(tokens, first.tokenReading);
    expect(derivation).toBeDefined();
    expect(await settledYet(derivation!)).toBe(false);
    expect(await derivation).toBe(true);
    expect(keyDerivationAwaited(tokens, (await observe()).tokenReading)).toBeUndefined();
  });

  it('with a passphrase that does not open the Secret, derives once and then reports it, without deriving again', async () => {
    const clock = new FakeClock(Date.now());
    const secrets = await namespaceSecrets();
    const material = await readKeyMaterial(secrets as never, connection);
    const other = `${PASSPHRASE} but another one, changed since the tokens were sealed`;
    await new TokenStore(secrets as never, new Keyrings(), () => clock.now()).save(
      connection,
      { access_token: 'canary-access', token_type: 'Bearer', obtained_at: clock.now().toISOString() },
      { ...material!, passphrase: other },
      undefined,
    );
    const { tokens, observe } = thisProcess(secrets, clock, 'canary-access');
    const first = await observe();
    expect(await keyDerivationAwaited(tokens, first.tokenReading)).toBe(true);
    const second = await observe();
    expect(keyDerivationAwaited(tokens, second.tokenReading)).toBeUndefined();
    expect(second.tokenReading?.loadError).toMatchObject({ name: 'EncryptionKeyChanged', changed: 'passphrase' });
  });
});
