// The egress proxy: settings, NO_PROXY, and requests to the simulator through a CONNECT proxy on
// loopback written here (node:net), which resolves names from its own table as an enterprise
// proxy does. Names the operator resolves go to a stub, so nothing leaves 127.0.0.1.
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { scenario, SECRETS, VANITY } from '../../simulator/testing/fixture.ts';
import { FakeClock } from '../runtime/clock.ts';
import { HostOverrides, ProbeGuard } from './network.ts';
import { IManageOAuthClient } from './oauth.ts';
import { TargetForbidden, Unreachable } from './oauth-errors.ts';
import { HostPhases } from './probe-cache.ts';
import {
  bypassesProxy,
  describeProxy,
  type EgressProxy,
  parseEgressProxy,
  parseNoProxy,
  ProxySettingError,
  redactedUrl,
} from './proxy.ts';
import { probeReachability } from './reachability.ts';
import { planResolution } from './resolve-plan.ts';
import { resolvePlan, SearchLoad } from './resolve.ts';
import { WorkClient } from './work.ts';

describe('proxy settings', () => {
  it.each([
    ['http://proxy.corp:3128', { host: 'proxy.corp', port: 3128 }],
    ['proxy.corp:8080', { host: 'proxy.corp', port: 8080 }],
    ['http://[fd00::1]', { host: 'fd00::1', port: 80 }],
  ])('reads %s', (url, expected) => {
    expect(parseEgressProxy(url)).toMatchObject(expected);
  });

  it('turns user and password into a Basic header that its description leaves out', () => {
    const proxy = parseEgressProxy('http://svc%40corp:s3cret-pw@proxy.corp:3128')!;
    expect(proxy.authorization).toBe(`Basic ${Buffer.from('svc@corp:s3cret-pw').toString('base64')}`);
    expect(describeProxy(proxy)).toBe('http://proxy.corp:3128');
    expect(redactedUrl('http://svc:s3cret-pw@proxy.corp:3128')).toBe('http://proxy.corp:3128');
  });

  it.each(['https://proxy.corp:3128', 'socks5://proxy.corp:1080', 'http://proxy.corp:3128/path', 'http://:x'])(
    'refuses %s, saying what to write',
    (url) => {
      expect(() => parseEgressProxy(url)).toThrow(ProxySettingError);
      expect(() => parseEgressProxy(url)).toThrow(/http:\/\/|URL such as/);
    },
  );

  it('is off when empty', () => {
    expect(parseEgressProxy('')).toBeUndefined();
  });

  it.each(['bad entry!', '10.0.0.0/99'])('refuses the NO_PROXY entry %j', (entry) => {
    expect(() => parseNoProxy(entry)).toThrow(/NO_PROXY entry/);
  });

  const proxy = parseEgressProxy(
    'http://proxy.corp:3128',
    '.internal.example, dms.onprem.example:8443 ,10.0.0.0/8,::1',
  )!;
  it.each([
    ['acme.cloudimanage.com', 443, false],
    ['internal.example', 443, true],
    ['a.b.internal.example', 443, true],
    ['notinternal.example', 443, false],
    ['dms.onprem.example', 8443, true],
    ['dms.onprem.example', 443, false],
    ['10.1.2.3', 443, true],
    ['[::1]', 443, true],
    ['11.1.2.3', 443, false],
  ])('NO_PROXY: %s:%d goes around the proxy: %s', (host, port, expected) => {
    expect(bypassesProxy(proxy, host, port)).toBe(expected);
  });

  it('NO_PROXY=* sends everything directly', () => {
    expect(bypassesProxy(parseEgressProxy('http://p:1', '*')!, 'acme.cloudimanage.com', 443)).toBe(true);
  });
});

// ---- A CONNECT proxy on loopback ---------------------------------------------------------------

interface ProxyLog {
  readonly connects: string[];
  readonly authorizations: (string | undefined)[];
  /** What the client sent through each tunnel (its first bytes hold the TLS ClientHello). */
  readonly relayed: Buffer[];
}

let sim: RunningSimulator;
let proxyServer: Server;
let proxyPort: number;
let log: ProxyLog;
let requiredAuthorization: string | undefined;

/** The proxy's own name table: it, not the operator, decides where a name goes. */
const proxyNames = () => new Map([[`${VANITY}:443`, sim.httpsPort]]);

function handleConnect(client: Socket): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    client.off('data', onData);
    const lines = head.subarray(0, end).toString('latin1').split('\r\n');
    const target = /^CONNECT (\S+) HTTP\/1\.1$/.exec(lines[0]!)?.[1] ?? '';
    const authorization = lines.find((l) => /^proxy-authorization:/i.test(l))?.replace(/^[^:]+:\s*/, '');
    log.connects.push(target);
    log.authorizations.push(authorization);
    if (requiredAuthorization && authorization !== requiredAuthorization) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
      return;
    }
    const port = proxyNames().get(target) ?? (/^127\.0\.0\.1:(\d+)$/.exec(target) ? Number(target.split(':')[1]) : 0);
    if (!port) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const relayed: Buffer[] = [];
      log.relayed.push(Buffer.alloc(0));
      const index = log.relayed.length - 1;
      client.on('data', (chunk: Buffer) => {
        relayed.push(chunk);
        log.relayed[index] = Buffer.concat(relayed);
      });
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  };
  client.on('data', onData);
}

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  sim.admin.addWorkspace('100', 'ACTIVE_US', { name: 'Proxy Matter', folders: [{ name: 'Documents' }] });
  proxyServer = createServer(handleConnect);
  proxyServer.listen(0, '127.0.0.1');
  await once(proxyServer, 'listening');
  proxyPort = (proxyServer.address() as AddressInfo).port;
});
afterAll(async () => {
  proxyServer.close();
  await sim.stop();
});
afterEach(() => {
  requiredAuthorization = undefined;
});

