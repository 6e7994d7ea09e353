// The admin API over HTTP: the same operations as the in-process Admin, validated the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../server.ts';
import { form, jsonBody, send, type Received, type Target } from '../testing/client.ts';
import { passwordToken, scenario, SECRETS, target, VANITY, type Tokens } from '../testing/fixture.ts';

let sim: RunningSimulator;
let admin: Target;

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false });
  admin = { port: sim.adminPort ?? 0, host: '127.0.0.1' };
});
afterAll(() => sim.stop());

function call(method: string, path: string, value?: unknown): Promise<Received> {
  return send(admin, { method, path: `/_admin${path}`, ...(value === undefined ? {} : jsonBody(value)) });
}

describe('admin API', () => {
  it('lists its endpoints at /_admin', async () => {
    const res = await call('GET', '');
    const endpoints = res.json<{ endpoints: { method: string; path: string }[] }>().endpoints;
    expect(endpoints).toContainEqual(expect.objectContaining({ method: 'POST', path: '/_admin/faults' }));
    expect(endpoints.length).toBeGreaterThanOrEqual(14);
  });

  it('serves the CA certificate clients should trust', async () => {
    const res = await call('GET', '/ca.pem');
    expect(res.text).toBe(sim.caPem);
    expect(res.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('summarises the world without secrets or passwords', async () => {
    const res = await call('GET', '/state');
    expect(res.json()).toMatchObject({ hosts: expect.any(Array), customers: expect.any(Array) });
    for (const secret of Object.values(SECRETS)) expect(res.text).not.toContain(secret);
  });

  it('creates an application that then issues tokens', async () => {
    const put = await call('PUT', '/customers/100/applications/new-app', {
      clientSecret: 'canary-new-app-secret',
      redirectUris: ['https://new.example/cb'],
      allowRefreshToken: true,
    });
    expect(put.status).toBe(204);
    const body = form({
      grant_type: 'password',
      client_id: 'new-app',
      client_secret: 'canary-new-app-secret',
      username: 'jsmith',
      password: SECRETS.jsmith,
    });
    const res = await send(target(sim, VANITY), { method: 'POST', path: '/auth/oauth2/token', ...body });
    expect(res.json<Tokens>().refresh_token).toBeDefined();
  });

  it('adds a workspace that search then finds', async () => {
    const res = await call('POST', '/customers/100/libraries/ACTIVE_US/workspaces', {
      name: 'Admin Added',
      custom1: 'ADM-1',
    });
    expect(res.status).toBe(201);
    const { id } = res.json<{ id: string }>();
    const token = await passwordToken(sim);
    const found = await send(target(sim, VANITY), {
      path: '/work/api/v2/customers/100/libraries/ACTIVE_US/workspaces?custom1=adm-1',
      headers: { 'x-auth-token': token },
    });
    expect(found.json<{ data: { results: { id: string }[] } }>().data.results.map((w) => w.id)).toEqual([id]);
  });

  it('onboards another customer onto an existing host', async () => {
    const put = await call('PUT', '/hosts/cloudimanage.com', { customers: ['100', '200', '300'] });
    expect(put.status).toBe(204);
    const token = await passwordToken(sim, 'cloudimanage.com', { username: 'admin', password: SECRETS.onprem });
    const me = await send(target(sim, 'cloudimanage.com'), { path: '/api', headers: { 'x-auth-token': token } });
    expect(me.json()).toMatchObject({ data: { user: { customer_id: '300' } } });
  });

  it('switches faults on and off', async () => {
    const added = await call('POST', '/faults', { kind: 'status', status: 500, host: VANITY, path: '/api' });
    expect(added.status).toBe(201);
    const { id } = added.json<{ id: string }>();
    expect((await send(target(sim, VANITY), { path: '/api' })).status).toBe(500);
    expect((await call('DELETE', `/faults/${id}`)).json()).toEqual({ removed: true });
    expect((await send(target(sim, VANITY), { path: '/api' })).status).toBe(401);
  });

  it('filters and clears the request log', async () => {
    await send(target(sim, VANITY), { path: '/work/api/v2/customers/100/ping' });
    const filtered = (await call('GET', `/requests?host=${VANITY}&path=/work/api/*`)).json<{ path: string }[]>();
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((e) => e.path.startsWith('/work/api/'))).toBe(true);
    expect((await call('DELETE', '/requests')).status).toBe(204);
    expect((await call('GET', '/requests')).json()).toEqual([]);
  });

  it('revokes every token', async () => {
    const token = await passwordToken(sim);
    await call('DELETE', '/tokens');
    const res = await send(target(sim, VANITY), { path: '/api', headers: { 'x-auth-token': token } });
    expect(res.status).toBe(401);
  });

  it.each([
    ['POST', '/faults', { kind: 'meteor' }, 400, 'fault.kind'],
    ['POST', '/faults', { kind: 'expired-cert', path: '/api' }, 400, 'fault.path'],
    [
      'PUT',
      '/customers/100/applications/x',
      { clientSecret: 's', grants: ['refresh_token'] },
      400,
      'application.grants[0]',
    ],
    ['POST', '/customers/100/users', { username: 'nopassword' }, 400, 'user.password'],
    ['PUT', '/hosts/x.example', { customers: ['404'] }, 400, 'host.customers'],
  ])('refuses %s %s %j naming the field', async (method, path, value, status, field) => {
    const res = await call(method, path, value);
    expect(res.status).toBe(status);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_CONFIG', path: field } });
  });

  it('answers 404 for an unknown customer or endpoint', async () => {
    expect((await call('POST', '/customers/999/users', { username: 'a', password: 'b' })).status).toBe(404);
    expect((await call('GET', '/nothing')).status).toBe(404);
  });
});
