// POST /auth/oauth2/token: one function per grant, errors per RFC 6749 §5.2.
import { createHash } from 'node:crypto';
import type { Grant } from '../config/types.ts';
import { OAuthError } from '../errors.ts';
import { parseForm } from '../http/body.ts';
import type { RequestContext } from '../http/context.ts';
import { json, type Reply } from '../http/reply.ts';
import type { Application } from '../state/model.ts';
import type { CodeRecord, Principal } from '../state/tokens.ts';
import type { Found } from '../state/world.ts';
import { authenticateClient, clientCredentials, type ClientCredentials } from './client-auth.ts';
import { sameSecret } from './secrets.ts';

interface GrantInput {
  readonly ctx: RequestContext;
  readonly form: URLSearchParams;
  readonly client: ClientCredentials | undefined;
}

type GrantHandler = (input: GrantInput) => Reply;

const HANDLERS: Readonly<Record<string, GrantHandler>> = {
  authorization_code: authorizationCodeGrant,
  password: passwordGrant,
  client_credentials: clientCredentialsGrant,
  refresh_token: refreshTokenGrant,
};

export async function token(ctx: RequestContext): Promise<Reply> {
  const contentType = ctx.req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new OAuthError(400, 'invalid_request', 'the token endpoint takes application/x-www-form-urlencoded');
  }
  const form = parseForm(await ctx.body());
  if (ctx.host.dialect.unknownParameters === 'reject') rejectUnknown(form, TOKEN_PARAMETERS);
  const grantType = form.get('grant_type');
  if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
  const handler = HANDLERS[grantType];
  if (!handler) throw new OAuthError(400, 'unsupported_grant_type', `grant_type '${grantType}' is not supported`);
  return handler({ ctx, form, client: clientCredentials(ctx.req, form) });
}

/** What public iManage clients send to the token endpoint; PKCE's code_verifier is not among them. */
const TOKEN_PARAMETERS: ReadonlySet<string> = new Set([
  'grant_type',
  'code',
  'redirect_uri',
  'client_id',
  'client_secret',
  'username',
  'password',
  'refresh_token',
  'scope',
]);

/** assumption: unknown-oauth-parameters — a strict server refuses what it does not know. */
export function rejectUnknown(params: URLSearchParams, known: ReadonlySet<string>): void {
  for (const name of params.keys()) {
    if (!known.has(name)) throw new OAuthError(400, 'invalid_request', `unknown parameter '${name.slice(0, 40)}'`);
  }
}

function authorizationCodeGrant({ ctx, form, client }: GrantInput): Reply {
  const apps = authenticateClient(ctx.world, ctx.host, client);
  const record = ctx.world.tokens.consumeCode(form.get('code') ?? '');
  if (!record) throw invalidGrant('the authorization code is invalid, expired or already used');
  const app = apps.find((a) => a.customer.id === record.customerId && a.item.config.clientId === record.clientId);
  if (!app) throw invalidGrant('the authorization code was issued to another client');
  requireGrant(app.item, 'authorization_code');
  // RFC 6749 §4.1.3: the same redirect_uri as in the authorization request, exactly.
  if (form.get('redirect_uri') !== record.redirectUri)
    throw invalidGrant('redirect_uri does not match the authorization request');
  requirePkce(record, form.get('code_verifier'));
  return issue(ctx, record, app.item);
}

/** assumption: pkce — RFC 7636 §4.6: the verifier must hash to the authorize request's challenge. */
function requirePkce(record: CodeRecord, verifier: string | null): void {
  if (record.codeChallenge === undefined) return;
  if (verifier === null) throw invalidGrant('code_verifier is required: the authorization request used PKCE');
  const computed = createHash('sha256').update(verifier).digest('base64url');
  if (!sameSecret(computed, record.codeChallenge)) {
    throw invalidGrant('code_verifier does not match the code challenge');
  }
}

function passwordGrant({ ctx, form, client }: GrantInput): Reply {
  const apps = authenticateClient(ctx.world, ctx.host, client);
  const username = form.get('username') ?? '';
  const app = apps.find((a) => a.customer.users.has(username)) ?? firstOf(apps);
  requireGrant(app.item, 'password');
  const user = app.customer.users.get(username);
  if (!user || !sameSecret(form.get('password') ?? '', user.password)) {
    throw invalidGrant('the user name or password is incorrect');
  }
  const allowed = app.item.config.allowedUsers;
  if (allowed !== undefined && !allowed.includes(username))
    throw invalidGrant('this user may not use this application');
  const scope = requestedScope(form, app.item);
  return issue(ctx, { customerId: app.customer.id, username, clientId: app.item.config.clientId, scope }, app.item);
}

