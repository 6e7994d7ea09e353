// The one place the operator keeps the access tokens it holds, in memory, keyed by connection.
// The connection controller (which obtains and refreshes tokens) writes here; anything that
// calls the Work API on a connection's behalf (the repository controller, `preview`) reads here.
// Controllers never import each other, so run.ts creates one AccessTokens and hands it to both.
// The token Secret stays the durable copy; this is only what this process has decrypted.

import { StringTable } from '../runtime/kube/intern.ts';

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

/** CA bundles shared across connections: a few distinct ones in practice, at most 4 MiB held. */
const MAX_SHARED_BUNDLES = 64;
const MAX_SHARED_BUNDLE_LENGTH = 64 * 1024;

/** The CA bundle Work API calls on a connection's behalf trust; no `ca`: the system's roots. */
export interface WorkApiTrust {
  readonly ca?: string;
}

/** Connection keys are `namespace/name`. */
export class AccessTokens {
  readonly #held = new Map<string, HeldAccessToken>();
  readonly #trust = new Map<string, WorkApiTrust>();
  /** One copy of each CA bundle many connections name (tenants write them: bounded in number and size). */
  readonly #bundles = new StringTable(MAX_SHARED_BUNDLES, MAX_SHARED_BUNDLE_LENGTH);
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

  /**
   * Held since the last `set`; readers re-run when the token a connection holds changes. Every
   * reconcile of a connection sets what it holds: the same token again tells no one, or each
   * probe interval, resync and restart would reconcile all of its repositories once more for
   * nothing (2,500 reconciles in a resync of 1,000 connections and 5,000 repositories).
   */
  set(connection: string, token: HeldAccessToken): void {
    const before = this.#held.get(connection);
    this.#held.set(connection, token);
    if (before && sameToken(before, token)) return;
    this.#notify(connection);
  }

  /** The connection is gone, unlinked, or its tokens were revoked. */
  forget(connection: string): void {
    this.#trust.delete(connection);
    if (!this.#held.delete(connection)) return;
    this.#notify(connection);
  }

  /**
   * What the connection's reconcile read of its caBundleSecretRef, kept for the Work API calls made
   * on its behalf: its repositories then read no Secret of their own (issue 22: one CA read per
   * repository was 5,000 of the 11,000 Secret GETs at 1,000 connections). Undefined `ca`: the system's roots.
   */
  trust(connection: string, ca: string | undefined): void {
    const before = this.#trust.get(connection);
    this.#trust.set(connection, ca === undefined ? {} : { ca: this.#bundles.intern(ca) });
    // A new CA bundle may be what the repositories' failed calls were waiting for.
    if (before && before.ca !== ca && this.#held.has(connection)) this.#notify(connection);
  }

  /** The trust its connection's last reconcile read; undefined when this process has not read it yet. */
  trustOf(connection: string): WorkApiTrust | undefined {
    return this.#trust.get(connection);
  }

  /** Called with the connection key whenever its token changes or is forgotten. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#held.size;
  }

  #notify(connection: string): void {
    for (const listener of this.#listeners) listener(connection);
  }
}

function sameToken(a: HeldAccessToken, b: HeldAccessToken): boolean {
  return (
    a.accessToken === b.accessToken && a.expiresAt.getTime() === b.expiresAt.getTime() && a.customerId === b.customerId
  );
}
