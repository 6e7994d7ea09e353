// Many virtual hosts on one port: SNI picks the certificate, the Host header picks the customer.
import { connect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from './server.ts';
import { send, type Target } from './testing/client.ts';
import { CLOUD, ONPREM, passwordToken, scenario, SECRETS, target, VANITY } from './testing/fixture.ts';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator(scenario, { adminPort: false });
});
afterAll(() => sim.stop());

function peerCertificate(servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: sim.httpsPort, servername, ca: sim.caPem }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

async function customerOf(t: Target, token: string): Promise<string | number> {
  const res = await send(t, { path: '/api', headers: { 'x-auth-token': token } });
  return res.status === 200
    ? res.json<{ data: { user: { customer_id: string } } }>().data.user.customer_id
    : res.status;
}

describe('virtual hosts', () => {
  it.each([CLOUD, VANITY, ONPREM])(
    'serves %s with a certificate for that name, signed by the test CA',
    async (host) => {
      const cert = await peerCertificate(host);
      expect(cert.subjectaltname).toBe(`DNS:${host}`);
      expect(cert.issuer.CN).toBe('iManage Simulator Test CA');
    },
  );

  it('lets the signed-in user pick the customer on the multi-customer cloud host', async () => {
    const cloud = target(sim, CLOUD);
    expect(await customerOf(cloud, await passwordToken(sim, CLOUD))).toBe('100');
    const bravo = await passwordToken(sim, CLOUD, { username: 'bbrown', password: SECRETS.bbrown });
    expect(await customerOf(cloud, bravo)).toBe('200');
  });

  it('accepts a token on every host of its customer and on no other', async () => {
    const token = await passwordToken(sim, VANITY);
    expect(await customerOf(target(sim, CLOUD), token)).toBe('100');
    expect(await customerOf(target(sim, ONPREM), token)).toBe(401);
  });

  it('answers 421 over plain HTTP for a Host it does not serve', async () => {
    const res = await send({ port: sim.httpPort ?? 0, host: 'unknown.example' }, { path: '/api' });
    expect(res.status).toBe(421);
    expect(res.json()).toMatchObject({ error: { code: 'MISDIRECTED_REQUEST' } });
  });

  it('answers 421 when the Host header names another host than the TLS handshake', async () => {
    const res = await send(target(sim, VANITY), { path: '/api', headers: { host: `${ONPREM}:${sim.httpsPort}` } });
    expect(res.status).toBe(421);
  });

  it('gives an unknown SNI name the localhost certificate, which fails verification for that name', async () => {
    const failure = await send(target(sim, 'unknown.example'), { path: '/api' }).then(
      () => undefined,
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(failure).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
