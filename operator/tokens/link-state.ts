// The `state` of an interactive link and its PKCE verifier, made so that any replica can finish a
// sign-in another one started, with nothing kept in a process's memory.
//
// Design (a stateless, authenticated state, as OWASP's "signed double-submit" and many OAuth
// gateways do it):
// - state = `v1.<payload>.<mac>`: payload is base64url JSON {namespace, name, uid, expires (epoch
//   seconds), nonce (128 random bits), gen (the connection's link generation when it was made)};
//   mac is HMAC-SHA256 over `v1.<payload>` with a key every
//   replica shares (link-store.ts keeps it in a Secret of the operator's namespace). The state
//   binds the connection's uid, so a connection deleted and re-created under the same name refuses
//   a sign-in begun for the old one; it expires 10 minutes after it was made.
// - The PKCE verifier is HMAC-SHA256(key, "pkce" ‖ state) in base64url: 43 characters of RFC
//   7636's alphabet. Any replica recomputes it from the state; nobody without the key can, so a
//   code intercepted on its way to the callback is useless to whoever intercepted it (the point
//   of PKCE). Domain-separation prefixes keep the two MACs from standing in for each other.
// - One-time use is not decided here: link-store.ts records spent states (their nonces), and the
//   callback refuses a state whose `gen` is older than the connection's (a link happened since).
// - The MAC is checked before anything else is read: a forged state costs no API-server call. Its
//   shape is checked before that, so a malformed one does not even need the key.
// The state carries no secret (it sits in status, in browsers' history and in iManage's logs).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConnectionIdentity } from './ports.ts';

/** How long a sign-in URL is valid (issue 11). */
export const SIGN_IN_LIFETIME_MS = 10 * 60_000;

const VERSION = 'v1';
const STATE_LABEL = 'imanage-link-state/v1\0';
const PKCE_LABEL = 'imanage-link-pkce/v1\0';
/** Longer than any state we make (names ≤ 253, namespaces ≤ 63): a longer one is not worth parsing. */
export const MAX_STATE_LENGTH = 1024;
/** The shared key must carry at least this many bytes of randomness. */
export const MIN_KEY_BYTES = 32;

export type LinkStateProblem = 'Malformed' | 'Tampered' | 'Expired';

/** A state that cannot be trusted; `problem` says why, the message says what to do (no state value in it). */
export class LinkStateError extends Error {
  override readonly name = 'LinkStateError';
  readonly problem: LinkStateProblem;
  /** Expired only: what the (authentic) state binds, so the page can name the connection. */
  readonly state?: LinkState;
  constructor(problem: LinkStateProblem, message: string, state?: LinkState) {
    super(message);
    this.problem = problem;
    if (state) this.state = state;
  }
}

export interface LinkState extends ConnectionIdentity {
  readonly expiresAt: Date;
  /** The connection's link generation when the state was made (0 before its first link). */
  readonly generation: number;
  /** base64url, 22 characters: names this sign-in in the spent-state record. */
  readonly nonce: string;
}

interface Payload {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly expires: number;
  readonly nonce: string;
  readonly gen?: number;
}

const mac = (key: Buffer, label: string, text: string): Buffer =>
  createHmac('sha256', key)
    .update(label + text)
    .digest();

/**
 * A new state for `connection` at link generation `generation`, valid for 10 minutes from `now`.
 * `nonce`: a fresh one unless given (a test re-issues a state under the nonce `link` printed).
 */
export function issueState(
  key: Buffer,
  connection: ConnectionIdentity,
  now: Date,
  generation = 0,
  nonce = randomBytes(16).toString('base64url'),
): { state: string; expiresAt: Date } {
  const expires = Math.floor((now.getTime() + SIGN_IN_LIFETIME_MS) / 1000);
  const payload: Payload = {
    namespace: connection.namespace,
    name: connection.name,
    uid: connection.uid,
    expires,
    nonce,
    gen: generation,
  };
  const signed = `${VERSION}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return {
    state: `${signed}.${mac(key, STATE_LABEL, signed).toString('base64url')}`,
    expiresAt: new Date(expires * 1000),
  };
}

/** The PKCE verifier of `state`: the same on every replica that holds the key. */
export function verifierFor(key: Buffer, state: string): string {
  return mac(key, PKCE_LABEL, state).toString('base64url');
}

const MALFORMED = 'the state is not one this operator makes: open the sign-in URL again';

/** The state's shape, checked without the key: a malformed state costs nothing more. */
export function checkStateShape(state: string): void {
  const parts = state.length <= MAX_STATE_LENGTH ? state.split('.') : [];
  if (parts.length !== 3 || parts[0] !== VERSION) throw new LinkStateError('Malformed', MALFORMED);
}

/**
 * Checks the state's MAC and expiry, and returns what it binds. Throws LinkStateError; the
 * connection's uid, its link generation and whether the state was spent are the caller's to check.
 */
export function verifyState(key: Buffer, state: string, now: Date): LinkState {
  checkStateShape(state);
  const parts = state.split('.');
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2]!, 'base64url');
  const expected = mac(key, STATE_LABEL, signed);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new LinkStateError(
      'Tampered',
      'the state was not made by this operator (or its key was replaced): open the current sign-in URL again',
    );
  }
  const { expires, gen, ...rest } = parsePayload(parts[1]!);
  const bound: LinkState = { ...rest, generation: gen ?? 0, expiresAt: new Date(expires * 1000) };
  if (now.getTime() >= expires * 1000) {
    const words = 'the sign-in URL expired (they last 10 minutes): open the current one again';
    throw new LinkStateError('Expired', words, bound);
  }
  return bound;
}

/** Authenticated, so only a bug of ours makes it malformed; checked all the same. */
function parsePayload(encoded: string): Payload {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const p = value as Partial<Payload> | undefined;
  const strings = [p?.namespace, p?.name, p?.uid, p?.nonce].every((s) => typeof s === 'string' && s !== '');
  const gen = p?.gen === undefined || (Number.isSafeInteger(p.gen) && p.gen >= 0);
  if (!strings || !gen || !Number.isSafeInteger(p?.expires)) throw new LinkStateError('Malformed', MALFORMED);
  return p as Payload;
}
