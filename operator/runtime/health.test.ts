import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  API_UNREACHABLE_UNREADY_MS,
  drained,
  HealthServer,
  MAX_METRIC_NAMES,
  metricNames,
  operatorReadiness,
  type HealthServerOptions,
  type Readiness,
} from './health.ts';
import { createMetrics } from './metrics.ts';
import { OperatorRegistry, SERIES_PER_PIECE } from './sampled-metrics.ts';

const servers: HealthServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function startServer(options: Partial<HealthServerOptions> = {}): Promise<string> {
  const metrics = createMetrics({ processMetrics: false });
  metrics.leader.set(1);
  const server = new HealthServer({
    host: '127.0.0.1',
    port: 0,
    isReady: () => true,
    registry: metrics.registry,
    ...options,
  });
  servers.push(server);
  const { host, port } = await server.start();
  return `http://${host}:${port}`;
}

describe('HealthServer', () => {
  it('/healthz answers 200 while the process is alive', async () => {
    const base = await startServer();
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it.each<[string, () => boolean]>([
    ['isAlive returns false', () => false],
    [
      'isAlive throws',
      () => {
        throw new Error('wedged');
      },
    ],
  ])('/healthz answers 503 when %s', async (_name, isAlive) => {
    const base = await startServer({ isAlive });
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
  });

  it.each<[string, () => boolean | Readiness, number, Record<string, string>]>([
    ['ready (boolean)', () => true, 200, { status: 'ok' }],
    ['ready (object)', () => ({ ready: true }), 200, { status: 'ok' }],
    ['not ready (boolean)', () => false, 503, { status: 'not ready', reason: 'caches not synced' }],
    [
      'not ready with a reason',
      () => ({ ready: false, reason: 'waiting for leader lease' }),
      503,
      { status: 'not ready', reason: 'waiting for leader lease' },
    ],
    [
      'check throws',
      () => {
        throw new Error('x');
      },
      503,
      { status: 'not ready', reason: 'readiness check failed' },
    ],
  ])('/readyz when %s → %i', async (_name, isReady, status, body) => {
    const base = await startServer({ isReady });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(body);
  });

  it('/readyz turns 200 once caches sync', async () => {
    let synced = false;
    const base = await startServer({ isReady: () => synced });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    synced = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('/metrics serves the registry in Prometheus text format', async () => {
    const base = await startServer();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('imanage_operator_leader 1');
  });

  it('/metrics answers HEAD with the head alone, without rendering the series', async () => {
    const registry = new OperatorRegistry();
    let samples = 0;
    registry.addSampled({
      name: 'counted',
      help: 'Counts its samples.',
      labelNames: ['n'],
      sample: () => (samples++, [1]),
      labelValues: (n) => [String(n)],
      value: (n) => n,
    });
    const base = await startServer({ registry });
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('text/plain');
    expect(samples).toBe(0);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('counted{n="1"} 1');
    expect(samples).toBe(1);
  });

  it('/metrics?name[]= serves only the metrics named, and does not sample a gauge left out', async () => {
    const registry = new OperatorRegistry();
    new Counter({ name: 'kept_total', help: 'Kept.', registers: [registry] }).inc(3);
    new Counter({ name: 'left_total', help: 'Left out.', registers: [registry] }).inc();
    let samples = 0;
    for (const name of ['kept_gauge', 'left_gauge']) {
      registry.addSampled({
        name,
        help: 'One series.',
        labelNames: ['n'],
        sample: () => (name === 'left_gauge' && samples++, [1]),
        labelValues: (n) => [String(n)],
        value: (n) => n,
      });
    }
    const base = await startServer({ registry });
    const named = await (await fetch(`${base}/metrics?name[]=kept_total&name[]=kept_gauge&name[]=unknown`)).text();
    expect(named).toBe(
      '# HELP kept_total Kept.\n# TYPE kept_total counter\nkept_total 3\n\n' +
        '# HELP kept_gauge One series.\n# TYPE kept_gauge gauge\nkept_gauge{n="1"} 1\n',
    );
    expect(samples).toBe(0);
    const counterOnly = await (await fetch(`${base}/metrics?name[]=kept_total`)).text();
    expect(counterOnly).toBe('# HELP kept_total Kept.\n# TYPE kept_total counter\nkept_total 3\n');
    expect(await (await fetch(`${base}/metrics?name[]=unknown`)).text()).toBe('');
    const all = await (await fetch(`${base}/metrics`)).text();
    expect(all).toContain('left_total 1');
    expect(all).toContain('left_gauge{n="1"} 1');
    expect(samples).toBe(1);
  });

  it('/metrics?name[]= filters a plain prom-client registry too', async () => {
    const base = await startServer();
    const text = await (await fetch(`${base}/metrics?name[]=imanage_operator_leader`)).text();
    expect(text).toBe(
      '# HELP imanage_operator_leader 1 while this replica holds the leader lease, else 0.\n' +
        '# TYPE imanage_operator_leader gauge\nimanage_operator_leader 1\n',
    );
  });

  it('reads at most MAX_METRIC_NAMES names from one scrape', () => {
    const query = new URLSearchParams(
      Array.from({ length: MAX_METRIC_NAMES + 5 }, (_, i): [string, string] => ['name[]', `m${i}`]),
    );
    expect(metricNames(query)?.size).toBe(MAX_METRIC_NAMES);
    expect(metricNames(new URLSearchParams('other=1'))).toBeUndefined();
  });

  it('/metrics cuts the response when a gauge fails after the head, instead of ending it as if whole', async () => {
    const registry = new OperatorRegistry();
    registry.addSampled({
      name: 'failing',
      help: 'Fails after a piece.',
      labelNames: ['n'],
      *sample() {
        for (let n = 0; n < SERIES_PER_PIECE; n++) yield n;
        throw new Error('cache gone');
      },
      labelValues: (n) => [String(n)],
      value: (n) => n,
    });
    const base = await startServer({ registry });
    // Cut before or after the head reached the client: either way no text arrives as if whole.
    await expect(fetch(`${base}/metrics`).then((res) => res.text())).rejects.toThrow();
  });

  it.each([
    ['GET', '/nope', 404],
    ['POST', '/healthz', 405],
    ['GET', '/healthz?verbose=1', 200],
  ])('%s %s → %i', async (method, path, status) => {
    const base = await startServer();
    expect((await fetch(`${base}${path}`, { method })).status).toBe(status);
  });

  it('/metrics renders only as fast as the scraper reads, and a scraper that reads late still gets every series', async () => {
    const { registry, sampled, series } = largeRegistry();
    const base = await startServer({ registry });
    const socket = await rawGet(base, '/metrics');
    socket.pause();
    // Socket buffers on loopback take a few MiB at most of the 16 MiB: the rest is not rendered yet.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sampled()).toBeGreaterThan(0);
    expect(sampled()).toBeLessThan(series / 2);
    const text = await readToEnd(socket);
    expect(sampled()).toBe(series);
    expect(text.match(/^large\{/gm)).toHaveLength(series);
    expect(text).toContain(`large{n="${'x'.repeat(230)}65535"} 65535\n`);
    expect(text.endsWith('\r\n0\r\n\r\n')).toBe(true); // the chunked body's end: whole
  });

  it('/metrics is cut when the scraper takes nothing for metricsDrainTimeoutMs', async () => {
    const { registry, sampled, series } = largeRegistry();
    const base = await startServer({ registry, metricsDrainTimeoutMs: 200 });
    const socket = await rawGet(base, '/metrics');
    socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // What the socket buffers held arrives, then the connection ends without the body's end.
    const text = await readToEnd(socket);
    expect(text.endsWith('\r\n0\r\n\r\n')).toBe(false);
    expect(sampled()).toBeLessThan(series);
  });

  it('stop closes the listener, and stopping twice is harmless', async () => {
    const server = new HealthServer({
      host: '127.0.0.1',
      port: 0,
      isReady: () => true,
      registry: createMetrics({ processMetrics: false }).registry,
    });
    const { port } = await server.start();
    await fetch(`http://127.0.0.1:${port}/healthz`);
    await server.stop();
    await server.stop();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('start rejects when the port is taken', async () => {
    const base = await startServer();
    const port = Number(new URL(base).port);
    const clash = new HealthServer({
      host: '127.0.0.1',
      port,
      isReady: () => true,
      registry: createMetrics({ processMetrics: false }).registry,
    });
    await expect(clash.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

/** 65,536 series of about 256 bytes: 16 MiB of text, more than loopback's socket buffers hold. */
function largeRegistry(): { registry: OperatorRegistry; sampled: () => number; series: number } {
  const series = 65_536;
  const padding = 'x'.repeat(230);
  let sampled = 0;
  const registry = new OperatorRegistry();
  registry.addSampled({
    name: 'large',
    help: 'Many long series.',
    labelNames: ['n'],
    *sample() {
      for (let n = 0; n < series; n++, sampled++) yield n;
    },
    labelValues: (n) => [`${padding}${n}`],
    value: (n) => n,
  });
  return { registry, sampled: () => sampled, series };
}

/** A GET over a bare socket, so that the test decides when the answer is read. */
async function rawGet(base: string, path: string): Promise<Socket> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
  return socket;
}

function readToEnd(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.resume();
  return new Promise((resolve, reject) =>
    socket.once('end', () => resolve(Buffer.concat(chunks).toString('utf8'))).once('error', reject),
  );
}

describe('drained', () => {
  it('is true once the stream takes what it buffered, false when it closes first or the time runs out', async () => {
    const slow = (release: Promise<void>) =>
      new Writable({ highWaterMark: 4, write: (_chunk, _encoding, callback) => void release.then(() => callback()) });
    let release!: () => void;
    const draining = slow(new Promise((resolve) => (release = resolve)));
    expect(draining.write('more than four bytes')).toBe(false);
    const answer = drained(draining, 60_000);
    release();
    expect(await answer).toBe(true);

    const closing = slow(new Promise(() => {}));
    closing.write('more than four bytes');
    const closed = drained(closing, 60_000);
    closing.destroy();
    expect(await closed).toBe(false);

    const stuck = slow(new Promise(() => {}));
    stuck.write('more than four bytes');
    expect(await drained(stuck, 50)).toBe(false);
    expect(await drained(closing, 60_000)).toBe(false); // already destroyed: no wait at all
  });
});

describe('operatorReadiness', () => {
  it.each<[string, { synced: boolean; apiUnreachableForMs: number }, Readiness]>([
    ['caches not synced', { synced: false, apiUnreachableForMs: 0 }, { ready: false, reason: 'caches not synced' }],
    ['synced, API server answering', { synced: true, apiUnreachableForMs: 0 }, { ready: true }],
    [
      'a short outage (a restart) is not a reason',
      { synced: true, apiUnreachableForMs: API_UNREACHABLE_UNREADY_MS - 1 },
      { ready: true },
    ],
    [
      'lost for the documented time',
      { synced: true, apiUnreachableForMs: API_UNREACHABLE_UNREADY_MS },
      { ready: false, reason: 'API server unreachable for 30 s' },
    ],
    [
      'lost for long',
      { synced: true, apiUnreachableForMs: 125_500 },
      { ready: false, reason: 'API server unreachable for 125 s' },
    ],
  ])('%s', (_name, state, expected) => {
    expect(operatorReadiness(state)).toEqual(expected);
  });

  it('/readyz answers 503 with the reason while the API server is lost, 200 once it is back', async () => {
    let unreachable = API_UNREACHABLE_UNREADY_MS + 5_000;
    const base = await startServer({
      isReady: () => operatorReadiness({ synced: true, apiUnreachableForMs: unreachable }),
    });
    const lost = await fetch(`${base}/readyz`);
    expect(lost.status).toBe(503);
    expect(await lost.json()).toEqual({ status: 'not ready', reason: 'API server unreachable for 35 s' });
    unreachable = 0;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
