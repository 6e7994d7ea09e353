// The request log tells tests what a client did, and never what its secrets were.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../server.ts';
import { form, send, type Target } from '../testing/client.ts';
import { REDIRECT, scenario, SECRETS, target, VANITY, type Tokens } from '../testing/fixture.ts';
import { REDACTED, redactQuery } from './request-log.ts';

describe('redactQuery', () => {
  it.each([
    ['access_token=abc', { access_token: REDACTED }],
    ['refresh_token=abc', { refresh_token: REDACTED }],
    ['client_secret=abc&client_id=app', { client_secret: REDACTED, client_id: 'app' }],
    ['password=abc&username=jsmith', { password: REDACTED, username: 'jsmith' }],
    ['code=abc&state=s', { code: REDACTED, state: 's' }],
    ['X-Auth-Token=abc', { 'X-Auth-Token': REDACTED }],
    ['assertion=abc', { assertion: REDACTED }],
    ['name=Smith&custom1=12345', { name: 'Smith', custom1: '12345' }],
    ['libraries=A&libraries=B', { libraries: ['A', 'B'] }],
  ])('%s', (query, expected) => {
    expect(redactQuery(new URLSearchParams(query))).toEqual(expected);
  });
});

describe('the request log of a running simulator', () => {
  let sim: RunningSimulator;
  let vanity: Target;
  const canaries: string[] = Object.values(SECRETS);

  beforeAll(async () => {
    sim = await startSimulator(scenario);
    vanity = target(sim, VANITY);
    await exerciseEveryCredentialPath();
  });
  afterAll(() => sim.stop());

  async function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const body = form(fields);
    return send(vanity, { method: 'POST', path, headers: { ...body.headers, ...headers }, body: body.body });
  }

  /** Every way a secret reaches the simulator: form fields, headers, redirects, even query strings. */
  async function exerciseEveryCredentialPath(): Promise<void> {
    const app = { client_id: 'web-app', client_secret: SECRETS.webApp };
    const tokens = (
      await post('/auth/oauth2/token', { grant_type: 'password', username: 'jsmith', password: SECRETS.jsmith, ...app })
    ).json<Tokens>();
    canaries.push(tokens.access_token, tokens.refresh_token ?? '');
    const refreshed = (
      await post('/auth/oauth2/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' })
    ).json<Tokens>();
    canaries.push(refreshed.access_token, refreshed.refresh_token ?? '');
    await send(vanity, { path: '/api', headers: { 'x-auth-token': refreshed.access_token } });
    await send(vanity, { path: `/api?access_token=${refreshed.access_token}&client_secret=${SECRETS.webApp}` });
    const basic = Buffer.from(`web-app:${SECRETS.webApp}`).toString('base64');
    await post('/auth/oauth2/token', { grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
    canaries.push(basic);
    const code = await authorizationCode();
    canaries.push(code);
    await post('/auth/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...app });
    await post('/auth/oauth2/revoke-token', { access_token: refreshed.access_token });
    await send({ port: sim.httpPort ?? 0, host: VANITY }, { path: `/auth/oauth2/token?password=${SECRETS.svc}` });
  }

  async function authorizationCode(): Promise<string> {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'web-app',
      redirect_uri: REDIRECT,
      state: 's',
    });
    const authorized = await send(vanity, { path: `/auth/oauth2/authorize?${query}` });
    const request = new URL(authorized.headers.location ?? '').searchParams.get('request') ?? '';
    const signedIn = await post('/auth/signin', { request, username: 'jsmith', password: SECRETS.jsmith });
    return new URL(signedIn.headers.location ?? '').searchParams.get('code') ?? '';
  }

  function adminLog(): Promise<string> {
    return new Promise((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: sim.adminPort, path: '/_admin/requests' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      })
        .on('error', reject)
        .end();
    });
  }

  it('records method, host, path, query, status and time', () => {
    const discovery = sim.requestLog({ path: '/api' })[0];
    expect(discovery).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      scheme: 'https',
      method: 'GET',
      host: VANITY,
      path: '/api',
      query: {},
      status: 200,
    });
  });

  it('keeps the names of secret query parameters but not their values', () => {
    const entry = sim.requestLog({ path: '/api' })[1];
    expect(entry?.query).toEqual({ access_token: REDACTED, client_secret: REDACTED });
  });

  it('never contains a token, code, secret or password, in process or over the admin API', async () => {
    const inProcess = JSON.stringify(sim.requestLog());
    const overHttp = await adminLog();
    expect(sim.requestLog().length).toBeGreaterThanOrEqual(10);
    for (const canary of canaries) {
      expect(canary.length).toBeGreaterThan(8);
      expect(inProcess).not.toContain(canary);
      expect(overHttp).not.toContain(canary);
    }
  });
});