const guard = new ProbeGuard({ allowLoopback: true, serviceCidrs: [] });
/** The operator's view of DNS: the iManage host is on loopback here, an internal name is private. */
const stubLookup = async (host: string) => {
  if (host === VANITY) return { address: '127.0.0.1' };
  if (host === 'intranet.corp.example') return { address: '10.0.0.5' };
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};

/** Each test its own override table, so that it gets agents (and sockets) of its own. */
function networkVia(proxy: EgressProxy | undefined, entries: string[] = []) {
  log = { connects: [], authorizations: [], relayed: [] };
  return { overrides: new HostOverrides(entries, stubLookup, proxy), guard, timeoutMs: 10_000 };
}

const proxyUrl = (credentials = '') => `http://${credentials}127.0.0.1:${proxyPort}`;

function oauthClient(network: ReturnType<typeof networkVia>, host = VANITY): IManageOAuthClient {
  const server = { baseUrl: new URL(`https://${host}`), clientId: 'web-app', clientSecret: SECRETS.webApp };
  return new IManageOAuthClient({ ...server, ca: sim.caPem }, network);
}

describe('through a CONNECT proxy', () => {
  it('obtains a token and resolves a repository, TLS to the iManage host end to end', async () => {
    const network = networkVia(parseEgressProxy(proxyUrl()));
    const tokens = await oauthClient(network).password('jsmith', SECRETS.jsmith);
    const work = new WorkClient(
      { apiBase: new URL(`https://${VANITY}`), customerId: '100', ca: sim.caPem },
      network,
      () => tokens.accessToken,
    );
    const plan = planResolution({ workType: '*', resolver: 'Proxy Matter', folder: 'Documents' });
    if (!plan.ok) throw new Error(plan.message);
    const load = new SearchLoad({ clock: new FakeClock(), hosts: new HostPhases() });
    const asker = { connection: 'default/proxy', owner: 'default/repo', intervalMs: 60_000 };
    const outcome = await resolvePlan({ work, load, library: 'ACTIVE_US', asker }, plan);
    expect(outcome).toMatchObject({
      kind: 'Resolved',
      workspace: { name: 'Proxy Matter' },
      folder: { path: 'Documents' },
    });
    // The proxy was asked for the iManage host by name, once: every request shared the tunnel.
    expect(log.connects).toEqual([`${VANITY}:443`]);
    const relayed = Buffer.concat(log.relayed);
    expect(relayed.includes(VANITY)).toBe(true); // the SNI of the ClientHello
    expect(relayed.includes(SECRETS.jsmith)).toBe(false);
    expect(relayed.includes(tokens.accessToken)).toBe(false);
  });

  it('sends the Basic credentials of the proxy URL, and never repeats them in a refusal', async () => {
    requiredAuthorization = `Basic ${Buffer.from('svc:proxy-pw-77').toString('base64')}`;
    const wrong = networkVia(parseEgressProxy(proxyUrl('svc:wrong-pw-12@')));
    const refused = oauthClient(wrong).password('jsmith', SECRETS.jsmith);
    await expect(refused).rejects.toBeInstanceOf(Unreachable);
    await expect(refused).rejects.not.toThrow(/wrong-pw-12|c3ZjOndyb25nLXB3LTEy/);
    await expect(refused).rejects.toThrow(/answered HTTP 407 to CONNECT acme\.cloudimanage\.com:443/);
    const network = networkVia(parseEgressProxy(proxyUrl('svc:proxy-pw-77@')));
    await expect(oauthClient(network).password('jsmith', SECRETS.jsmith)).resolves.toMatchObject({
      tokenType: expect.any(String),
    });
    expect(log.authorizations).toEqual([requiredAuthorization]);
  });

  it('still judges the name: a host that resolves to a private address opens no tunnel', async () => {
    const network = networkVia(parseEgressProxy(proxyUrl()));
    const attempt = oauthClient(network, 'intranet.corp.example').password('jsmith', SECRETS.jsmith);
    await expect(attempt).rejects.toBeInstanceOf(TargetForbidden);
    await expect(attempt).rejects.toThrow(/intranet\.corp\.example resolves to 10\.0\.0\.5, a private address/);
    expect(log.connects).toEqual([]);
  });

  it('goes around the proxy for NO_PROXY hosts', async () => {
    const network = networkVia(parseEgressProxy(proxyUrl(), `.cloudimanage.com`), [
      `${VANITY}:443:127.0.0.1:${sim.httpsPort}`,
    ]);
    await expect(oauthClient(network).password('jsmith', SECRETS.jsmith)).resolves.toBeDefined();
    expect(log.connects).toEqual([]);
  });

  it('probes reachability through the tunnel, and reports a proxy refusal as a connect failure', async () => {
    const options = { timeoutMs: 10_000, blocked: guard, now: () => new Date() };
    const through = networkVia(parseEgressProxy(proxyUrl()));
    const target = { host: VANITY, port: 443, ca: sim.caPem };
    const answered = await probeReachability(target, { ...options, overrides: through.overrides });
    expect(answered.outcome).toMatchObject({ kind: 'Answered' });
    expect(log.connects).toEqual([`${VANITY}:443`]);
    requiredAuthorization = 'Basic nobody';
    const refused = await probeReachability(target, {
      ...options,
      overrides: networkVia(through.overrides.proxy).overrides,
    });
    expect(refused.outcome).toEqual({ kind: 'ConnectFailed', code: 'PROXY_407' });
  });
});
