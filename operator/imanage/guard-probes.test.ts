// The guard stops a whole probe before its first packet. Names resolve through a stub resolver,
// and every connect the probes make goes through a spy that lets loopback through and refuses
// anything else itself: a broken guard fails these tests with the address it let through, and
// still sends nothing. Also: an IPv6 literal URL probed for real against a [::1] HTTPS server.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { HostOverrides, ProbeGuard, type LookupAddress } from './network.ts';
import { probeReachability } from './reachability.ts';
import { probeRegistration } from './registration.ts';

/** Wraps a module's `connect`: records the host; only loopback reaches the real one. */
const { attempts, spyConnect } = vi.hoisted(() => {
  const seen: string[] = [];
  const wrap = <F extends (...args: never[]) => unknown>(real: F): F =>
    ((...args: Parameters<F>) => {
      const options = args[0] as { host?: string; socket?: { remoteAddress?: string } };
      const host = options.host ?? options.socket?.remoteAddress ?? 'localhost';
      seen.push(host);
      if (!/^(127\.|::1$|::ffff:127\.|localhost$)/.test(host))
        throw new Error(`test spy: a probe tried to connect to ${host}`);
      return real(...args);
    }) as F;
  return { attempts: seen, spyConnect: wrap };
});

vi.mock('node:net', async (original) => {
  const net = await original<typeof import('node:net')>();
  const connect = spyConnect(net.connect);
  return { ...net, connect, createConnection: connect, default: { ...net, connect, createConnection: connect } };
});
vi.mock('node:tls', async (original) => {
  const tls = await original<typeof import('node:tls')>();
  const connect = spyConnect(tls.connect);
  return { ...tls, connect, default: { ...tls, connect } };
});

const stubLookup =
  (answers: Record<string, string>): LookupAddress =>
  async (host) => {
    const address = answers[host];
    if (address === undefined) throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
    return { address };
  };

const production = new ProbeGuard({ allowLoopback: false, serviceCidrs: ['10.96.0.0/12'] });

beforeEach(() => {
  attempts.length = 0;
});

describe('a refused address is never connected to', () => {
  it.each([
    ['metadata.example', '169.254.169.254'],
    ['mapped-metadata.example', '::ffff:169.254.169.254'],
    ['nat64-metadata.example', '64:ff9b::a9fe:a9fe'],
    ['alibaba-metadata.example', '100.100.100.200'],
    ['aws-v6-metadata.example', 'fd00:ec2::254'],
    ['unspecified.example', '::'],
    ['zeros.example', '0:0:0:0:0:0:0:0'],
    ['service.example', '10.96.0.10'],
    ['private.example', '192.168.1.10'],
    ['loopback.example', '127.0.0.1'],
  ])('%s → %s: reachability says Forbidden, registration is not asked, no connect', async (host, address) => {
    const overrides = new HostOverrides([], stubLookup({ [host]: address }));
    const reach = await probeReachability(
      { host, port: 443 },
      { timeoutMs: 2000, overrides, blocked: production, now: () => new Date() },
    );
    // The verdict (which class of address, which range) travels for operators' debug logs.
    expect(reach.outcome).toMatchObject({ kind: 'Forbidden', verdict: { allowed: false } });
    const registration = await probeRegistration(
      { baseUrl: new URL(`https://${host}/`), clientId: 'c', redirectUri: 'https://app.example/cb', scope: 'user' },
      { overrides, blocked: production, timeoutMs: 2000 },
    );
    expect(registration).toEqual({ kind: 'NotAsked', cause: 'ProbeTargetForbiddenError' });
    expect(attempts).toEqual([]);
  });

  it('the spy does see a connect the guard allows (so an empty list means something)', async () => {
    const overrides = new HostOverrides([], stubLookup({ 'public.example': '192.0.2.1' }));
    const open = new ProbeGuard({ allowLoopback: false, serviceCidrs: [], allowedCidrs: ['192.0.2.0/24'] });
    const reach = await probeReachability(
      { host: 'public.example', port: 443 },
      { timeoutMs: 2000, overrides, blocked: open, now: () => new Date() },
    );
    expect(attempts).toEqual(['192.0.2.1']);
    expect(reach.outcome).toMatchObject({ kind: 'ConnectFailed' });
  });
});

describe('an IPv6 literal URL against a [::1] HTTPS server', () => {
  const testdata = join(import.meta.dirname, 'testdata');
  const cert = readFileSync(join(testdata, 'ipv6-loopback.crt'), 'utf8');
  const seen: { sni: string | false; path: string; host: string }[] = [];
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer({ cert, key: readFileSync(join(testdata, 'ipv6-loopback.key'), 'utf8') }, (req, res) => {
      seen.push({
        sni: (req.socket as { servername?: string | false }).servername ?? false,
        path: req.url ?? '',
        host: req.headers.host ?? '',
      });
      res
        .writeHead(req.url === '/api' ? 401 : 302, req.url === '/api' ? {} : { location: 'https://[::1]/signin' })
        .end();
    });
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    seen.length = 0;
  });

  const noDns: LookupAddress = async (host) => {
    throw new Error(`test: DNS asked for ${host}`);
  };

  it('is reached without DNS, over verified TLS checked against the IP address, with no SNI', async () => {
    const guard = new ProbeGuard({ allowLoopback: true, serviceCidrs: [] });
    const reach = await probeReachability(
      { host: '[::1]', port, ca: cert },
      { timeoutMs: 5000, overrides: new HostOverrides([], noDns), blocked: guard, now: () => new Date() },
    );
    expect(reach.outcome).toEqual({ kind: 'Answered', httpStatus: 401 });
    expect(reach.address).toBe('::1');
    expect(seen).toEqual([{ sni: false, path: '/api', host: `[::1]:${port}` }]);
  });

  it('registration asks the [::1] authorize endpoint the same way', async () => {
    const guard = new ProbeGuard({ allowLoopback: true, serviceCidrs: [] });
    const outcome = await probeRegistration(
      {
        baseUrl: new URL(`https://[::1]:${port}/`),
        clientId: 'c',
        redirectUri: 'https://app.example/cb',
        scope: 'user',
        ca: cert,
      },
      { overrides: new HostOverrides([], noDns), blocked: guard, timeoutMs: 5000 },
    );
    expect(outcome).toEqual({ kind: 'Registered', via: 'redirect' });
    expect(seen).toMatchObject([{ sni: false, path: expect.stringMatching(/^\/auth\/oauth2\/authorize\?/) }]);
  });

  it('without --allow-loopback-probes, [::1] is refused and never connected to', async () => {
    const reach = await probeReachability(
      { host: '[::1]', port, ca: cert },
      { timeoutMs: 5000, overrides: new HostOverrides([], noDns), blocked: production, now: () => new Date() },
    );
    expect(reach.outcome).toEqual({
      kind: 'Forbidden',
      literal: true,
      verdict: expect.objectContaining({ allowed: false, category: 'loopback', judged: '::1' }),
    });
    expect(attempts).toEqual([]);
    expect(seen).toEqual([]);
  });
});
