// Issue 18, finding 2: a host that answers the registration probe one byte at a time must not
// hold it. The probe has a deadline for the whole request; before, its timeout was an idle one and
// a drip faster than it kept the probe (and the reconcile worker running it) waiting for ever.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, currentValidity, issueServerCertificate } from '../../simulator/tls/certs.ts';
import { HostOverrides, ProbeGuard } from './network.ts';
import { probeRegistration } from './registration.ts';

const HOST = 'drip.example';
const TIMEOUT_MS = 600;
/** Well inside the timeout, so an idle timeout never fires. */
const DRIP_EVERY_MS = 100;

const ca = createAuthority();
const certificate = issueServerCertificate(ca, [HOST], currentValidity());
let server: Server;
let bytesDripped = 0;
let port = 0;

beforeAll(async () => {
  server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    const drip = setInterval(() => {
      bytesDripped++;
      res.write('x');
    }, DRIP_EVERY_MS);
    res.once('close', () => clearInterval(drip));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the registration probe against a dripping host', () => {
  it('ends with a timeout while the host is still dripping', async () => {
    const outcome = await probeRegistration(
      {
        baseUrl: new URL(`https://${HOST}`),
        clientId: 'c',
        redirectUri: 'https://app.example/cb',
        scope: 'user',
        ca: ca.certPem,
      },
      {
        overrides: new HostOverrides([`${HOST}:443:127.0.0.1:${port}`]),
        blocked: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
        timeoutMs: TIMEOUT_MS,
      },
    );
    expect(outcome).toEqual({ kind: 'NotAsked', cause: 'ETIMEDOUT' });
    // The host never stopped: only the probe's own deadline could have ended it.
    expect(bytesDripped).toBeGreaterThan(0);
  });
});
