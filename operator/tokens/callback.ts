// Finishing a sign-in: the callback's query in, a CallbackOutcome out. Runs on whichever replica
// the browser reached, leader or not: everything it needs comes from the state (link-state.ts), the
// shared key and spent states (link-store.ts), and the connection and its Secrets read through the
// API server now (never a controller's cache, which a standby replica does not fill).
//
// The sign-in URL a person opens is this endpoint with the state alone (a start): once the state
// checks out it leads on to iManage's page (startOf), so an expired or replaced URL says so before
// any password. Order: the state's shape, MAC and expiry first, with the key held in memory (a forged or stale
// callback costs no API call: issue 18, finding 4); then the connection (its uid: deleted and
// re-created is refused; its link generation: a state issued before the last link is refused,
// finding 7); then the authorization response's error; then the one-time claim, the code
// exchange, the account (GET /api: the page names it, and spec.auth.expectedAccount may pin it),
// and the token store. A failed exchange, a wrong account or a failed store releases the claim,
// so the admin can sign in again with the same URL while it is valid; only a stored link spends a
// state for good. A failure with an authentic state is recorded on the connection (an
// annotation), so that `imanage-operator link` stops waiting and names it.

import { caBundleRefOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { imanageConnections } from '../api/kinds.ts';
import { oauthErrorCode } from '../imanage/excerpt.ts';
import { type IssuedTokens, IManageOAuthClient, type OAuthNetwork, type OAuthServer } from '../imanage/oauth.ts';
import { IManageOAuthError } from '../imanage/oauth-errors.ts';
import { WorkApiError } from '../imanage/work-errors.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { NotFoundError } from '../runtime/kube/errors.ts';
import type { Logger } from '../runtime/log.ts';
import { type LastLink, LINK_FAILURE_ANNOTATION, lastLink } from './link-annotations.ts';
import { checkStateShape, LinkStateError, type LinkState, verifierFor, verifyState } from './link-state.ts';
import type { LinkStore } from './link-store.ts';
import { readSignIn } from './sign-in-secret.ts';
import { discoverConnection, readApplication, readCaBundle } from './connection-secrets.ts';
import type { ConnectionIdentity, LinkFailureReason, TokenSink } from './ports.ts';

export interface CallbackContext {
  /** Reads the connection and its Secrets; annotates the connection with a failed sign-in. */
  readonly client: Pick<KubeClient, 'get' | 'patch'>;
  readonly store: LinkStore;
  readonly sink: TokenSink;
  readonly network: OAuthNetwork;
  /** The redirect URI, exactly as the sign-in URL named it. */
  readonly callbackUrl: string;
  /** The operator-wide application of Cloud connections without clientSecretRef. */
  readonly defaultClientSecret?: { readonly namespace: string; readonly name: string };
  readonly logger: Logger;
  readonly now: () => Date;
}

export type CallbackOutcome =
  | {
      readonly kind: 'Linked';
      readonly connection: ConnectionIdentity;
      readonly account?: string;
      readonly since: string;
    }
  | {
      /** The sign-in URL opened: its state is current, so the browser goes on to iManage's page. */
      readonly kind: 'Start';
      readonly connection: ConnectionIdentity;
      /** iManage's authorization URL, from the connection's own sign-in Secret, for this very state. */
      readonly location: string;
    }
  | {
      /** A state issued before the last link, or spent by it: the connection is linked already. */
      readonly kind: 'AlreadyLinked';
      readonly connection: ConnectionIdentity;
      readonly link: LastLink;
    }
  | {
      readonly kind: 'Failed';
      readonly reason: LinkFailureReason;
      /** What happened and what to do, in plain words. */
      readonly message: string;
      /** Known once the state is authentic (Expired included). */
      readonly connection?: ConnectionIdentity;
      /** The protocol's own term, for support (error=access_denied, invalid_grant, state). */
      readonly term?: string;
      readonly expectedAccount?: string;
      readonly account?: string;
    };

type Failed = Extract<CallbackOutcome, { kind: 'Failed' }>;

/** A step that could not go on: the outcome to answer with. */
class Stop extends Error {
  readonly outcome: CallbackOutcome;
  /** An expired state: authentic, so its failure is recorded like any other. */
  expired?: LinkState;
  constructor(outcome: CallbackOutcome) {
    super(outcome.kind);
    this.outcome = outcome;
  }
}

const fail = (reason: LinkFailureReason, message: string, more: Omit<Failed, 'kind' | 'reason' | 'message'> = {}) =>
  new Stop({ kind: 'Failed', reason, message, ...more });

export async function finishSignIn(query: URLSearchParams, context: CallbackContext): Promise<CallbackOutcome> {
  let state: LinkState | undefined;
  try {
    state = await verified(query.get('state'), context);
    return await finish(query, state, context);
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    await recordFailure(error.outcome, state ?? error.expired, context);
    return error.outcome;
  }
}

async function finish(query: URLSearchParams, state: LinkState, context: CallbackContext): Promise<CallbackOutcome> {
  const connection: ConnectionIdentity = { namespace: state.namespace, name: state.name, uid: state.uid };
  const object = await currentConnection(connection, context);
  const before = lastLink(object);
  if (state.generation < before.generation) return { kind: 'AlreadyLinked', connection, link: before };
  const denied = query.get('error');
  if (denied === null && query.get('code') === null) return startOf(query.get('state')!, connection, context);
  if (denied !== null) {
    const code = oauthErrorCode(denied) ?? 'unrecognised';
    const words =
      'iManage did not let the account link (the sign-in was declined or the account may not use the ' +
      'application): sign in again as the fall-back account';
    throw fail('Denied', words, { connection, term: `error=${code}` });
  }
  if (!query.get('code'))
    throw fail('StateMismatch', 'iManage sent no code back: open the sign-in URL again', { connection });
  if (!(await context.store.claim(state.nonce, state.expiresAt, context.now()))) {
    const words =
      'this sign-in URL was used in another tab or window, which is finishing or has finished it: ' +
      "see what `imanage-operator link` says, or the connection's TokensReady condition";
    throw fail('AlreadyUsed', words, { connection, term: 'state already spent' });
  }
  try {
    return await exchangeAndStore(query, state, object, before, context);
  } catch (error) {
    await context.store.release(state.nonce);
    throw error;
  }
}

/**
 * The sign-in URL itself (the state alone): on to iManage's page, to the URL the connection's
 * sign-in Secret holds for this same state, so the redirect goes nowhere an outsider chose.
 */
async function startOf(
  state: string,
  connection: ConnectionIdentity,
  context: CallbackContext,
): Promise<CallbackOutcome> {
  const published = await readSignIn(context.client, connection);
  const location = published?.authorizeUrl;
  if (!location || URL.parse(location)?.searchParams.get('state') !== state) {
    const words = 'a newer sign-in link replaced this one: get the current one with `imanage-operator link`';
    throw fail('StateMismatch', words, { connection, term: 'OAuth state replaced' });
  }
  return { kind: 'Start', connection, location };
}

async function verified(state: string | null, context: CallbackContext): Promise<LinkState> {
  const term = 'OAuth state';
  if (!state) throw fail('StateMismatch', 'this address carries no sign-in: open the sign-in URL again', { term });
  try {
    checkStateShape(state); // before the key: a malformed state costs nothing
    return verifyState(await context.store.key(), state, context.now());
  } catch (error) {
    if (!(error instanceof LinkStateError)) throw error;
    if (error.problem === 'Expired') {
      const words = 'this sign-in URL expired (they last 10 minutes, and one is issued again when it ends)';
      const s = error.state;
      const stop = fail('Expired', words, {
        ...(s ? { connection: { namespace: s.namespace, name: s.name, uid: s.uid } } : {}),
        term,
      });
      if (s) stop.expired = s;
      throw stop;
    }
    const words =
      "this sign-in was not started by this operator, or was altered on the way (or the operator's " +
      'sign-in key was replaced since): open the current sign-in URL again';
    throw fail('StateMismatch', words, { term: `${term} ${error.problem.toLowerCase()}` });
  }
}

async function currentConnection(connection: ConnectionIdentity, context: CallbackContext): Promise<IManageConnection> {
  let object: IManageConnection | undefined;
  try {
    object = await context.client.get(imanageConnections, connection);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (object?.metadata?.uid !== connection.uid) {
    const words =
      'the connection this sign-in was started for no longer exists (deleted, or created again under ' +
      'the same name): get a new sign-in URL with `imanage-operator link`';
    throw fail('StateMismatch', words, { connection, term: 'uid changed' });
  }
  return object;
}

async function exchangeAndStore(
  query: URLSearchParams,
  state: LinkState,
  object: IManageConnection,
  before: LastLink,
  context: CallbackContext,
): Promise<CallbackOutcome> {
  const connection: ConnectionIdentity = { namespace: state.namespace, name: state.name, uid: state.uid };
  const log = { connection: `${state.namespace}/${state.name}` };
  const server = await applicationOf(object, context);
  const stateText = query.get('state')!;
  const pending = {
    url: '',
    redirectUri: context.callbackUrl,
    state: stateText,
    // The sign-in URL carried a code_challenge unless the connection turned PKCE off.
    ...(object.spec.auth?.pkce === 'Disabled'
      ? {}
      : { codeVerifier: verifierFor(await context.store.key(), stateText) }),
  };
  const oauth = new IManageOAuthClient(server, context.network, context.now);
  let tokens: IssuedTokens;
  try {
    tokens = await oauth.completeAuthorization(query, pending);
  } catch (error) {
    if (!(error instanceof IManageOAuthError)) throw error;
    context.logger.warn({ ...log, failure: error.failure, err: error.message }, 'link: code exchange failed');
    const words =
      'iManage did not accept the sign-in when the operator asked for the tokens: sign in again ' +
      'with the same URL while it is valid';
    throw fail('ExchangeFailed', words, { connection, term: `${error.failure}: ${error.message}` });
  }
  const account = await accountOf(object, tokens, server, context);
  checkExpected(object, account, tokens, oauth, connection);
  try {
    await context.sink.storeLinkedTokens(connection, tokens, account, before.generation);
  } catch (error) {
    context.logger.error({ ...log, err: (error as Error).message }, 'link: storing the tokens failed');
    const words =
      'the operator could not store the tokens (another sign-in may have finished first): run ' +
      '`imanage-operator link` to see where the connection stands';
    throw fail('StoreFailed', words, { connection, term: (error as Error).name });
  }
  context.logger.info({ ...log, account }, 'link: tokens stored');
  return { kind: 'Linked', connection, ...(account ? { account } : {}), since: context.now().toISOString() };
}

/** Who the tokens act as (GET /api). Undefined when the Work API does not say: the link stands. */
async function accountOf(
  object: IManageConnection,
  tokens: IssuedTokens,
  server: OAuthServer,
  context: CallbackContext,
): Promise<string | undefined> {
  try {
    return (await discoverConnection(object, tokens.accessToken, context.network, server.ca, context.now)).userId;
  } catch (error) {
    if (!(error instanceof WorkApiError)) throw error;
    return undefined;
  }
}

/** spec.auth.expectedAccount pins who may link: another account's tokens are revoked, not stored. */
function checkExpected(
  object: IManageConnection,
  account: string | undefined,
  tokens: IssuedTokens,
  oauth: IManageOAuthClient,
  connection: ConnectionIdentity,
): void {
  const expected = object.spec.auth?.expectedAccount;
  if (expected === undefined || account?.toUpperCase() === expected.toUpperCase()) return;
  void oauth.revoke(tokens.accessToken, 'access_token').catch(() => undefined);
  if (tokens.refreshToken) void oauth.revoke(tokens.refreshToken, 'refresh_token').catch(() => undefined);
  const who = account ?? 'an account the Work API did not name';
  const words =
    `this connection may only be linked by ${expected} (spec.auth.expectedAccount), and you signed in ` +
    `as ${who}: sign out of iManage, then open the same sign-in URL again and sign in as ${expected}`;
  throw fail('WrongAccount', words, { connection, expectedAccount: expected, ...(account ? { account } : {}) });
}

/** The connection's application, read now: its Secret, or the operator-wide default for Cloud. */
async function applicationOf(object: IManageConnection, context: CallbackContext): Promise<OAuthServer> {
  const app = await readApplication(context.client, object, context.defaultClientSecret);
  if (!app) throw fail('ExchangeFailed', 'the connection names no clientSecretRef: set spec.clientSecretRef');
  const { where, clientId, clientSecret } = app;
  if (!app.found) throw fail('ExchangeFailed', `Secret ${where.namespace}/${where.name} not found`);
  if (!clientId || !clientSecret) {
    throw fail('ExchangeFailed', `Secret ${where.namespace}/${where.name} needs keys clientId and clientSecret`);
  }
  const ca = await readCaBundle(context.client, object);
  const caRef = caBundleRefOf(object);
  // A CA bundle the connection names but that cannot be read: the client secret is not sent under the system's roots.
  if (caRef && ca === undefined) {
    throw fail('ExchangeFailed', `Secret ${object.metadata?.namespace ?? ''}/${caRef.name} key ${caRef.key} not found`);
  }
  return { baseUrl: new URL(object.spec.url), clientId, clientSecret, ...(ca ? { ca } : {}) };
}

/**
 * Writes the failure where `link` sees it: only for an authentic state (a forged one names no
 * connection we may trust), and best effort (the page says it all the same).
 */
async function recordFailure(outcome: CallbackOutcome, state: LinkState | undefined, context: CallbackContext) {
  if (outcome.kind !== 'Failed' || !state || outcome.reason === 'AlreadyUsed') return;
  const record = {
    reason: outcome.reason,
    message: outcome.message,
    nonce: state.nonce,
    at: context.now().toISOString(),
  };
  const ref = { namespace: state.namespace, name: state.name };
  const patch = { metadata: { annotations: { [LINK_FAILURE_ANNOTATION]: JSON.stringify(record) } } };
  try {
    await context.client.patch(imanageConnections, ref, patch);
  } catch (error) {
    context.logger.warn(
      { connection: `${ref.namespace}/${ref.name}`, err: (error as Error).message },
      'link: the failure could not be recorded on the connection',
    );
  }
}
