// The one place the operator keeps the access tokens it holds, in memory, keyed by connection.
// The connection controller (which obtains and refreshes tokens) writes here; anything that
// calls the Work API on a connection's behalf (the repository controller, `preview`) reads here.
// Controllers never import each other, so run.ts creates one AccessTokens and hands it to both.
// The token Secret stays the durable copy; this is only what this process has decrypted.

/** What a reader gets: an access token, and where and for whom it works. */
export interface HeldAccessToken {
  readonly accessToken: string;
  /** When iManage stops accepting it unless it is used (its inactivity timeout). */
  readonly expiresAt: Date;
  /** The customer id and library the token was checked against, when known. */
  readonly customerId?: string;
}

/**
 * Why no token can be had; the reader reports it and waits for the connection to change. (An
 * account not linked is not a reason here: its connection is not Ready, and a reader sees that first.)
 */
export class NoAccessToken extends Error {
  override readonly name = 'NoAccessToken';
  readonly reason: 'NotYetObtained' | 'Expired';
  constructor(reason: NoAccessToken['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

type Listener = (connection: string) => void;

/** Connection keys are `namespace/name`. */
export class AccessTokens {
  readonly #held = new Map<string, HeldAccessToken>();
  readonly #listeners = new Set<Listener>();

  /** The token to use now, or a NoAccessToken that says why there is none. */
  get(connection: string, now: Date): HeldAccessToken {
    const held = this.#held.get(connection);
    if (!held) throw new NoAccessToken('NotYetObtained', `no access token for IManageConnection ${connection} yet`);
    if (held.expiresAt.getTime() <= now.getTime()) {
      throw new NoAccessToken('Expired', `the access token of IManageConnection ${connection} has expired`);
    }
    return held;
  }

  /** Held since the last `set`; readers re-run when the token a connection holds changes. */
  set(connection: string, token: HeldAccessToken): void {
    this.#held.set(connection, token);
    for (const listener of this.#listeners) listener(connection);
  }

  /** The connection is gone, unlinked, or its tokens were revoked. */
  forget(connection: string): void {
    if (!this.#held.delete(connection)) return;
    for (const listener of this.#listeners) listener(connection);
  }

  /** Called with the connection key whenever its token changes or is forgotten. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#held.size;
  }
}
