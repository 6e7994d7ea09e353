// OAuth over real HTTPS: every grant, refresh rotation, authorize classification, and a pending
// redirect-URI registration that takes effect when a fake clock passes its delay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { startSimulator, type RunningSimulator } from '../server.ts';
import { form, send, type Received, type Target } from '../testing/client.ts';
import {
  BRAVO_REDIRECT,
  CLOUD,
  REDIRECT,
  scenario,
  SECRETS,
  target,
  UAT_REDIRECT,
  VANITY,
  type Tokens,
} from '../testing/fixture.ts';

const START_MS = Date.UTC(2025, 5, 1);
const clock = new ManualClock(START_MS);
let sim: RunningSimulator;
let vanity: Target;
let cloud: Target;

beforeAll(async () => {
  sim = await startSimulator(scenario, { clock, httpPort: false, adminPort: false });
  vanity = target(sim, VANITY);
  cloud = target(sim, CLOUD);
});
afterAll(() => sim.stop());

const WEB_APP = { client_id: 'web-app', client_secret: SECRETS.webApp };
const JSMITH = { username: 'jsmith', password: SECRETS.jsmith };

function tokenRequest(
  fields: Record<string, string>,
  t: Target = vanity,
  headers: Record<string, string> = {},
): Promise<Received> {
  const body = form(fields);
  return send(t, {
    method: 'POST',
    path: '/auth/oauth2/token',
    headers: { ...body.headers, ...headers },
    body: body.body,
  });
}

function authorizePath(query: Record<string, string>): string {
  return `/auth/oauth2/authorize?${new URLSearchParams({ response_type: 'code', scope: 'user', state: 'st-1', ...query })}`;
}

/** Authorize, then sign in on the page it redirects to; answers the sign-in POST's response. */
async function signInVia(
  t: Target,
  query: Record<string, string>,
  user: { username: string; password: string },
): Promise<Received> {
  const authorized = await send(t, { path: authorizePath(query) });
  expect(authorized.status).toBe(302);
  const signInUrl = new URL(authorized.headers.location ?? '');
  expect(signInUrl.pathname).toBe('/auth/signin');
  const request = signInUrl.searchParams.get('request') ?? '';
  const page = await send(t, { path: `${signInUrl.pathname}${signInUrl.search}` });
  expect(page.status).toBe(200);
  expect(page.text).toContain('<form method="post" action="/auth/signin">');
  const body = form({ request, ...user });
  return send(t, { method: 'POST', path: '/auth/signin', headers: body.headers, body: body.body });
}

function codeFrom(res: Received, redirectUri: string): string {
  expect(res.status).toBe(302);
  const location = res.headers.location ?? '';
  expect(location.startsWith(`${redirectUri}?`)).toBe(true);
  const params = new URL(location).searchParams;
  expect(params.get('state')).toBe('st-1');
  return params.get('code') ?? '';
}

async function discoveryCustomer(t: Target, accessToken: string): Promise<unknown> {
  const res = await send(t, { path: '/api', headers: { 'x-auth-token': accessToken } });
  return res.status === 200
    ? res.json<{ data: { user: { customer_id: string } } }>().data.user.customer_id
    : res.status;
}

function expectOAuthError(res: Received, status: number, error: string): void {
  expect(res.status).toBe(status);
  expect(res.json()).toEqual({ error, error_description: expect.any(String) });
  expect(res.headers.location).toBeUndefined();
}

describe('authorization_code grant', () => {
  it('redirects to sign-in, then back with a code that exchanges for tokens', async () => {
    const code = codeFrom(await signInVia(vanity, { client_id: 'web-app', redirect_uri: REDIRECT }, JSMITH), REDIRECT);
    const res = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...WEB_APP });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const tokens = res.json<Tokens>();
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 1800 });
    expect(await discoveryCustomer(vanity, tokens.access_token)).toBe('100');
  });

  it('re-renders the sign-in page for a wrong password, without redirecting', async () => {
    const res = await signInVia(
      vanity,
      { client_id: 'web-app', redirect_uri: REDIRECT },
      { username: 'jsmith', password: 'wrong' },
    );
    expect(res.status).toBe(401);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('incorrect');
  });

  it('accepts a code once only', async () => {
    const code = codeFrom(await signInVia(vanity, { client_id: 'web-app', redirect_uri: REDIRECT }, JSMITH), REDIRECT);
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...WEB_APP };
    expect((await tokenRequest(exchange)).status).toBe(200);
    expectOAuthError(await tokenRequest(exchange), 400, 'invalid_grant');
  });

  it('refuses a code with a different redirect_uri, or after it expires', async () => {
    const code1 = codeFrom(await signInVia(vanity, { client_id: 'web-app', redirect_uri: REDIRECT }, JSMITH), REDIRECT);
    const wrongUri = { grant_type: 'authorization_code', code: code1, redirect_uri: `${REDIRECT}/`, ...WEB_APP };
    expectOAuthError(await tokenRequest(wrongUri), 400, 'invalid_grant');
    const code2 = codeFrom(await signInVia(vanity, { client_id: 'web-app', redirect_uri: REDIRECT }, JSMITH), REDIRECT);
    clock.advance(61_000);
    const late = { grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, ...WEB_APP };
    expectOAuthError(await tokenRequest(late), 400, 'invalid_grant');
  });
});

