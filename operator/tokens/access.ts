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

/** The CA bundle Work API calls on a connection's behalf trust; no `ca`: the system's roots. */
export interface WorkApiTrust {
  readonly ca?: string;
}

/** Connection keys are `namespace/name`. */
export class AccessTokens {
  readonly #held = new Map<string, HeldAccessToken>();
  readonly #trust = new Map<string, WorkApiTrust>();
  /** One copy of each distinct CA bundle, however many connections name it, with its number of users. */
  readonly #bundles = new Map<string, { readonly ca: string; users: number }>();
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
    this.#setTrust(connection, undefined);
    if (!this.#held.delete(connection)) return;
    for (const listener of this.#listeners) listener(connection);
  }

  /**
   * What the connection's reconcile read of its caBundleSecretRef, kept for the Work API calls made
   * on its behalf: its repositories then read no Secret of their own (issue 22: one CA read per
   * repository was 5,000 of the 11,000 Secret GETs at 1,000 connections). Undefined `ca`: the system's roots.
   */
  trust(connection: string, ca: string | undefined): void {
    this.#setTrust(connection, { ...(ca !== undefined ? { ca } : {}) });
  }

  /** The trust its connection's last reconcile read; undefined when this process has not read it yet. */
  trustOf(connection: string): WorkApiTrust | undefined {
    return this.#trust.get(connection);
  }

  #setTrust(connection: string, next: WorkApiTrust | undefined): void {
    const before = this.#trust.get(connection);
    if (before?.ca === next?.ca && (before === undefined) === (next === undefined)) return;
    if (before?.ca !== undefined) this.#release(before.ca);
    if (next === undefined) this.#trust.delete(connection);
    else this.#trust.set(connection, next.ca === undefined ? {} : { ca: this.#share(next.ca) });
  }

  #share(ca: string): string {
    const bundle = this.#bundles.get(ca);
    if (bundle) {
      bundle.users += 1;
      return bundle.ca;
    }
    this.#bundles.set(ca, { ca, users: 1 });
    return ca;
  }

  #release(ca: string): void {
    const bundle = this.#bundles.get(ca);
    if (bundle && --bundle.users === 0) this.#bundles.delete(ca);
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
