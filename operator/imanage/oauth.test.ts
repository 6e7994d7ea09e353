// The OAuth client against the simulator over HTTPS on loopback (its own CA, virtual hosts reached
// through host overrides): every grant, both kinds of refresh-token rotation, revocation, and each
// failure as its typed error. No request leaves 127.0.0.1.
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { form, send, type Target } from '../../simulator/testing/client.ts';
import { REDIRECT, scenario, SECRETS, VANITY } from '../../simulator/testing/fixture.ts';
import { HostOverrides, ProbeGuard } from './network.ts';
import { IManageOAuthClient, type OAuthNetwork, type OAuthServer, type PendingAuthorization } from './oauth.ts';
import {
  AuthorizationDenied,
  GrantNotSupported,
  InvalidClient,
  InvalidGrant,
  InvalidRequest,
  MAX_OAUTH_RETRY_AFTER_MS,
  RateLimited,
  StateMismatch,
  TargetForbidden,
  Unreachable,
} from './oauth-errors.ts';

const GRACE_SECRET = 'canary-secret-grace-91c3';
let sim: RunningSimulator;
let vanity: Target;
let network: OAuthNetwork;

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  sim.admin.putApplication('100', {
    clientId: 'grace-app',
    clientSecret: GRACE_SECRET,
    allowRefreshToken: true,
    refreshTokenRotation: 'until-new-token-used',
  });
  vanity = { port: sim.httpsPort, host: VANITY, ca: sim.caPem };
  network = {
    overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
    guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
    timeoutMs: 5_000,
  };
});
afterAll(() => sim.stop());
beforeEach(() => sim.admin.clearFaults());

const BASE = new URL(`https://${VANITY}`);
const WEB_APP: OAuthServer = { baseUrl: BASE, clientId: 'web-app', clientSecret: SECRETS.webApp };

function clientFor(server: Partial<OAuthServer> = {}, net: Partial<OAuthNetwork> = {}): IManageOAuthClient {
  return new IManageOAuthClient({ ...WEB_APP, ca: sim.caPem, ...server }, { ...network, ...net });
}

const jsmith = (client = clientFor()) => client.password('jsmith', SECRETS.jsmith);

async function customerOf(accessToken: string): Promise<string | number> {
  const res = await send(vanity, { path: '/api', headers: { 'x-auth-token': accessToken } });
  if (res.status !== 200) return res.status;
  return res.json<{ data: { user: { customer_id: string } } }>().data.user.customer_id;
}

function tokenRequests(): number {
  return sim.requestLog({ method: 'POST', path: '/auth/oauth2/token' }).length;
}

/** Plays the admin in the browser: opens the sign-in URL, signs in, answers the callback's query. */
async function signIn(pending: PendingAuthorization): Promise<URLSearchParams> {
  const url = new URL(pending.url);
  const authorized = await send(vanity, { path: `${url.pathname}${url.search}` });
  expect(authorized.status).toBe(302);
  const request = new URL(authorized.headers.location ?? '').searchParams.get('request') ?? '';
  const body = form({ request, username: 'jsmith', password: SECRETS.jsmith });
  const signedIn = await send(vanity, { method: 'POST', path: '/auth/signin', ...body });
  const callback = new URL(signedIn.headers.location ?? '');
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
  return callback.searchParams;
}

describe('password grant', () => {
  it('gives an access token that works, a refresh token and the inactivity window', async () => {
    const tokens = await jsmith();
    expect(await customerOf(tokens.accessToken)).toBe('100');
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens).toMatchObject({ tokenType: 'bearer', expiresInSeconds: 1800 }); // lower-cased by oauth4webapi
  });

  it.each([
    ['a wrong password', { clientSecret: SECRETS.webApp }, 'canary-password-guess', InvalidGrant],
    ['a wrong client secret', { clientSecret: 'canary-secret-guess' }, SECRETS.jsmith, InvalidClient],
  ])('refuses %s as a typed error that repeats no secret', async (_what, server, password, type) => {
    const error = await clientFor(server)
      .password('jsmith', password)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toContain('acme.cloudimanage.com');
    expect((error as Error).message).not.toContain('canary');
  });
});

describe('client credentials grant', () => {
  it('acts as the service user where the application allows it', async () => {
    const client = clientFor({ clientId: 'service-app', clientSecret: SECRETS.service });
    const tokens = await client.clientCredentials();
    expect(await customerOf(tokens.accessToken)).toBe('100');
  });

  it('is GrantNotSupported where the application does not allow it', async () => {
    await expect(clientFor().clientCredentials()).rejects.toBeInstanceOf(GrantNotSupported);
  });
});