/** assumption: client-credentials — only where the application allows it, acting as its service user. */
function clientCredentialsGrant({ ctx, form, client }: GrantInput): Reply {
  const apps = authenticateClient(ctx.world, ctx.host, client);
  const allowing = apps.filter((a) => a.item.config.grants.includes('client_credentials'));
  if (allowing.length === 0) requireGrant(firstOf(apps).item, 'client_credentials');
  if (allowing.length > 1)
    throw new OAuthError(401, 'invalid_client', 'this client id and secret name several customers');
  const app = firstOf(allowing);
  const username = app.item.config.serviceUser ?? '';
  const scope = requestedScope(form, app.item);
  return issue(ctx, { customerId: app.customer.id, username, clientId: app.item.config.clientId, scope }, app.item);
}

/** assumption: client-authentication (optional here), refresh-disallowed, refresh-rotation, refresh-rotation-grace. */
function refreshTokenGrant({ ctx, form, client }: GrantInput): Reply {
  const authenticated = client === undefined ? undefined : authenticateClient(ctx.world, ctx.host, client);
  // A global application may allow refresh for one customer and not another: refuse only if none does.
  if (authenticated && !authenticated.some((a) => a.item.config.allowRefreshToken)) {
    requireRefreshAllowed(firstOf(authenticated).item);
  }
  const presented = form.get('refresh_token') ?? '';
  const holder = ctx.world.tokens.peekRefreshToken(presented);
  if (!holder || !ctx.host.customers.includes(holder.customerId))
    throw invalidGrant('the refresh token is invalid or expired');
  if (authenticated && !authenticated.some((a) => owns(a, holder))) {
    throw invalidGrant('the refresh token was issued to another client');
  }
  const app = ctx.world.customer(holder.customerId)?.applications.get(holder.clientId);
  if (!app) throw invalidGrant('the application behind this refresh token no longer exists');
  requireRefreshAllowed(app);
  const rotation = app.config.refreshTokenRotation;
  const principal = ctx.world.tokens.consumeRefreshToken(presented, rotation);
  if (!principal) throw invalidGrant('the refresh token is invalid or expired');
  return issue(ctx, principal, app, rotation === 'until-new-token-used' ? presented : undefined);
}

function owns(app: Found<Application>, holder: Principal): boolean {
  return app.customer.id === holder.customerId && app.item.config.clientId === holder.clientId;
}

function requireGrant(app: Application, grant: Grant): void {
  if (!app.config.grants.includes(grant)) {
    throw new OAuthError(400, 'unauthorized_client', `this application does not allow the ${grant} grant`);
  }
}

function requireRefreshAllowed(app: Application): void {
  if (!app.config.allowRefreshToken) {
    throw new OAuthError(400, 'unauthorized_client', 'this application does not allow refresh tokens');
  }
}

/** assumption: scope */
function requestedScope(form: URLSearchParams, app: Application): string {
  const scope = form.get('scope') ?? 'user';
  if (!app.config.scopes.includes(scope)) throw new OAuthError(400, 'invalid_scope', `scope '${scope}' is not allowed`);
  return scope;
}

function issue(ctx: RequestContext, principal: Principal, app: Application, replaces?: string): Reply {
  const { token_type: tokenType, ...rest } = ctx.world.tokens.issue(principal, app.config, replaces);
  // assumption: token-type — public clients never read token_type; a host may leave it out.
  const response = ctx.host.dialect.tokenType === 'omit' ? rest : { ...rest, token_type: tokenType };
  // RFC 6749 §5.1: token responses must not be cached.
  return json(200, response, { 'cache-control': 'no-store', pragma: 'no-cache' });
}

function invalidGrant(description: string): OAuthError {
  return new OAuthError(400, 'invalid_grant', description);
}

function firstOf<T>(items: readonly T[]): T {
  const [first] = items;
  if (first === undefined) throw new OAuthError(401, 'invalid_client', 'unknown client');
  return first;
}
