// The OAuth client and discovery against each shape public iManage clients show (issue 19), the
// simulator answering in that shape per host: token errors as RFC 6749, iManage's object or an
// array (a dead refresh token is InvalidGrant in each); no token_type; a client without a secret;
// a server refusing PKCE's parameters (PKCE off works, PKCE on fails cleanly); revocation with
// the access_token field; discovery with the preferred library under work, dms_version, versions
// as an array, and customer_id as a number. Loopback only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { form, send, type Target } from '../../simulator/testing/client.ts';
import {
  ONPREM,
  REDIRECT,
  scenario,
  SECRETS,
  VANITY,
  addDialectHosts,
  DIALECT_HOSTS,
} from '../../simulator/testing/fixture.ts';
import { discover } from './discovery.ts';
import { HostOverrides, ProbeGuard } from './network.ts';
import { IManageOAuthClient, type OAuthNetwork, type OAuthServer, type PendingAuthorization } from './oauth.ts';
import { AuthorizationDenied, InvalidClient, InvalidGrant, InvalidRequest } from './oauth-errors.ts';

const HOSTS = DIALECT_HOSTS;

let sim: RunningSimulator;
let network: OAuthNetwork;

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  addDialectHosts(sim);
  const hosts = [VANITY, ONPREM, ...Object.values(HOSTS)];
  network = {
    overrides: new HostOverrides(hosts.map((h) => `${h}:443:127.0.0.1:${sim.httpsPort}`)),
    guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
    timeoutMs: 5_000,
  };
});
afterAll(() => sim.stop());

function clientOn(host: string, server: Partial<OAuthServer> = {}): IManageOAuthClient {
  const base: OAuthServer = { baseUrl: new URL(`https://${host}`), clientId: 'web-app', clientSecret: SECRETS.webApp };
  return new IManageOAuthClient({ ...base, ca: sim.caPem, ...server }, network);
}

const jsmith = (client: IManageOAuthClient) => client.password('jsmith', SECRETS.jsmith);

describe.each([
  ['RFC 6749 {"error":"invalid_grant"}', VANITY],
  ['iManage\'s {"error":{"code":"INVALID_GRANT",…}}', HOSTS.imanage],
  ['{"error":[{"code":"invalid_grant",…}]}', HOSTS.array],
])('token errors shaped as %s', (_shape, host) => {
  it('a dead (already rotated) refresh token is InvalidGrant, the RefreshTokenRevoked of the controller', async () => {
    const client = clientOn(host);
    const first = await jsmith(client);
    const second = await client.refresh(first.refreshToken!);
    expect(second.refreshTokenRotated).toBe(true);
    const error = await client.refresh(first.refreshToken!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidGrant);
    expect((error as InvalidGrant).serverCode).toBe('invalid_grant');
  });

  it('a wrong client secret is InvalidClient', async () => {
    await expect(jsmith(clientOn(host, { clientSecret: 'canary-wrong' }))).rejects.toBeInstanceOf(InvalidClient);
  });
});

describe('a token response without token_type', () => {
  it('gives tokens by the password grant and by refresh', async () => {
    const client = clientOn(HOSTS.imanage);
    const tokens = await jsmith(client);
    expect(tokens.accessToken).toEqual(expect.any(String));
    const refreshed = await client.refresh(tokens.refreshToken!);
    const found = await discover(new URL(`https://${HOSTS.imanage}`), refreshed.accessToken, network, sim.caPem);
    expect(found.customerId).toBe('100');
  });
});

describe('a client registered without a secret', () => {
  it('gets tokens by the password grant with client_id alone', async () => {
    const tokens = await jsmith(clientOn(VANITY, { clientId: 'desktop-auth', clientSecret: undefined }));
    const found = await discover(new URL(`https://${VANITY}`), tokens.accessToken, network, sim.caPem);
    expect(found.userId).toBe('JSMITH');
  });
});

/** Plays the browser: follows the sign-in URL and signs in; answers the callback's query. */
async function signIn(host: string, pending: PendingAuthorization): Promise<URLSearchParams> {
  const t: Target = { port: sim.httpsPort, host, ca: sim.caPem };
  const url = new URL(pending.url);
  const authorized = await send(t, { path: `${url.pathname}${url.search}` });
  const location = new URL(authorized.headers.location ?? '', `https://${host}`);
  if (location.pathname !== '/auth/signin') return location.searchParams; // refused: back to the redirect URI
  const body = form({
    request: location.searchParams.get('request') ?? '',
    username: 'jsmith',
    password: SECRETS.jsmith,
  });
  const signedIn = await send(t, { method: 'POST', path: '/auth/signin', ...body });
  return new URL(signedIn.headers.location ?? '').searchParams;
}

describe('a server that refuses OAuth parameters it does not know', () => {
  it('links with PKCE off: no code_challenge in the URL, no code_verifier in the exchange', async () => {
    const client = clientOn(HOSTS.strict);
    const pending = await client.beginAuthorization({ redirectUri: REDIRECT, pkce: false });
    expect(new URL(pending.url).searchParams.has('code_challenge')).toBe(false);
    expect(pending.codeVerifier).toBeUndefined();
    const tokens = await client.completeAuthorization(await signIn(HOSTS.strict, pending), pending);
    expect(tokens.refreshToken).toEqual(expect.any(String));
  });

  it('with PKCE on, the sign-in comes back refused and the exchange is AuthorizationDenied', async () => {
    const client = clientOn(HOSTS.strict);
    const pending = await client.beginAuthorization({ redirectUri: REDIRECT });
    const callback = await signIn(HOSTS.strict, pending);
    expect(callback.get('error')).toBe('invalid_request');
    await expect(client.completeAuthorization(callback, pending)).rejects.toBeInstanceOf(AuthorizationDenied);
  });

  it('revokes an access token with the access_token field alone; a refused refresh-token revocation leaves it working', async () => {
    const client = clientOn(HOSTS.strict);
    const tokens = await jsmith(client);
    await client.revoke(tokens.accessToken, 'access_token');
    const t: Target = { port: sim.httpsPort, host: HOSTS.strict, ca: sim.caPem };
    expect((await send(t, { path: '/api', headers: { 'x-auth-token': tokens.accessToken } })).status).toBe(401);
    await expect(client.revoke(tokens.refreshToken!, 'refresh_token')).rejects.toBeInstanceOf(InvalidRequest);
    await expect(client.refresh(tokens.refreshToken!)).resolves.toMatchObject({ refreshTokenRotated: true });
  });
});

describe('discovery in every shape public clients read', () => {
  async function discovered(host: string) {
    const tokens = await jsmith(clientOn(host, host === ONPREM ? {} : {}));
    return discover(new URL(`https://${host}`), tokens.accessToken, network, sim.caPem);
  }

  it('reads customer_id as a number, dms_version and the preferred library under data.work', async () => {
    expect(await discovered(HOSTS.numeric)).toEqual({
      customerId: '100',
      userId: 'JSMITH',
      userName: 'Jane Smith',
      preferredLibrary: 'ACTIVE_US',
      libraries: ['ACTIVE_US', 'ARCHIVE'],
      version: '10.4.2',
    });
  });

  it('reports the API versions of a versions array, and no version where the server names none', async () => {
    expect((await discovered(HOSTS.apiList)).version).toBe('API v1, v2');
    expect(await discovered(VANITY)).not.toHaveProperty('version');
  });
});
