// Each fault, switched on per host or per path, is observable by a real client.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../server.ts';
import { ClientTimeoutError, send, type Target } from '../testing/client.ts';
import { CLOUD, ONPREM, scenario, target, VANITY } from '../testing/fixture.ts';

let sim: RunningSimulator;
let vanity: Target;

beforeAll(async () => {
  // One fault comes from the scenario file, the rest are switched on through the admin API.
  sim = await startSimulator(
    { ...scenario, faults: [{ kind: 'status', status: 502, host: ONPREM, path: '/api' }] },
    { adminPort: false },
  );
  vanity = target(sim, VANITY);
});
afterEach(() => sim.admin.clearFaults());
afterAll(() => sim.stop());

function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: NodeJS.ErrnoException) => err.code,
  );
}

describe('request faults', () => {
  it('answers a configured 5xx on its host and path, with the iManage error body', async () => {
    const res = await send(target(sim, ONPREM), { path: '/api' });
    expect(res.status).toBe(502);
    expect(res.json()).toEqual({ error: { code: 'SERVER_ERROR', code_message: expect.any(String), messages: [] } });
    expect((await send(vanity, { path: '/api' })).status).toBe(401); // other hosts unaffected
  });

  it('fails only as many times as asked, then answers normally', async () => {
    sim.admin.addFault({ kind: 'status', status: 503, host: VANITY, path: '/work/api/*', times: 2 });
    const path = '/work/api/v2/customers/100/ping';
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(vanity, { path })).status);
    expect(statuses).toEqual([503, 503, 401]);
  });

  it('answers 429 with Retry-After', async () => {
    sim.admin.addFault({ kind: 'rate-limit', retryAfterSeconds: 7, host: CLOUD });
    const res = await send(target(sim, CLOUD), { path: '/api' });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS' } });
  });

  it('answers slower than a client is willing to wait', async () => {
    sim.admin.addFault({ kind: 'slow', delayMs: 60_000, host: VANITY, path: '/api' });
    await expect(send(vanity, { path: '/api', timeoutMs: 200 })).rejects.toBeInstanceOf(ClientTimeoutError);
  });

  it('resets the connection over HTTPS', async () => {
    sim.admin.addFault({ kind: 'reset', host: VANITY, method: 'GET' });
    expect(await errorCode(send(vanity, { path: '/api' }))).toBe('ECONNRESET');
    expect(sim.requestLog({ host: VANITY }).at(-1)).toMatchObject({ status: 0, fault: 'reset' });
  });

  it('resets the connection over plain HTTP', async () => {
    sim.admin.addFault({ kind: 'reset', host: VANITY });
    const plain: Target = { port: sim.httpPort ?? 0, host: VANITY };
    expect(await errorCode(send(plain, { path: '/api' }))).toBe('ECONNRESET');
  });
});

describe('certificate faults', () => {
  it('presents a certificate for another host, which fails verification', async () => {
    sim.admin.addFault({ kind: 'wrong-host-cert', host: VANITY });
    expect(await errorCode(send(vanity, { path: '/api' }))).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((await send(target(sim, CLOUD), { path: '/api' })).status).toBe(401); // other hosts unaffected
  });

  it('presents an expired certificate, which fails verification', async () => {
    sim.admin.addFault({ kind: 'expired-cert', host: VANITY, times: 1 });
    expect(await errorCode(send(vanity, { path: '/api' }))).toBe('CERT_HAS_EXPIRED');
    expect((await send(vanity, { path: '/api' })).status).toBe(401); // one handshake only
  });
});
