// Issue 18, finding 4: the callback is unauthenticated, so what a request may cost is bounded. A
// flood of forged states costs no API-server read (the MAC is checked first, with the key held in
// memory); one source is held to its rate; a slow client is cut off; sockets are capped.
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { imanageConnections } from '../api/kinds.ts';
import { createLogger } from '../runtime/log.ts';
import { CALLBACK_LIMITS, type CallbackLimits, type CallbackServer, startCallbackServer } from './callback-server.ts';
import { issueState } from './link-state.ts';
import { LinkStore } from './link-store.ts';
import { MemoryApi } from './link-testing.ts';

const CALLBACK = 'https://imanage-operator.example.test/oauth/callback';
const CONNECTION = { namespace: 'clio', name: 'acme', uid: 'uid-acme-1' };
const NOW = new Date('2026-01-05T10:00:00Z');
const open: CallbackServer[] = [];
afterEach(async () => void (await Promise.all(open.splice(0).map((s) => s.close()))));

async function serve(limits: Partial<CallbackLimits> = {}) {
  const api = new MemoryApi();
  api.put(imanageConnections, { metadata: { ...CONNECTION }, spec: { url: 'https://x.example' } } as never);
  const store = new LinkStore(api, 'imanage-system', () => NOW);
  const key = await store.key(); // the replica made or read its key once, as issuing any URL does
  const sink = { storeLinkedTokens: async () => undefined };
  const context = { client: api, store, sink, network: {} as never, callbackUrl: CALLBACK, now: () => NOW };
  const server = await startCallbackServer({
    address: { host: '127.0.0.1', port: 0 },
    callbackUrl: CALLBACK,
    context: { ...context, logger: createLogger({ level: 'silent' }) },
    limits: { ...CALLBACK_LIMITS, ...limits },
    clock: () => 0, // no bucket refills during a test
  });
  open.push(server);
  return { api, server, key };
}

function get(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const readsOf = (api: MemoryApi) => Object.fromEntries(api.reads);
const generous = {
  ...CALLBACK_LIMITS.rates,
  perSource: { burst: 1e6, perSecond: 1 },
  global: { burst: 1e6, perSecond: 1 },
};

describe('what an unauthenticated callback may cost', () => {
  it('answers 2,000 forged states with no API-server read at all', async () => {
    const { api, server } = await serve({ rates: generous });
    const forged = issueState(Buffer.alloc(32, 7), CONNECTION, NOW).state; // well-formed, wrong key
    const before = readsOf(api);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const statuses = new Set<number>();
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const state = i % 2 ? forged : `v1.x${batch}${i}.y`;
          return get(server.port, `/oauth/callback?code=c&state=${encodeURIComponent(state)}`, agent);
        }),
      );
      for (const a of answers) statuses.add(a);
    }
    agent.destroy();
    expect([...statuses]).toEqual([400]);
    expect(readsOf(api)).toEqual(before);
  });

  it('holds one source to its rate: past the burst it is answered 429 with Retry-After', async () => {
    const { server } = await serve();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const statuses: number[] = [];
    for (let i = 0; i < CALLBACK_LIMITS.rates.perSource.burst + 5; i++) {
      statuses.push(await get(server.port, '/oauth/callback?state=v1.a.b', agent));
    }
    agent.destroy();
    const burst = CALLBACK_LIMITS.rates.perSource.burst;
    expect(statuses).toEqual([...Array(burst).fill(400), ...Array(5).fill(429)]);
  });

  it('cuts off a client that drips its headers, however long it keeps dripping', async () => {
    const { server } = await serve({ headersMs: 300, checkMs: 100 });
    const socket = connect(server.port, '127.0.0.1');
    let dripped = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(dripped++ === 0 ? 'GET /oauth/callback?state=x HTTP/1.1\r\nX-Slow: ' : 'a');
    }, 50);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()).on('error', () => undefined));
    clearInterval(drip);
    expect(dripped).toBeGreaterThan(0); // it was still dripping when the server closed it
  });

  it('caps open sockets: one past the cap is closed without an answer', async () => {
    const { server } = await serve({ connections: 2 });
    const sockets: Socket[] = [];
    const connected = (s: Socket) => new Promise<void>((r) => s.once('connect', () => r()));
    for (let i = 0; i < 2; i++) sockets.push(connect(server.port, '127.0.0.1'));
    await Promise.all(sockets.map(connected));
    const extra = connect(server.port, '127.0.0.1');
    let answered = '';
    extra.on('data', (d) => (answered += d.toString())).on('error', () => undefined);
    extra.write('GET /oauth/callback HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => extra.on('close', () => resolve()));
    expect(answered).toBe('');
    for (const s of sockets) s.destroy();
  });
});
