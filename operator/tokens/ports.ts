// The two seams between the interactive link (operator/tokens/link*.ts: sign-in URL, callback
// endpoint, `imanage-operator link`) and the token store of the connection controller. Each side
// is built and tested against these interfaces; run.ts plugs one into the other.

import type { IssuedTokens } from '../imanage/oauth.ts';

/** The connection a link or a token belongs to. The uid binds a sign-in to one object's life. */
export interface ConnectionIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** A one-time sign-in URL for the fall-back account; it carries PKCE S256 and a state bound to the uid. */
export interface SignIn {
  /**
   * What a person opens: the operator's callback with the state alone (it checks the state first,
   * so an expired or replaced URL says so before any password), which redirects to `authorizeUrl`.
   */
  readonly url: string;
  /** iManage's authorization URL (PKCE S256, the state). */
  readonly authorizeUrl?: string;
  readonly expiresAt: Date;
  /** The Secret that holds it (sign-in-secret.ts), once published. */
  readonly secretName?: string;
}

/** What the connection controller needs to show a connection that is not linked yet. */
export interface LinkService {
  /**
   * A sign-in URL valid for 10 minutes, for the connection's iManage and application. Any replica
   * can finish it: nothing about it is kept in one process's memory. `generation`: the
   * connection's link generation now (link-annotations.ts); a link since makes the URL void.
   */
  signInUrl(connection: ConnectionIdentity, server: LinkServer, now: Date, generation?: number): Promise<SignIn>;
  /** The sign-in URL published for the connection, with the link generation its state carries. */
  current(connection: ConnectionIdentity): Promise<(SignIn & { readonly generation: number }) | undefined>;
  /** The redirect URI the callback is served at: it must be registered like any other. */
  readonly callbackUrl: string;
}

export interface LinkServer {
  readonly baseUrl: URL;
  readonly clientId: string;
  /** spec.auth.scope, defaulted (operator/api/connection.ts scopeOf). */
  readonly scope: string;
  /** Send PKCE's code_challenge (spec.auth.pkce S256). @default true */
  readonly pkce?: boolean;
}

/** Why a sign-in did not link, as the page and `imanage-operator link` name it. */
export type LinkFailureReason =
  'Expired' | 'StateMismatch' | 'Denied' | 'AlreadyUsed' | 'WrongAccount' | 'ExchangeFailed' | 'StoreFailed';

/**
 * Where the callback hands the tokens it obtained: the connection controller's token store, which
 * encrypts and writes the token Secret with optimistic concurrency. Called by whichever replica
 * received the callback; it must fail (not overwrite) if the connection's uid no longer matches.
 */
export interface TokenSink {
  /**
   * `generation`: the connection's link generation the sign-in began at; the store refuses (throws)
   * when another link happened since, and records this one as the next generation.
   */
  storeLinkedTokens(
    connection: ConnectionIdentity,
    tokens: IssuedTokens,
    account: string | undefined,
    generation: number,
  ): Promise<void>;
}
