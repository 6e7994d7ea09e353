// Unencrypted tokens (issue 18, finding 14): one Warning Event per connection says so once (not on
// every reconcile), and with --require-token-encryption a connection without spec.tokens.encryption
// gets no token at all, nothing read or written (its conditions: controllers/connection/token-plain.test.ts).
import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../api/validation/fixtures.ts';
import type { RecordedEvent } from '../runtime/events.ts';
import { executeTokenPlan, planTokenPass, type TokenDeps } from './flow.ts';
import { tokenLifecycle } from './lifecycle.ts';
import type { TokenObservation } from './observation.ts';
import { readTokens } from './observe.ts';

const now = new Date('2026-11-23T12:00:00Z');
const connection = mergePatch(baseConnection(), {
  metadata: { uid: 'uid-acme', generation: 1 },
  spec: { environments: null, auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } } },
});
const payload = {
  access_token: 'a',
  token_type: 'Bearer',
  obtained_at: now.toISOString(),
  access_token_expires_at: '2026-11-23T12:29:00.000Z',
};
const plain: TokenObservation = { secretName: 'acme-tokens', encrypted: false, grant: 'Password', payload };

describe('tokens stored unencrypted', () => {
  it('a Warning Event says so once per connection, not on every reconcile', () => {
    const recorded: RecordedEvent[] = [];
    const engine = {
      metrics: { trackTokenExpiry: () => undefined },
      events: { record: async (_t: unknown, e: RecordedEvent) => void recorded.push(e) },
      clock: { now: () => now },
      isLeading: () => true,
    };
    const probes = { settings: { overrides: undefined, blocked: undefined } };
    const accessTokens = { forget: () => undefined };
    const lifecycle = tokenLifecycle(engine as never, probes as never, { store: {}, accessTokens } as never);
    for (let pass = 0; pass < 5; pass++) lifecycle.track(connection, plain);
    lifecycle.track(mergePatch(connection, { metadata: { uid: 'uid-other' } }), { ...plain, encrypted: true });
    expect(recorded).toEqual([expect.objectContaining({ type: 'Warning', reason: 'TokensNotEncrypted' })]);
    expect(recorded[0]?.note).toMatch(/^tokens are held in Secret 'acme-tokens' \(not encrypted, plain\/v1/);
  });
});

describe('--require-token-encryption', () => {
  it('obtains, reads and writes nothing for a connection without spec.tokens.encryption', async () => {
    const untouchable = new Proxy({}, { get: (_t, name) => () => Promise.reject(new Error(`store.${String(name)}`)) });
    const deps = { store: untouchable, requireEncryption: true, isLeading: () => true, now: () => now } as TokenDeps;
    const reading = await readTokens(untouchable as never, connection, deps, {
      facts: { intervalMs: 1000, timeoutMs: 1000 },
      credentials: {},
    });
    const observed = await executeTokenPlan(deps, reading, planTokenPass(deps, reading));
    expect(observed.failure?.kind).toBe('EncryptionRequired');
    expect(observed.payload).toBeUndefined();
  });
});
