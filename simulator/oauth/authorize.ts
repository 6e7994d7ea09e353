// GET /auth/oauth2/authorize and the sign-in page behind it.
// Order matters (RFC 6749 §4.1.2.1): until client and redirect URI are known good, errors are
// answered here and never redirected; after that, errors go back to the client's redirect URI.
import { OAuthError } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import { parseForm } from '../http/body.ts';
import { escapeHtml, html, page, redirect, type Reply } from '../http/reply.ts';
import type { Application } from '../state/model.ts';
import { redirectWith } from './redirect.ts';
import { sameSecret } from './secrets.ts';
import type { SignInRequest, SignInRequests } from './signin-requests.ts';

export function authorize(ctx: RequestContext, signIns: SignInRequests): Reply {
  const q = ctx.url.searchParams;
  const clientId = q.get('client_id');
  const redirectUri = q.get('redirect_uri');
  if (!clientId) throw new OAuthError(400, 'invalid_request', 'client_id is required');
  const apps = ctx.world.applicationsOn(ctx.host, clientId);
  // assumption: unknown-client-shape
  if (apps.length === 0) throw new OAuthError(400, 'invalid_client', `unknown client_id '${clientId}'`);
  if (!redirectUri) throw new OAuthError(400, 'invalid_request', 'redirect_uri is required');
  // assumption: invalid-redirect-uri-shape, multi-tenant-redirect-check (any customer, before sign-in)
  if (!apps.some((a) => ctx.world.isRedirectRegistered(a.item, redirectUri))) {
    throw invalidRedirectUri(redirectUri);
  }
  const state = q.get('state');
  // assumption: authorize-errors-after-valid-redirect, unknown-oauth-parameters
  if (ctx.host.dialect.unknownParameters === 'reject' && [...q.keys()].some((k) => !AUTHORIZE_PARAMETERS.has(k))) {
    return redirect(redirectWith(redirectUri, { error: 'invalid_request', state }));
  }
  if (q.get('response_type') !== 'code') {
    return redirect(redirectWith(redirectUri, { error: 'unsupported_response_type', state }));
  }
  const scope = q.get('scope') ?? 'user';
  if (!apps.some((a) => a.item.config.scopes.includes(scope))) {
    return redirect(redirectWith(redirectUri, { error: 'invalid_scope', state }));
  }
  // assumption: pkce — S256 only; the plain method would put the verifier in the browser's history.
  const codeChallenge = q.get('code_challenge');
  if (codeChallenge !== null && (q.get('code_challenge_method') !== 'S256' || !PKCE_CHALLENGE.test(codeChallenge))) {
    return redirect(redirectWith(redirectUri, { error: 'invalid_request', state }));
  }
  const request = { host: ctx.host.name, clientId, redirectUri, scope, state, ...withChallenge(codeChallenge) };
  const id = signIns.create(request);
  return redirect(`${ctx.origin}/auth/signin?${new URLSearchParams({ request: id })}`);
}

/** What public iManage clients send to authorize; PKCE's code_challenge is not among them. */
const AUTHORIZE_PARAMETERS: ReadonlySet<string> = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
]);

/** base64url of a SHA-256 digest: 43 characters (RFC 7636 §4.2). */
const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

function withChallenge(codeChallenge: string | null): { codeChallenge?: string } {
  return codeChallenge === null ? {} : { codeChallenge };
}

export function signInPage(ctx: RequestContext, signIns: SignInRequests): Reply {
  const id = ctx.url.searchParams.get('request') ?? '';
  if (!signIns.get(id, ctx.host.name)) throw expiredSignIn();
  return html(200, signInForm(id));
}

/** POST /auth/signin: credentials → a code, redirected to the client (assumption: signin-flow). */
export async function signIn(ctx: RequestContext, signIns: SignInRequests): Promise<Reply> {
  const form = parseForm(await ctx.body());
  const id = form.get('request') ?? '';
  const request = signIns.get(id, ctx.host.name);
  if (!request) throw expiredSignIn();
  // The admin declined on iManage's page: the client hears access_denied (RFC 6749 §4.1.2.1).
  if (form.get('decline') !== null) return finish(signIns, id, request, { error: 'access_denied' });
  const found = ctx.world.userOn(ctx.host, form.get('username') ?? '');
  if (!found || !sameSecret(form.get('password') ?? '', found.item.password)) {
    return html(401, signInForm(id, 'The user name or password is incorrect.'));
  }
  const app = applicationFor(ctx, found.customer.applications.get(request.clientId), request);
  const username = found.item.username;
  const denied = app.config.allowedUsers !== undefined && !app.config.allowedUsers.includes(username);
  if (denied) return finish(signIns, id, request, { error: 'access_denied' });
  if (!app.config.scopes.includes(request.scope)) return finish(signIns, id, request, { error: 'invalid_scope' });
  const principal = { customerId: found.customer.id, username, clientId: request.clientId, scope: request.scope };
  const lifetime = ctx.world.authorizationCodeSeconds;
  const code = ctx.world.tokens.issueCode(principal, request.redirectUri, lifetime, request.codeChallenge);
  return finish(signIns, id, request, { code });
}

/** assumption: multi-tenant-redirect-check — now the user's own customer must know the client and URI. */
function applicationFor(ctx: RequestContext, app: Application | undefined, request: SignInRequest): Application {
  if (!app)
    throw new OAuthError(400, 'invalid_client', `client '${request.clientId}' is not enabled for this customer`);
  if (!ctx.world.isRedirectRegistered(app, request.redirectUri)) throw invalidRedirectUri(request.redirectUri);
  return app;
}

function finish(signIns: SignInRequests, id: string, request: SignInRequest, params: Record<string, string>): Reply {
  signIns.finish(id);
  return redirect(redirectWith(request.redirectUri, { ...params, state: request.state }));
}

function invalidRedirectUri(uri: string): OAuthError {
  return new OAuthError(400, 'invalid_redirect_uri', `redirect_uri '${uri}' is not registered for this client`);
}

function expiredSignIn(): OAuthError {
  return new OAuthError(400, 'invalid_request', 'this sign-in request is unknown or has expired; start again');
}

function signInForm(id: string, problem?: string): string {
  const message = problem === undefined ? '' : `<p role="alert">${escapeHtml(problem)}</p>`;
  return page(
    'Sign in to iManage Work (simulator)',
    `${message}<form method="post" action="/auth/signin">` +
      `<input type="hidden" name="request" value="${escapeHtml(id)}">` +
      '<label>User name <input name="username" autocomplete="username"></label>' +
      '<label>Password <input name="password" type="password" autocomplete="current-password"></label>' +
      '<button type="submit">Sign in</button> <button type="submit" name="decline" value="1">Decline</button></form>',
  );
}
