// The link's state and PKCE verifier (pure), and the shared key and spent states as two replicas
// see them through one (in-memory) API server.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configMaps, secrets } from '../runtime/kube/resources.ts';
import { issueState, LinkStateError, type LinkStateProblem, verifierFor, verifyState } from './link-state.ts';
import { LINK_KEY_SECRET, LinkKeyError, LinkStore, SPENT_STATES_CONFIGMAP } from './link-store.ts';
import { MemoryApi } from './link-testing.ts';

const KEY = randomBytes(32);
const CONNECTION = { namespace: 'clio', name: 'acme.imanage', uid: '6f1c2a9e-0b1d-4f7e-9a43-2c1f0e5d7b10' };
const NOW = new Date('2025-06-01T12:00:00Z');
const MINUTE = 60_000;

function problemOf(call: () => unknown): LinkStateProblem | 'none' {
  try {
    call();
    return 'none';
  } catch (error) {
    if (error instanceof LinkStateError) return error.problem;
    throw error;
  }
}

/** The state with its payload replaced (the MAC kept): what a forger would try. */
function withPayload(state: string, change: (payload: Record<string, unknown>) => void): string {
  const [version, payload, mac] = state.split('.') as [string, string, string];
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  change(decoded);
  return `${version}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${mac}`;
}

describe('state', () => {
  const { state, expiresAt } = issueState(KEY, CONNECTION, NOW);

  it('binds the connection and expires 10 minutes ahead', () => {
    expect(expiresAt).toEqual(new Date(NOW.getTime() + 10 * MINUTE));
    expect(verifyState(KEY, state, NOW)).toMatchObject({ ...CONNECTION, expiresAt });
  });

  it('is new each time for the same connection (its own nonce)', () => {
    const again = issueState(KEY, CONNECTION, NOW).state;
    expect(again).not.toBe(state);
    expect(verifyState(KEY, again, NOW).nonce).not.toBe(verifyState(KEY, state, NOW).nonce);
  });

  it.each<[string, () => string, Date, LinkStateProblem | 'none']>([
    ['valid a moment before expiry', () => state, new Date(NOW.getTime() + 10 * MINUTE - 1000), 'none'],
    ['expired at 10 minutes', () => state, new Date(NOW.getTime() + 10 * MINUTE), 'Expired'],
    ['another uid with the old MAC', () => withPayload(state, (p) => (p['uid'] = 'other-uid')), NOW, 'Tampered'],
    ['a later expiry with the old MAC', () => withPayload(state, (p) => (p['expires'] = 9e9)), NOW, 'Tampered'],
    ['another namespace with the old MAC', () => withPayload(state, (p) => (p['namespace'] = 'x')), NOW, 'Tampered'],
    ['a MAC cut short', () => state.slice(0, -4), NOW, 'Tampered'],
    ['a state made with another key', () => issueState(randomBytes(32), CONNECTION, NOW).state, NOW, 'Tampered'],
    ['empty', () => '', NOW, 'Malformed'],
    ['another version', () => state.replace(/^v1/, 'v2'), NOW, 'Malformed'],
    ['an unrelated opaque value', () => 'uid-1234.nonce', NOW, 'Malformed'],
    ['over 1 KiB', () => `${state}${'A'.repeat(1024)}`, NOW, 'Malformed'],
  ])('%s: %s', (_what, make, now, problem) => {
    expect(problemOf(() => verifyState(KEY, make(), now))).toBe(problem);
  });

  it('says what to do, and never repeats the state', () => {
    const forged = withPayload(state, (p) => (p['uid'] = 'x'));
    let message = '';
    try {
      verifyState(KEY, forged, NOW);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/sign-in URL/);
    expect(message).not.toContain(forged.split('.')[1]!.slice(0, 12));
  });
});

describe('PKCE verifier', () => {
  const { state } = issueState(KEY, CONNECTION, NOW);

  it('is an RFC 7636 verifier that any holder of the key recomputes', () => {
    const verifier = verifierFor(KEY, state);
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifierFor(Buffer.from(KEY), state)).toBe(verifier);
  });

  it('differs with the state and with the key', () => {
    expect(verifierFor(KEY, issueState(KEY, CONNECTION, NOW).state)).not.toBe(verifierFor(KEY, state));
    expect(verifierFor(randomBytes(32), state)).not.toBe(verifierFor(KEY, state));
  });
});

describe('shared key and spent states, as two replicas', () => {
  const NS = 'imanage-system';

  it("makes one key however many replicas ask at once, and each replica verifies the others' states", async () => {
    const api = new MemoryApi();
    const replicas = Array.from({ length: 4 }, () => new LinkStore(api, NS));
    const keys = await Promise.all(replicas.map((r) => r.key()));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
    expect(api.writes.get('secrets')).toBe(1);
    const { state } = issueState(keys[0]!, CONNECTION, NOW);
    expect(verifyState(await replicas[3]!.key(), state, NOW).uid).toBe(CONNECTION.uid);
  });

  it('refuses a key too short to trust, saying how to make a new one', async () => {
    const api = new MemoryApi();
    api.put(secrets, { metadata: { name: LINK_KEY_SECRET, namespace: NS }, data: { hmacKey: 'c2hvcnQ=' } });
    const error = await new LinkStore(api, NS).key().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkKeyError);
    expect((error as Error).message).toContain(`delete it`);
  });

  it('spends a state once: a replay is refused, and of two replicas claiming at once exactly one wins', async () => {
    const api = new MemoryApi();
    const [a, b] = [new LinkStore(api, NS), new LinkStore(api, NS)];
    const until = new Date(NOW.getTime() + 10 * MINUTE);
    expect(await a.claim('nonce-1', until, NOW)).toBe(true);
    expect(await b.claim('nonce-1', until, NOW)).toBe(false);
    const raced = await Promise.all([a.claim('nonce-2', until, NOW), b.claim('nonce-2', until, NOW)]);
    expect(raced.sort()).toEqual([false, true]);
  });

  it('un-spends a released state, and forgets spent states once they expired', async () => {
    const api = new MemoryApi();
    const store = new LinkStore(api, NS);
    const until = new Date(NOW.getTime() + 10 * MINUTE);
    await store.claim('failed-exchange', until, NOW);
    await store.release('failed-exchange');
    expect(await store.claim('failed-exchange', until, NOW)).toBe(true);
    const later = new Date(until.getTime() + 1);
    await store.claim('next', new Date(later.getTime() + 10 * MINUTE), later);
    const spent = await api.get(configMaps, { namespace: NS, name: SPENT_STATES_CONFIGMAP });
    expect(Object.keys(spent.data ?? {})).toEqual(['next']);
  });
});
