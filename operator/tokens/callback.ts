// Finishing a sign-in: the callback's query in, a LinkResult out. Runs on whichever replica the
// browser reached, leader or not: everything it needs comes from the state (link-state.ts), the
// shared key and spent states (link-store.ts), and the connection and its Secrets read through the
// API server now (never a controller's cache, which a standby replica does not fill).
//
// Order: the state's MAC and expiry first (a forged or stale callback costs no API call), then
// the authorization response's error, then the connection's uid (deleted and re-created: refused),
// then the one-time claim, then the code exchange, then the token store. A failed exchange or
// store releases the claim, so the admin can sign in again with the same URL while it is valid;
// only a stored link spends a state for good.

import { applicationSourceOf, caBundleRefOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { imanageConnections } from '../api/kinds.ts';
import { oauthErrorCode } from '../imanage/excerpt.ts';
import { IManageOAuthClient, type OAuthNetwork, type OAuthServer } from '../imanage/oauth.ts';
import { IManageOAuthError } from '../imanage/oauth-errors.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { NotFoundError } from '../runtime/kube/errors.ts';
import { secrets } from '../runtime/kube/resources.ts';
import type { Logger } from '../runtime/log.ts';
import { LinkStateError, type LinkState, verifierFor, verifyState } from './link-state.ts';
import type { LinkStore } from './link-store.ts';
import type { ConnectionIdentity, LinkResult, TokenSink } from './ports.ts';

export interface CallbackContext {
  /** Reads the connection and its Secrets. */
  readonly client: Pick<KubeClient, 'get'>;
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

export interface CallbackOutcome {
  readonly result: LinkResult;
  /** Known once the state verified; the page names it. */
  readonly connection?: ConnectionIdentity;
}

type Failure = Extract<LinkResult, { ok: false }>;

/** A step that could not go on: the outcome to answer with. */
class Stop extends Error {
  readonly outcome: CallbackOutcome;
  constructor(outcome: CallbackOutcome) {
    super(outcome.result.ok ? 'linked' : outcome.result.message);
    this.outcome = outcome;
  }
}

const fail = (reason: Failure['reason'], message: string, connection?: ConnectionIdentity): Stop =>
  new Stop({ result: { ok: false, reason, message }, ...(connection ? { connection } : {}) });

export async function finishSignIn(query: URLSearchParams, context: CallbackContext): Promise<CallbackOutcome> {
  try {
    return await finish(query, context);
  } catch (error) {
    if (error instanceof Stop) return error.outcome;
    throw error;
  }
}

async function finish(query: URLSearchParams, context: CallbackContext): Promise<CallbackOutcome> {
  const state = await verified(query.get('state'), context);
  const connection: ConnectionIdentity = { namespace: state.namespace, name: state.name, uid: state.uid };
  const denied = query.get('error');
  if (denied !== null) {
    const code = oauthErrorCode(denied) ?? 'an unrecognised error';
    throw fail(
      'Denied',
      `iManage did not authorize the sign-in (${code}): sign in again as the fall-back account`,
      connection,
    );
  }
  if (!query.get('code')) throw fail('StateMismatch', 'the callback carries no code: open the sign-in URL again');
  const object = await currentConnection(connection, context);
  if (!(await context.store.claim(state.nonce, state.expiresAt, context.now()))) {
    throw fail(
      'Expired',
      "this sign-in URL was already used: open the current one from the connection's status",
      connection,
    );
  }
  try {
    await exchangeAndStore(query, state, object, context);
  } catch (error) {
    await context.store.release(state.nonce);
    throw error;
  }
  return { result: { ok: true }, connection };
}

async function verified(state: string | null, context: CallbackContext): Promise<LinkState> {
  if (!state) throw fail('StateMismatch', 'the callback carries no state: open the sign-in URL again');
  try {
    return verifyState(await context.store.key(), state, context.now());
  } catch (error) {
    if (!(error instanceof LinkStateError)) throw error;
    throw fail(error.problem === 'Expired' ? 'Expired' : 'StateMismatch', error.message);
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
    throw fail(
      'StateMismatch',
      'the connection this sign-in was started for no longer exists (deleted, or re-created under the same name): ' +
        'open the sign-in URL in its current status',
      connection,
    );
  }
  return object;
}

async function exchangeAndStore(
  query: URLSearchParams,
  state: LinkState,
  object: IManageConnection,
  context: CallbackContext,
): Promise<void> {
  const connection: ConnectionIdentity = { namespace: state.namespace, name: state.name, uid: state.uid };
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
  let tokens;
  try {
    tokens = await new IManageOAuthClient(server, context.network, context.now).completeAuthorization(query, pending);
  } catch (error) {
    if (!(error instanceof IManageOAuthError)) throw error;
    context.logger.warn({ ...connection, failure: error.failure, err: error.message }, 'link: code exchange failed');
    throw fail('ExchangeFailed', `${error.message}: sign in again with the same URL while it is valid`, connection);
  }
  try {
    await context.sink.storeLinkedTokens(connection, tokens, undefined);
  } catch (error) {
    context.logger.error({ ...connection, err: (error as Error).message }, 'link: storing the tokens failed');
    throw fail(
      'StoreFailed',
      `the tokens could not be stored (${(error as Error).message}): sign in again`,
      connection,
    );
  }
  context.logger.info(connection, 'link: tokens stored');
}

/** The connection's application, read now: its Secret, or the operator-wide default for Cloud. */
async function applicationOf(object: IManageConnection, context: CallbackContext): Promise<OAuthServer> {
  const spec = object.spec;
  const namespace = object.metadata?.namespace ?? '';
  const where = applicationSourceOf(object, context.defaultClientSecret);
  if (!where) throw fail('ExchangeFailed', 'the connection names no clientSecretRef: set spec.clientSecretRef');
  const values = await secretValues(context, where);
  const clientId = values.get('clientId');
  const clientSecret = values.get('clientSecret');
  if (!clientId || !clientSecret) {
    throw fail('ExchangeFailed', `Secret ${where.namespace}/${where.name} needs keys clientId and clientSecret`);
  }
  const caRef = caBundleRefOf(object);
  const ca = caRef ? (await secretValues(context, { namespace, name: caRef.name })).get(caRef.key) : undefined;
  return { baseUrl: new URL(spec.url), clientId, clientSecret, ...(ca ? { ca } : {}) };
}

async function secretValues(
  context: CallbackContext,
  ref: { readonly namespace: string; readonly name: string },
): Promise<Map<string, string>> {
  try {
    const secret = await context.client.get(secrets, ref);
    return new Map(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  } catch (error) {
    if (error instanceof NotFoundError) throw fail('ExchangeFailed', `Secret ${ref.namespace}/${ref.name} not found`);
    throw error;
  }
}
