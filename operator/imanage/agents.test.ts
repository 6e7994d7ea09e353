// Kept-alive connections: counted on a loopback TLS server's side (handshakes, resumed sessions,
// closed sockets), with names resolved by a stub so that nothing leaves 127.0.0.1.
import { once } from 'node:events';
import { type Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority, currentValidity, issueServerCertificate } from '../../simulator/tls/certs.ts';
import { AgentPool, MAX_AGENTS, type Route } from './agents.ts';
import { HostOverrides, ProbeGuard } from './network.ts';
import { pinnedFetch } from './oauth.ts';
import { TransportFailure } from './oauth-errors.ts';

const authority = createAuthority('agents test CA');
const otherAuthority = createAuthority('agents test other CA');
const HOSTS = ['a.agents.test', 'b.agents.test', 'c.agents.test'];
let server: Server;
let port: number;
/** This test's server-side sockets (replaced after each test, so late closes of earlier ones do not count). */
let handshakes: { resumed: boolean; closed: boolean }[] = [];
const closed = () => handshakes.filter((h) => h.closed).length;
let lookups = 0;

const lookup = async (host: string) => {
  lookups++;
  if (!HOSTS.includes(host)) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return { address: '127.0.0.1' };
};
const overrides = new HostOverrides([], lookup);
const guard = new ProbeGuard({ allowLoopback: true, serviceCidrs: [] });

