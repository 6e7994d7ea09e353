// The details public iManage clients disagree on, per host (config `dialect`): the shape of a
// token-endpoint error, a token response without token_type, a server refusing OAuth parameters
// it does not know (PKCE's), a client registered without a secret, and the discovery fields each
// public client reads (customer_id as a number, dms_version, versions as an array).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../server.ts';
import { form, send, type Received, type Target } from '../testing/client.ts';
import {
  REDIRECT,
  scenario,
  SECRETS,
  target,
  VANITY,
  type Tokens,
  addDialectHosts,
  DIALECT_HOSTS,
} from '../testing/fixture.ts';

const HOSTS = DIALECT_HOSTS;

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  addDialectHosts(sim);
});
afterAll(() => sim.stop());

const WEB_APP = { client_id: 'web-app', client_secret: SECRETS.webApp };
const JSMITH = { username: 'jsmith', password: SECRETS.jsmith };

function token(host: string, fields: Record<string, string>): Promise<Received> {
  const body = form(fields);
  return send(target(sim, host), { method: 'POST', path: '/auth/oauth2/token', ...body });
}

describe('token-endpoint error shapes', () => {
  const deadRefresh = { grant_type: 'refresh_token', refresh_token: 'never-issued', ...WEB_APP };

  it('answers RFC 6749 by default', async () => {
    const res = await token(VANITY, deadRefresh);
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  });

  it("answers iManage's own error object where the host says so", async () => {
    const res = await token(HOSTS.imanage, deadRefresh);
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'INVALID_GRANT', code_message: expect.any(String), messages: [] } });
  });

  it('answers error as an array where the host says so', async () => {
    const res = await token(HOSTS.array, deadRefresh);
    expect(res.json()).toEqual({ error: [{ code: 'invalid_grant', code_message: expect.any(String) }] });
  });

  it('keeps the status of each error (a wrong client secret is still 401)', async () => {
    const res = await token(HOSTS.imanage, { grant_type: 'password', ...JSMITH, ...WEB_APP, client_secret: 'x' });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_CLIENT' } });
  });
});

describe('token_type', () => {
  it('is left out where the host says so, and the token still works', async () => {
    const res = await token(HOSTS.imanage, { grant_type: 'password', ...JSMITH, ...WEB_APP });
    expect(res.status).toBe(200);
    const tokens = res.json<Tokens>();
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'refresh_token']);
    const me = await send(target(sim, HOSTS.imanage), {
      path: '/api',
      headers: { 'x-auth-token': tokens.access_token },
    });
    expect(me.status).toBe(200);
  });
});

describe('a host that refuses unknown OAuth parameters', () => {
  it('refuses code_verifier at the token endpoint, and accepts what public clients send', async () => {
    const refused = await token(HOSTS.strict, { grant_type: 'password', ...JSMITH, ...WEB_APP, code_verifier: 'v' });
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'invalid_request' });
    expect((await token(HOSTS.strict, { grant_type: 'password', ...JSMITH, ...WEB_APP })).status).toBe(200);
  });

  it('redirects an authorize request carrying code_challenge back with invalid_request', async () => {
    const query = { response_type: 'code', client_id: 'web-app', redirect_uri: REDIRECT, scope: 'user', state: 's' };
    const strict: Target = target(sim, HOSTS.strict);
    const withPkce = new URLSearchParams({ ...query, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' });
    const refused = await send(strict, { path: `/auth/oauth2/authorize?${withPkce}` });
    expect(refused.headers.location).toBe(`${REDIRECT}?error=invalid_request&state=s`);
    const plain = await send(strict, { path: `/auth/oauth2/authorize?${new URLSearchParams(query)}` });
    expect(new URL(plain.headers.location ?? '').pathname).toBe('/auth/signin');
  });
});

describe('a client registered without a secret', () => {
  it('gets tokens by the password grant with client_id alone', async () => {
    const res = await token(VANITY, { grant_type: 'password', ...JSMITH, client_id: 'desktop-auth' });
    expect(res.status).toBe(200);
    expect(res.json<Tokens>().refresh_token).toEqual(expect.any(String));
  });

  it('refuses a secret sent for it, and a secret-holding client without its secret', async () => {
    const withSecret = await token(VANITY, {
      grant_type: 'password',
      ...JSMITH,
      client_id: 'desktop-auth',
      client_secret: 'x',
    });
    expect(withSecret.status).toBe(401);
    const webAppAlone = await token(VANITY, { grant_type: 'password', ...JSMITH, client_id: 'web-app' });
    expect(webAppAlone.status).toBe(401);
  });
});

describe('discovery as public clients read it', () => {
  it('gives customer_id as a number, dms_version, and versions as [{name, url}] where the host says so', async () => {
    const tokens = (await token(HOSTS.numeric, { grant_type: 'password', ...JSMITH, ...WEB_APP })).json<Tokens>();
    const res = await send(target(sim, HOSTS.numeric), {
      path: '/api',
      headers: { 'x-auth-token': tokens.access_token },
    });
    const port = sim.httpsPort;
    expect(res.json()).toMatchObject({
      data: {
        user: { customer_id: 100, id: 'JSMITH', name: 'Jane Smith' },
        work: { preferred_library: 'ACTIVE_US' },
        dms_version: '10.4.2',
        versions: [
          { name: 'v1', url: `https://${HOSTS.numeric}:${port}/work/api/v1` },
          { name: 'v2', url: `https://${HOSTS.numeric}:${port}/work/api/v2` },
        ],
      },
    });
  });

  it('refuses customerIdAs number for a host serving a customer whose id is not a number', () => {
    sim.admin.addCustomer({ id: 'acme-x' });
    expect(() =>
      sim.admin.putHost({ name: 'bad.example', customers: ['acme-x'], dialect: { customerIdAs: 'number' } }),
    ).toThrow(/customerIdAs number needs a numeric id/);
  });
});