describe('authorization code grant', () => {
  it('builds a sign-in URL with PKCE S256 and state, and exchanges the callback for tokens', async () => {
    const client = clientFor();
    const pending = await client.beginAuthorization({ redirectUri: REDIRECT, state: 'uid-1234.nonce' });
    const query = new URL(pending.url).searchParams;
    expect(Object.fromEntries(query)).toMatchObject({
      response_type: 'code',
      client_id: 'web-app',
      redirect_uri: REDIRECT,
      scope: 'user',
      state: 'uid-1234.nonce',
      code_challenge_method: 'S256',
    });
    expect(query.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    const tokens = await client.completeAuthorization(await signIn(pending), pending);
    expect(await customerOf(tokens.accessToken)).toBe('100');
  });

  it('refuses a callback whose state differs without asking the token endpoint', async () => {
    const client = clientFor();
    const pending = await client.beginAuthorization({ redirectUri: REDIRECT });
    const callback = await signIn(pending);
    callback.set('state', `${pending.state}x`);
    const before = tokenRequests();
    await expect(client.completeAuthorization(callback, pending)).rejects.toBeInstanceOf(StateMismatch);
    expect(tokenRequests()).toBe(before);
  });

  it('refuses a code presented with another PKCE verifier', async () => {
    const client = clientFor();
    const pending = await client.beginAuthorization({ redirectUri: REDIRECT });
    const other = await client.beginAuthorization({ redirectUri: REDIRECT });
    const callback = await signIn(pending);
    const exchange = client.completeAuthorization(callback, { ...pending, codeVerifier: other.codeVerifier });
    await expect(exchange).rejects.toBeInstanceOf(InvalidGrant);
  });

  it('reports an error callback as AuthorizationDenied', async () => {
    const client = clientFor();
    const pending = await client.beginAuthorization({ redirectUri: REDIRECT });
    const callback = new URLSearchParams({ error: 'access_denied', state: pending.state });
    const error = await client.completeAuthorization(callback, pending).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationDenied);
    expect(error).toMatchObject({ serverCode: 'access_denied' });
  });

  it.each(['https://app.example/callback?x=1', 'https://app.example', 'http://app.example/callback'])(
    'refuses the redirect URI %s, which openid-client could not repeat exactly',
    async (redirectUri) => {
      await expect(clientFor().beginAuthorization({ redirectUri })).rejects.toBeInstanceOf(InvalidRequest);
    },
  );
});

describe('refresh', () => {
  it('revoke-at-once: returns the rotated token; the presented one is dead', async () => {
    const client = clientFor();
    const first = (await jsmith(client)).refreshToken!;
    const refreshed = await client.refresh(first);
    expect(refreshed.refreshTokenRotated).toBe(true);
    expect(refreshed.refreshToken).not.toBe(first);
    expect(await customerOf(refreshed.accessToken)).toBe('100');
    await expect(client.refresh(first)).rejects.toBeInstanceOf(InvalidGrant);
    await expect(client.refresh(refreshed.refreshToken!)).resolves.toMatchObject({ refreshTokenRotated: true });
  });

  it('until-new-token-used: a lost response is retried with the old token; using the new one ends it', async () => {
    const client = clientFor({ clientId: 'grace-app', clientSecret: GRACE_SECRET });
    const first = (await jsmith(client)).refreshToken!;
    const lost = await client.refresh(first);
    const retried = await client.refresh(first);
    await client.refresh(retried.refreshToken!);
    await expect(client.refresh(first)).rejects.toBeInstanceOf(InvalidGrant);
    await expect(client.refresh(lost.refreshToken!)).rejects.toBeInstanceOf(InvalidGrant);
  });

  it('is GrantNotSupported where the application allows no refresh tokens', async () => {
    const client = clientFor({ clientId: 'no-refresh', clientSecret: SECRETS.noRefresh });
    await expect(client.refresh('anything')).rejects.toBeInstanceOf(GrantNotSupported);
  });
});

describe('revoke', () => {
  it('ends an access token and a refresh token', async () => {
    const client = clientFor();
    const tokens = await jsmith(client);
    await client.revoke(tokens.accessToken, 'access_token');
    await client.revoke(tokens.refreshToken!, 'refresh_token');
    expect(await customerOf(tokens.accessToken)).toBe(401);
    await expect(client.refresh(tokens.refreshToken!)).rejects.toBeInstanceOf(InvalidGrant);
  });
});

describe('failures', () => {
  it.each([
    [7, 7_000],
    [86_400, MAX_OAUTH_RETRY_AFTER_MS],
  ])('a 429 with Retry-After %i s is RateLimited, waiting %i ms', async (seconds, ms) => {
    sim.admin.addFault({ kind: 'rate-limit', path: '/auth/oauth2/token', retryAfterSeconds: seconds, times: 1 });
    const error = await jsmith().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimited);
    expect(error).toMatchObject({ retryAfterMs: ms, retryable: true, httpStatus: 429 });
  });

  it('a 503 with iManage’s error body is a retryable ServerError', async () => {
    sim.admin.addFault({ kind: 'status', status: 503, path: '/auth/oauth2/token', times: 1 });
    await expect(jsmith()).rejects.toMatchObject({ name: 'ServerError', retryable: true, httpStatus: 503 });
    await expect(jsmith()).resolves.toBeDefined();
  });

  it('a refused connection is Unreachable', async () => {
    // (Not the simulator's reset fault: after a reset POST over TLS, its server.close() throws in Node 24.)
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const overrides = new HostOverrides([`${VANITY}:443:127.0.0.1:${port}`]);
    const error = await jsmith(clientFor({}, { overrides })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Unreachable);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('a certificate from another CA is Unreachable, and nothing is sent', async () => {
    const before = tokenRequests();
    await expect(jsmith(clientFor({ ca: undefined }))).rejects.toBeInstanceOf(Unreachable);
    expect(tokenRequests()).toBe(before);
  });

  it('a loopback address is TargetForbidden when the guard does not allow it, and nothing is sent', async () => {
    const before = tokenRequests();
    const guard = new ProbeGuard({ allowLoopback: false, serviceCidrs: [] });
    const error = await jsmith(clientFor({}, { guard })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetForbidden);
    expect(error).toMatchObject({ retryable: false });
    expect(tokenRequests()).toBe(before);
  });
});