describe('authorize classification', () => {
  it('answers an unknown client with 400 invalid_client, never a redirect', async () => {
    expectOAuthError(
      await send(vanity, { path: authorizePath({ client_id: 'nobody', redirect_uri: REDIRECT }) }),
      400,
      'invalid_client',
    );
  });

  it.each([
    ['https://app.example/callback/', 'trailing slash'],
    ['https://APP.example/callback', 'host case'],
    ['http://app.example/callback', 'scheme'],
    ['https://app.example/callback ', 'trailing space'],
    ['https://evil.example/callback', 'another site'],
  ])('answers %j (%s) with 400 invalid_redirect_uri, never a redirect', async (redirectUri) => {
    const res = await send(vanity, { path: authorizePath({ client_id: 'web-app', redirect_uri: redirectUri }) });
    expectOAuthError(res, 400, 'invalid_redirect_uri');
  });

  it('shows a browser an HTML page naming invalid_redirect_uri', async () => {
    const res = await send(vanity, {
      path: authorizePath({ client_id: 'web-app', redirect_uri: 'https://evil.example/' }),
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.text).toContain('invalid_redirect_uri');
    expect(res.headers.location).toBeUndefined();
  });

  it.each([
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'admin' }, 'invalid_scope'],
  ])('redirects other errors (%j) to the registered URI with error and state', async (extra, error) => {
    const res = await send(vanity, { path: authorizePath({ client_id: 'web-app', redirect_uri: REDIRECT, ...extra }) });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${REDIRECT}?error=${error}&state=st-1`);
  });

  it('registers a configured pending redirect URI only once the clock passes its delay', async () => {
    const path = authorizePath({ client_id: 'web-app', redirect_uri: UAT_REDIRECT });
    expectOAuthError(await send(vanity, { path }), 400, 'invalid_redirect_uri');
    // The scenario asked for registration at start, effective a day later.
    clock.advance(START_MS + 86_400_000 - clock.now().getTime() - 1_000);
    expectOAuthError(await send(vanity, { path }), 400, 'invalid_redirect_uri');
    clock.advance(1_000);
    const res = await send(vanity, { path });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.location ?? '').pathname).toBe('/auth/signin');
  });

  it('registers a redirect URI requested through the admin API after its delay', async () => {
    const uri = 'https://training.app.example/callback';
    sim.admin.requestRedirectUri('100', 'web-app', { uri, registeredAfterSeconds: 3_600 });
    const path = authorizePath({ client_id: 'web-app', redirect_uri: uri });
    expectOAuthError(await send(vanity, { path }), 400, 'invalid_redirect_uri');
    clock.advance(3_600_000);
    expect((await send(vanity, { path })).status).toBe(302);
  });

  it("on a multi-customer host, checks the redirect URI against the signed-in user's customer", async () => {
    const bravoQuery = { client_id: 'web-app', redirect_uri: BRAVO_REDIRECT };
    const wrongCustomer = await signInVia(cloud, bravoQuery, JSMITH);
    expectOAuthError(wrongCustomer, 400, 'invalid_redirect_uri');
    const code = codeFrom(
      await signInVia(cloud, bravoQuery, { username: 'bbrown', password: SECRETS.bbrown }),
      BRAVO_REDIRECT,
    );
    const res = await tokenRequest(
      { grant_type: 'authorization_code', code, redirect_uri: BRAVO_REDIRECT, ...WEB_APP },
      cloud,
    );
    expect(await discoveryCustomer(cloud, res.json<Tokens>().access_token)).toBe('200');
  });
});

describe('password grant and client authentication', () => {
  it('issues tokens for the right password', async () => {
    const res = await tokenRequest({ grant_type: 'password', ...JSMITH, ...WEB_APP });
    expect(res.status).toBe(200);
    expect(await discoveryCustomer(vanity, res.json<Tokens>().access_token)).toBe('100');
  });

  it('accepts client credentials as HTTP Basic', async () => {
    const basic = Buffer.from(`web-app:${encodeURIComponent(SECRETS.webApp)}`).toString('base64');
    const res = await tokenRequest({ grant_type: 'password', ...JSMITH }, vanity, { authorization: `Basic ${basic}` });
    expect(res.status).toBe(200);
  });

  it.each([
    [
      'a wrong password',
      { grant_type: 'password', username: 'jsmith', password: 'wrong', ...WEB_APP },
      400,
      'invalid_grant',
    ],
    [
      'a wrong client secret',
      { grant_type: 'password', ...JSMITH, client_id: 'web-app', client_secret: 'wrong' },
      401,
      'invalid_client',
    ],
    ['no client credentials', { grant_type: 'password', ...JSMITH }, 401, 'invalid_client'],
    [
      'the SAML bearer grant',
      { grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer', assertion: 'x', ...WEB_APP },
      400,
      'unsupported_grant_type',
    ],
    ['no grant_type', { ...WEB_APP }, 400, 'invalid_request'],
  ])('answers %s with %i %s', async (_label, fields, status, error) => {
    expectOAuthError(await tokenRequest(fields as Record<string, string>), status, error);
  });
});

describe('refresh_token grant', () => {
  async function freshTokens(): Promise<Tokens> {
    return (await tokenRequest({ grant_type: 'password', ...JSMITH, ...WEB_APP })).json<Tokens>();
  }

  it('rotates the refresh token; the old one stops working', async () => {
    const first = await freshTokens();
    const res = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token ?? '',
      ...WEB_APP,
    });
    expect(res.status).toBe(200);
    const second = res.json<Tokens>();
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    const reuse = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token ?? '',
      ...WEB_APP,
    });
    expectOAuthError(reuse, 400, 'invalid_grant');
  });

  it('refreshes without client credentials, as iManCloudCore does', async () => {
    const first = await freshTokens();
    const res = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' });
    expect(res.status).toBe(200);
    expect(await discoveryCustomer(vanity, res.json<Tokens>().access_token)).toBe('100');
  });

  it('refuses a refresh token presented by another client, without burning it', async () => {
    const first = await freshTokens();
    const other = { client_id: 'service-app', client_secret: SECRETS.service };
    const res = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '', ...other });
    expect(res.status).toBe(400);
    const retry = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token ?? '',
      ...WEB_APP,
    });
    expect(retry.status).toBe(200);
  });

  it('gives no refresh token where the application does not allow them, and refuses the grant', async () => {
    const noRefresh = { client_id: 'no-refresh', client_secret: SECRETS.noRefresh };
    const tokens = (await tokenRequest({ grant_type: 'password', ...JSMITH, ...noRefresh })).json<Tokens>();
    expect(tokens).not.toHaveProperty('refresh_token');
    const res = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'anything', ...noRefresh });
    expectOAuthError(res, 400, 'unauthorized_client');
  });
});

describe('client_credentials grant', () => {
  it('is refused where the application does not allow it (the default)', async () => {
    expectOAuthError(await tokenRequest({ grant_type: 'client_credentials', ...WEB_APP }), 400, 'unauthorized_client');
  });

  it('acts as the service user where the application allows it', async () => {
    const res = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: 'service-app',
      client_secret: SECRETS.service,
    });
    expect(res.status).toBe(200);
    const tokens = res.json<Tokens>();
    expect(tokens).not.toHaveProperty('refresh_token');
    const me = await send(vanity, { path: '/api', headers: { 'x-auth-token': tokens.access_token } });
    expect(me.json<{ data: { user: { id: string } } }>().data.user.id).toBe('SVC');
  });
});

describe('access token lifetime and revocation', () => {
  it('expires after the idle window, and each use restarts it', async () => {
    const { access_token } = (await tokenRequest({ grant_type: 'password', ...JSMITH, ...WEB_APP })).json<Tokens>();
    clock.advance(29 * 60_000);
    expect(await discoveryCustomer(vanity, access_token)).toBe('100');
    clock.advance(29 * 60_000);
    expect(await discoveryCustomer(vanity, access_token)).toBe('100');
    clock.advance(30 * 60_000);
    expect(await discoveryCustomer(vanity, access_token)).toBe(401);
  });

  it('stops a revoked access token at once', async () => {
    const { access_token } = (await tokenRequest({ grant_type: 'password', ...JSMITH, ...WEB_APP })).json<Tokens>();
    const body = form({ access_token });
    const res = await send(vanity, {
      method: 'POST',
      path: '/auth/oauth2/revoke-token',
      headers: body.headers,
      body: body.body,
    });
    expect(res.status).toBe(200);
    expect(await discoveryCustomer(vanity, access_token)).toBe(401);
  });
});