beforeAll(async () => {
  const cert = issueServerCertificate(authority, HOSTS, currentValidity());
  server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/close') res.setHeader('connection', 'close');
    res.end('{"ok":true}');
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const handshake = { resumed: socket.isSessionReused(), closed: false };
    handshakes.push(handshake);
    socket.once('close', () => (handshake.closed = true));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());
afterEach(() => {
  handshakes = [];
  lookups = 0;
});

const route = (host: string, extra: Partial<Route> = {}): Route => ({
  host,
  port,
  ca: authority.certPem,
  overrides,
  guard,
  ...extra,
});

function get(agent: Agent, host: string, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('AgentPool', () => {
  it('sends twenty requests to one host over one TLS handshake, judged and resolved once', async () => {
    const pool = new AgentPool();
    for (let i = 0; i < 20; i++) expect(await get(pool.agentFor(route(HOSTS[0]!)), HOSTS[0]!)).toBe(200);
    expect(handshakes).toHaveLength(1);
    expect(lookups).toBe(1);
    pool.destroy();
  });

  it('gives a different CA bundle its own agent and connection', async () => {
    const pool = new AgentPool();
    const plain = pool.agentFor(route(HOSTS[0]!));
    const other = pool.agentFor(route(HOSTS[0]!, { ca: `${authority.certPem}\n${otherAuthority.certPem}` }));
    expect(other).not.toBe(plain);
    expect(pool.agentFor(route(HOSTS[0]!))).toBe(plain);
    await get(plain, HOSTS[0]!);
    await get(other, HOSTS[0]!);
    await get(plain, HOSTS[0]!);
    expect(handshakes).toHaveLength(2);
    pool.destroy();
  });

  it('tells CA bundles apart by their content, whether their digest is remembered or not', () => {
    const pool = new AgentPool();
    const bundle = (copies: number): string => Array.from({ length: copies }, () => authority.certPem).join('\n');
    const large = bundle(Math.ceil((64 * 1024) / authority.certPem.length) + 1); // above what is remembered
    const first = pool.agentFor(route(HOSTS[0]!, { ca: bundle(1) }));
    const big = pool.agentFor(route(HOSTS[0]!, { ca: large }));
    // 70 other bundles push the first out of the remembered digests: it is hashed again, to the same agent.
    const many = Array.from({ length: 70 }, (_, i) =>
      pool.agentFor(route(HOSTS[0]!, { ca: bundle(1) + '\n'.repeat(i + 1) })),
    );
    expect(new Set([first, big, ...many]).size).toBe(72);
    expect(pool.agentFor(route(HOSTS[0]!, { ca: `${bundle(1)}` }))).toBe(first);
    expect(pool.agentFor(route(HOSTS[0]!, { ca: large.slice() }))).toBe(big);
    pool.destroy();
  });

  it('gives another guard its own agent: a socket one guard approved is not lent to another', () => {
    const pool = new AgentPool();
    const strict = new ProbeGuard({ allowLoopback: false, serviceCidrs: [] });
    expect(pool.agentFor(route(HOSTS[0]!, { guard: strict }))).not.toBe(pool.agentFor(route(HOSTS[0]!)));
    pool.destroy();
  });

  it('resumes the TLS session when a new socket is needed', async () => {
    const pool = new AgentPool();
    await get(pool.agentFor(route(HOSTS[0]!)), HOSTS[0]!, '/close');
    await until(() => closed() === 1);
    await get(pool.agentFor(route(HOSTS[0]!)), HOSTS[0]!);
    expect(handshakes.map((h) => h.resumed)).toEqual([false, true]);
    pool.destroy();
  });

  it('judges every new socket: a guard that refuses loopback sends nothing', async () => {
    const pool = new AgentPool();
    const strict = new ProbeGuard({ allowLoopback: false, serviceCidrs: [] });
    // The message is what status may show: no address; the address and its class are for logs.
    await expect(get(pool.agentFor(route(HOSTS[0]!, { guard: strict })), HOSTS[0]!)).rejects.toMatchObject({
      message: 'cannot connect to a.agents.test',
      detail: expect.stringMatching(/a\.agents\.test resolves to 127\.0\.0\.1, a loopback address/),
    });
    expect(handshakes).toHaveLength(0);
    pool.destroy();
  });

  it('keeps at most maxAgents, and closes the idle sockets of the one it evicts', async () => {
    const pool = new AgentPool({ maxAgents: 2 });
    for (const host of HOSTS) await get(pool.agentFor(route(host)), host);
    expect(pool.size).toBe(2);
    await until(() => closed() === 1);
    expect(handshakes).toHaveLength(3);
    pool.destroy();
  });

  it('holds no more than MAX_AGENTS agents however many hosts it is asked for', () => {
    const pool = new AgentPool();
    for (let i = 0; i < 1_500; i++)
      pool.agentFor(route(`tenant-${i}.agents.test`, { ca: `${authority.certPem}\n#${i}` }));
    expect(pool.size).toBe(MAX_AGENTS);
    pool.destroy();
  });

  it('drops agents unused for longer than idleAgentMs on the next call', async () => {
    let now = 0;
    const pool = new AgentPool({ idleAgentMs: 1_000, now: () => now });
    await get(pool.agentFor(route(HOSTS[0]!)), HOSTS[0]!);
    now = 5_000;
    pool.agentFor(route(HOSTS[1]!));
    expect(pool.size).toBe(1);
    await until(() => closed() === 1);
    pool.destroy();
  });

  it('closes a free socket after idleSocketMs', async () => {
    const pool = new AgentPool({ idleSocketMs: 50 });
    await get(pool.agentFor(route(HOSTS[0]!)), HOSTS[0]!);
    await until(() => closed() === 1);
    expect(pool.size).toBe(1);
    pool.destroy();
  });
});

describe('pinnedFetch on the shared pool', () => {
  const network = { overrides, guard, timeoutMs: 10_000 };

  it('makes one handshake for ten requests', async () => {
    const fetch = pinnedFetch(network, authority.certPem);
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`https://${HOSTS[2]}:${port}/`, { method: 'GET', headers: {} } as never);
      expect(await res.json()).toEqual({ ok: true });
    }
    expect(handshakes).toHaveLength(1);
  });

  it('turns the guard refusing a new socket into a TransportFailure marked forbidden', async () => {
    const strict = { ...network, guard: new ProbeGuard({ allowLoopback: false, serviceCidrs: [] }) };
    const attempt = pinnedFetch(strict, authority.certPem)(`https://${HOSTS[2]}:${port}/`, {
      method: 'GET',
      headers: {},
    } as never);
    await expect(attempt).rejects.toBeInstanceOf(TransportFailure);
    await expect(attempt).rejects.toMatchObject({
      forbidden: true,
      message: expect.not.stringMatching(/127\.0\.0\.1|loopback/),
    });
  });
});
