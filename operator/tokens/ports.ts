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
  readonly url: string;
  readonly expiresAt: Date;
}

/** What the connection controller needs to show a connection that is not linked yet. */
export interface LinkService {
  /**
   * A sign-in URL valid for 10 minutes, for the connection's iManage and application. Any replica
   * can finish it: nothing about it is kept in one process's memory.
   */
  signInUrl(connection: ConnectionIdentity, server: LinkServer, now: Date): Promise<SignIn>;
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

/** The outcome of a finished sign-in, as `imanage-operator link` reports it. */
export type LinkResult =
  | { readonly ok: true; readonly account?: string }
  | {
      readonly ok: false;
      readonly reason: 'Expired' | 'StateMismatch' | 'Denied' | 'ExchangeFailed' | 'StoreFailed';
      readonly message: string;
    };

/**
 * Where the callback hands the tokens it obtained: the connection controller's token store, which
 * encrypts and writes the token Secret with optimistic concurrency. Called by whichever replica
 * received the callback; it must fail (not overwrite) if the connection's uid no longer matches.
 */
export interface TokenSink {
  storeLinkedTokens(connection: ConnectionIdentity, tokens: IssuedTokens, account: string | undefined): Promise<void>;
}
