// The client and transport against small local servers: request shapes, the error mapping over
// the wire, authentication retries, timeouts, watch streams and TLS. The API server itself is
// exercised by test/kube/.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startConnectProxy } from '../testing-proxy.ts';
import { anonymous, staticCredentials, type Authenticator, type Credentials } from './auth.ts';
import { KubeClient, type WatchEvent } from './client.ts';
import type { ClusterConfig } from './cluster.ts';
import { ApiError, ConflictError, GoneError, InvalidError, NotFoundError, TransientApiError } from './errors.ts';
import { configMaps, leases, namespaces, secrets, type ConfigMap, type KubeObject } from './resources.ts';

// testdata/: a CA (valid until 2126, key discarded), a server certificate for DNS:api.kube.test
// only, and a client certificate (CN=operator-client), all made with openssl (EC P-256).
const testdata = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const servers: Server[] = [];
const clients: KubeClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

async function listen(server: Server, handler: Handler): Promise<number> {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function httpServer(handler: Handler): Promise<string> {
  return `http://127.0.0.1:${await listen(createHttpServer(), handler)}`;
}

function client(server: string, overrides: Partial<ClusterConfig> = {}, timeoutMs?: number): KubeClient {
  const config: ClusterConfig = {
    server,
    insecureSkipTlsVerify: false,
    namespace: 'default',
    authenticator: anonymous,
    source: 'test',
    ...overrides,
  };
  const made = new KubeClient(config, timeoutMs === undefined ? {} : { timeoutMs });
  clients.push(made);
  return made;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function kubeStatus(code: number, reason: string, details?: object): object {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `it is ${reason}`, reason, code, details };
}

/** Echoes the request, so a test can see what the client sent. */
const echo: Handler = (req, body, res) => {
  const url = new URL(req.url ?? '', 'http://x');
  json(res, 200, {
    method: req.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    contentType: req.headers['content-type'],
    accept: req.headers.accept,
    body: body === '' ? undefined : JSON.parse(body),
  });
};

interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  accept?: string;
  body?: Record<string, unknown>;
}

const cm: ConfigMap = { metadata: { namespace: 'ns', name: 'c', resourceVersion: '7' }, data: { a: 'b' } };
const typed = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };

describe('requests', () => {
  it.each<[string, (c: KubeClient) => Promise<unknown>, Partial<Echo>]>([
    [
      'get',
      (c) => c.get(secrets, { namespace: 'ns', name: 's' }),
      { method: 'GET', path: '/api/v1/namespaces/ns/secrets/s', query: {} },
    ],
    [
      'list',
      (c) =>
        c.list(configMaps, {
          namespace: 'ns',
          labelSelector: 'a=b',
          fieldSelector: 'metadata.name=c',
          limit: 10,
          continue: 'tok',
        }),
      {
        method: 'GET',
        path: '/api/v1/namespaces/ns/configmaps',
        query: { labelSelector: 'a=b', fieldSelector: 'metadata.name=c', limit: '10', continue: 'tok' },
      },
    ],
    ['list across namespaces', (c) => c.list(configMaps), { path: '/api/v1/configmaps', query: {} }],
    [
      'create',
      (c) => c.create(configMaps, cm, { fieldManager: 'op', dryRun: true }),
      {
        method: 'POST',
        path: '/api/v1/namespaces/ns/configmaps',
        query: { fieldManager: 'op', dryRun: 'All' },
        contentType: 'application/json',
        body: typed,
      },
    ],
    [
      'replace',
      (c) => c.replace(configMaps, cm),
      { method: 'PUT', path: '/api/v1/namespaces/ns/configmaps/c', body: typed },
    ],
    [
      'replaceStatus',
      (c) => c.replaceStatus(configMaps, cm),
      { method: 'PUT', path: '/api/v1/namespaces/ns/configmaps/c/status', body: typed, accept: 'application/json' },
    ],
    [
      'replaceStatusForMetadata',
      (c) => c.replaceStatusForMetadata(configMaps, cm),
      {
        method: 'PUT',
        path: '/api/v1/namespaces/ns/configmaps/c/status',
        body: typed,
        accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json',
      },
    ],
    [
      'merge patch',
      (c) => c.patch(configMaps, { namespace: 'ns', name: 'c' }, { data: { a: null } }, { fieldManager: 'op' }),
      {
        method: 'PATCH',
        path: '/api/v1/namespaces/ns/configmaps/c',
        query: { fieldManager: 'op' },
        contentType: 'application/merge-patch+json',
        body: { data: { a: null } },
      },
    ],
    [
      'JSON patch',
      (c) => c.patch(configMaps, { namespace: 'ns', name: 'c' }, [{ op: 'remove', path: '/data/a' }], { type: 'json' }),
      { contentType: 'application/json-patch+json', query: {}, body: [{ op: 'remove', path: '/data/a' }] as never },
    ],
    [
      'server-side apply with force',
      (c) => c.apply(configMaps, cm, { fieldManager: 'op', force: true }),
      {
        method: 'PATCH',
        path: '/api/v1/namespaces/ns/configmaps/c',
        query: { fieldManager: 'op', force: 'true' },
        contentType: 'application/apply-patch+yaml',
        body: typed,
      },
    ],
    [
      'server-side apply without force',
      (c) => c.apply(configMaps, cm, { fieldManager: 'op' }),
      { query: { fieldManager: 'op' }, contentType: 'application/apply-patch+yaml' },
    ],
    [
      'status merge patch',
      (c) => c.patchStatus(configMaps, { namespace: 'ns', name: 'c' }, { status: { ready: true } }),
      {
        method: 'PATCH',
        path: '/api/v1/namespaces/ns/configmaps/c/status',
        contentType: 'application/merge-patch+json',
      },
    ],
    [
      'status apply',
      (c) => c.applyStatus(configMaps, cm, { fieldManager: 'op', force: true }),
      {
        path: '/api/v1/namespaces/ns/configmaps/c/status',
        query: { fieldManager: 'op', force: 'true' },
        contentType: 'application/apply-patch+yaml',
      },
    ],
    ['cluster-scoped get', (c) => c.get(namespaces, { name: 'ns' }), { path: '/api/v1/namespaces/ns' }],
  ])('%s', async (_verb, call, expected) => {
    const answer = (await call(client(await httpServer(echo)))) as Echo;
    expect(answer).toMatchObject(expected);
  });

  it('sends delete options', async () => {
    let seen: Echo | undefined;
    const server = await httpServer((req, body, res) => {
      seen = { method: req.method ?? '', path: req.url ?? '', query: {}, body: JSON.parse(body) };
      json(res, 200, kubeStatus(200, ''));
    });
    await client(server).delete(
      configMaps,
      { namespace: 'ns', name: 'c' },
      {
        propagationPolicy: 'Foreground',
        preconditions: { uid: 'u1', resourceVersion: '7' },
        gracePeriodSeconds: 0,
      },
    );
    expect(seen).toEqual({
      method: 'DELETE',
      path: '/api/v1/namespaces/ns/configmaps/c',
      query: {},
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Foreground',
        gracePeriodSeconds: 0,
        preconditions: { uid: 'u1', resourceVersion: '7' },
      },
    });
  });

  it('keeps the server URL path as a prefix', async () => {
    const answer = (await client(`${await httpServer(echo)}/clusters/c-1/`).get(secrets, {
      namespace: 'a',
      name: 'b',
    })) as unknown as Echo;
    expect(answer.path).toBe('/clusters/c-1/api/v1/namespaces/a/secrets/b');
  });

  it.each<[string, (c: KubeClient) => Promise<unknown>, string]>([
    [
      'create without namespace',
      (c) => c.create(configMaps, { metadata: { name: 'x' } }),
      'configmaps is namespaced; metadata.namespace is required',
    ],
    [
      'apply without name',
      (c) => c.apply(configMaps, { metadata: { namespace: 'x' } }, { fieldManager: 'm' }),
      'configmaps: metadata.name is required',
    ],
    [
      'apply without field manager',
      (c) => c.patch(configMaps, { namespace: 'x', name: 'y' }, {}, { type: 'apply' }),
      "server-side apply to configmaps 'y' needs a fieldManager",
    ],
  ])('refuses %s before sending', async (_case, call, message) => {
    let requests = 0;
    const server = await httpServer((_req, _body, res) => {
      requests++;
      json(res, 200, {});
    });
    await expect(call(client(server))).rejects.toThrow(message);
    expect(requests).toBe(0);
  });

  it('reuses its connection', async () => {
    const server = createHttpServer();
    let connections = 0;
    server.on('connection', () => connections++);
    const port = await listen(server, echo);
    const c = client(`http://127.0.0.1:${port}`);
    for (let i = 0; i < 3; i++) await c.get(secrets, { namespace: 'a', name: `s${i}` });
    expect(connections).toBe(1);
  });

  it('opens at most maxRequestSockets sockets for requests; watches and unqueued requests pass them', async () => {
    const server = createHttpServer();
    let connections = 0;
    server.on('connection', () => connections++);
    let inFlight = 0;
    let mostInFlight = 0;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let endWatch: () => void = () => {};
    const port = await listen(server, (req, body, res) => {
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`${JSON.stringify({ type: 'ADDED', object: cm })}\n`);
        endWatch = () => res.end();
        return;
      }
      if (req.url?.includes('/leases/')) return echo(req, body, res);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      // The queued requests wait until the watch has delivered its event and the lease has been
      // read: were either held back behind them for a socket, nothing would move.
      void released.then(() => {
        inFlight--;
        echo(req, body, res);
      });
    });
    const config = { server: `http://127.0.0.1:${port}`, insecureSkipTlsVerify: false, namespace: 'default' };
    const c = new KubeClient({ ...config, authenticator: anonymous, source: 'test' }, { maxRequestSockets: 2 });
    clients.push(c);
    const gets = Array.from({ length: 6 }, (_, i) => c.get(secrets, { namespace: 'a', name: `s${i}` }));
    const watched = c.watch(configMaps, { namespace: 'ns', timeoutSeconds: 60 }, () => {
      void c.get(leases, { namespace: 'a', name: 'leader' }, { unqueued: true }).then(() => {
        release();
        endWatch();
      });
    });
    await Promise.all([...gets, watched]);
    expect(mostInFlight).toBe(2);
    // Two for the queued requests, one for the watch, one for the lease while the watch held its own.
    expect(connections).toBe(4);
  });
});

describe('errors over the wire', () => {
  it.each<
    [
      string,
      number,
      unknown,
      Record<string, string>,
      new (...args: never[]) => ApiError,
      Partial<TransientApiError & InvalidError>,
    ]
  >([
    ['404', 404, kubeStatus(404, 'NotFound'), {}, NotFoundError, { reason: 'NotFound' }],
    ['409 AlreadyExists', 409, kubeStatus(409, 'AlreadyExists'), {}, ConflictError, { reason: 'AlreadyExists' }],
    ['410', 410, kubeStatus(410, 'Expired'), {}, GoneError, { reason: 'Expired' }],
    [
      '422',
      422,
      kubeStatus(422, 'Invalid', { causes: [{ field: 'data.x y', reason: 'FieldValueInvalid' }] }),
      {},
      InvalidError,
      { fieldPaths: ['data.x y'] },
    ],
    [
      '429',
      429,
      kubeStatus(429, 'TooManyRequests'),
      { 'retry-after': '2' },
      TransientApiError,
      { retryAfterSeconds: 2 },
    ],
    [
      'a proxy 502 page',
      502,
      '<html>bad gateway</html>',
      {},
      TransientApiError,
      { reason: 'InternalError', status: 502 },
    ],
    ['a 200 that is not JSON', 200, '<html>login</html>', {}, ApiError, { reason: 'InvalidResponse', status: 200 }],
  ])('%s', async (_case, status, body, headers, type, fields) => {
    const server = await httpServer((_req, _body, res) => {
      res.writeHead(status, headers);
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    const failure = client(server).get(secrets, { namespace: 'a', name: 'b' });
    await expect(failure).rejects.toBeInstanceOf(type);
    await expect(failure).rejects.toMatchObject(fields);
  });

  it('times out a request that gets no answer', async () => {
    const server = await httpServer(() => {});
    const failure = client(server, {}, 50).get(secrets, { namespace: 'a', name: 'b' });
    await expect(failure).rejects.toBeInstanceOf(TransientApiError);
    await expect(failure).rejects.toMatchObject({
      status: 0,
      reason: 'Timeout',
      message: 'GET /api/v1/namespaces/a/secrets/b: timed out',
    });
  });

  it('times out a body that stops half way', async () => {
    const server = await httpServer((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"metadata":');
    });
    await expect(client(server).get(secrets, { namespace: 'a', name: 'b' }, { timeoutMs: 50 })).rejects.toMatchObject({
      reason: 'Timeout',
    });
  });

  it('reports a refused connection as a network error', async () => {
    const server = createHttpServer();
    const port = await listen(server, echo);
    await new Promise((resolve) => server.close(resolve));
    const failure = client(`http://127.0.0.1:${port}`).get(secrets, { namespace: 'a', name: 'b' });
    await expect(failure).rejects.toBeInstanceOf(TransientApiError);
    await expect(failure).rejects.toMatchObject({ reason: 'NetworkError', cause: { code: 'ECONNREFUSED' } });
  });

  it('reports a connection cut mid-answer as a network error', async () => {
    const server = await httpServer((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":', () => res.socket?.destroy());
    });
    await expect(client(server).get(secrets, { namespace: 'a', name: 'b' })).rejects.toMatchObject({
      reason: 'NetworkError',
    });
  });

  it("rejects with the caller's abort reason", async () => {
    const server = await httpServer(() => {});
    const controller = new AbortController();
    const failure = client(server).get(secrets, { namespace: 'a', name: 'b' }, { signal: controller.signal });
    setImmediate(() => controller.abort());
    await expect(failure).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('authentication', () => {
  /** Counts credential fetches; hands out `tokens` in turn, a fresh object after each invalidate. */
  function rotating(tokens: string[]): Authenticator & { fetches: number; invalidated: Credentials[] } {
    let current: Credentials = { token: tokens.shift()! };
    return {
      fetches: 0,
      invalidated: [],
      async credentials() {
        this.fetches++;
        return current;
      },
      invalidate(rejected) {
        this.invalidated.push(rejected);
        if (rejected === current && tokens.length > 0) current = { token: tokens.shift()! };
      },
    };
  }

  const acceptOnly =
    (token: string): Handler =>
    (req, _body, res) => {
      if (req.headers.authorization === `Bearer ${token}`) json(res, 200, { metadata: { name: 'ok' } });
      else json(res, 401, kubeStatus(401, 'Unauthorized'));
    };

  it('drops rejected credentials and sends once more with fresh ones', async () => {
    const auth = rotating(['stale-token', 'fresh-token']);
    const answer = await client(await httpServer(acceptOnly('fresh-token')), { authenticator: auth }).get(secrets, {
      namespace: 'a',
      name: 'b',
    });
    expect(answer.metadata.name).toBe('ok');
    expect(auth.invalidated).toEqual([{ token: 'stale-token' }]);
  });

  it('gives up after one retry, without the token in the error', async () => {
    const auth = rotating(['bad-token-1', 'bad-token-2', 'bad-token-3']);
    const failure = client(await httpServer(acceptOnly('good')), { authenticator: auth }).create(configMaps, cm);
    const error = await failure.then(
      () => undefined,
      (e: unknown) => e as ApiError,
    );
    expect(error).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(error?.message).not.toMatch(/bad-token/);
    expect(auth.invalidated).toHaveLength(2);
  });

  it('does not repeat a request when the credentials cannot change', async () => {
    let requests = 0;
    const server = await httpServer((req, body, res) => {
      requests++;
      acceptOnly('good')(req, body, res);
    });
    await expect(
      client(server, { authenticator: staticCredentials({ token: 'static' }) }).get(secrets, {
        namespace: 'a',
        name: 'b',
      }),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(requests).toBe(1);
  });

  it('sends basic credentials', async () => {
    let header: string | undefined;
    const server = await httpServer((req, _body, res) => {
      header = req.headers.authorization;
      json(res, 200, {});
    });
    await client(server, { authenticator: staticCredentials({ basic: { username: 'ann', password: 'pw' } }) }).get(
      secrets,
      { namespace: 'a', name: 'b' },
    );
    expect(header).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
  });
});

describe('watch', () => {
  const event = (type: string, name: string, rv: string): string =>
    `${JSON.stringify({ type, object: { kind: 'ConfigMap', metadata: { namespace: 'ns', name, resourceVersion: rv } } })}\n`;

  async function watchAll(
    server: string,
    timeouts: { idleTimeoutMs?: number } = {},
  ): Promise<{ events: string[]; outcome: Promise<void> }> {
    const events: string[] = [];
    const outcome = client(server).watch(
      configMaps,
      { namespace: 'ns', resourceVersion: '5', labelSelector: 'a=b', timeoutSeconds: 60, ...timeouts },
      (e: WatchEvent<KubeObject>) =>
        events.push(`${e.type} ${e.object.metadata.name ?? ''}@${e.object.metadata.resourceVersion}`),
    );
    return { events, outcome };
  }

  it('reads events split across chunks, until the server ends the watch', async () => {
    let query: Record<string, string> = {};
    const server = await httpServer((req, _body, res) => {
      query = Object.fromEntries(new URL(req.url ?? '', 'http://x').searchParams);
      res.writeHead(200, { 'content-type': 'application/json' });
      const stream =
        event('ADDED', 'a', '6') +
        event('MODIFIED', 'a', '7') +
        event('BOOKMARK', '', '8') +
        event('DELETED', 'a', '9');
      const cut = [0, 10, 11, 90, 180, stream.length];
      const send = (i: number): void => {
        if (i + 1 >= cut.length) return void res.end();
        res.write(stream.slice(cut[i], cut[i + 1]), () => setImmediate(() => send(i + 1)));
      };
      send(0);
    });
    const { events, outcome } = await watchAll(server);
    await outcome;
    expect(events).toEqual(['ADDED a@6', 'MODIFIED a@7', 'BOOKMARK @8', 'DELETED a@9']);
    expect(query).toEqual({
      watch: 'true',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '60',
      resourceVersion: '5',
      labelSelector: 'a=b',
    });
  });

  it.each<[string, Handler, new (...args: never[]) => Error, object]>([
    [
      'an ERROR event with 410',
      (_req, _body, res) => {
        res.writeHead(200);
        res.end(`${JSON.stringify({ type: 'ERROR', object: kubeStatus(410, 'Expired') })}\n`);
      },
      GoneError,
      { status: 410, reason: 'Expired' },
    ],
    [
      'an ERROR event with 500',
      (_req, _body, res) => {
        res.writeHead(200);
        res.write(`${JSON.stringify({ type: 'ERROR', object: kubeStatus(500, 'InternalError') })}\n`);
      },
      TransientApiError,
      { status: 500 },
    ],
    ['an HTTP 410', (_req, _body, res) => json(res, 410, kubeStatus(410, 'Gone')), GoneError, { reason: 'Gone' }],
    [
      'a connection cut mid-stream',
      (_req, _body, res) => {
        res.writeHead(200);
        res.write(event('ADDED', 'a', '6'), () => res.socket?.destroy());
      },
      TransientApiError,
      { reason: 'NetworkError' },
    ],
  ])('fails on %s', async (_case, handler, type, fields) => {
    const { outcome } = await watchAll(await httpServer(handler));
    await expect(outcome).rejects.toBeInstanceOf(type);
    await expect(outcome).rejects.toMatchObject(fields);
  });

  it('fails when the stream goes quiet for longer than the idle timeout', async () => {
    const server = await httpServer((_req, _body, res) => {
      res.writeHead(200);
      res.write(event('ADDED', 'a', '6'));
    });
    // The request itself may take 30 s (the client's default), so only the idle timer can fire.
    const { outcome } = await watchAll(server, { idleTimeoutMs: 50 });
    await expect(outcome).rejects.toMatchObject({ reason: 'Timeout' });
  });

  it('passes on an error thrown by the event handler as it is', async () => {
    const server = await httpServer((_req, _body, res) => {
      res.writeHead(200);
      res.write(event('ADDED', 'a', '6'));
    });
    const bug = new Error('handler bug');
    const outcome = client(server).watch(configMaps, {}, () => {
      throw bug;
    });
    await expect(outcome).rejects.toBe(bug);
  });
});

describe('TLS', () => {
  async function httpsServer(options: { requestCert?: boolean } = {}): Promise<string> {
    const server = createHttpsServer({
      cert: testdata('server.crt'),
      key: testdata('server.key'),
      ...(options.requestCert ? { requestCert: true, rejectUnauthorized: true, ca: testdata('ca.crt') } : {}),
    });
    const port = await listen(server, (req, _body, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      json(res, 200, { metadata: { name: peer?.subject?.CN ?? 'anonymous' } });
    });
    return `https://127.0.0.1:${port}`;
  }

  const ref = { namespace: 'a', name: 'b' };

  it.each<[string, Partial<ClusterConfig>]>([
    ['the CA and tls-server-name', { ca: testdata('ca.crt'), tlsServerName: 'api.kube.test' }],
    ['insecure-skip-tls-verify', { insecureSkipTlsVerify: true }],
  ])('connects with %s', async (_case, tls) => {
    expect((await client(await httpsServer(), tls).get(secrets, ref)).metadata.name).toBe('anonymous');
  });

  it.each<[string, Partial<ClusterConfig>, string]>([
    ['a name the certificate does not hold', { ca: testdata('ca.crt') }, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['an unknown CA', { tlsServerName: 'api.kube.test' }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  ])('refuses %s', async (_case, tls, code) => {
    const failure = client(await httpsServer(), tls).get(secrets, ref);
    await expect(failure).rejects.toBeInstanceOf(TransientApiError);
    await expect(failure).rejects.toMatchObject({ reason: 'NetworkError', cause: { code } });
  });

  const trusted = { ca: testdata('ca.crt'), tlsServerName: 'api.kube.test' };

  it('presents a client certificate from the kubeconfig', async () => {
    const c = client(await httpsServer({ requestCert: true }), {
      ...trusted,
      cert: testdata('client.crt'),
      key: testdata('client.key'),
    });
    expect((await c.get(secrets, ref)).metadata.name).toBe('operator-client');
  });

  it('goes through a proxy-url CONNECT proxy, TLS and the client certificate end to end', async () => {
    const proxy = await startConnectProxy();
    try {
      const server = await httpsServer({ requestCert: true });
      const c = client(server, {
        ...trusted,
        cert: testdata('client.crt'),
        key: testdata('client.key'),
        proxy: { host: '127.0.0.1', port: proxy.port },
      });
      expect((await c.get(secrets, ref)).metadata.name).toBe('operator-client');
      expect((await c.get(secrets, ref)).metadata.name).toBe('operator-client');
      expect(proxy.connects).toEqual([new URL(server).host]); // one tunnel, kept alive
      expect(Buffer.concat(proxy.relayed).includes('api.kube.test')).toBe(true); // SNI inside the tunnel
    } finally {
      await proxy.close();
    }
  });

  it('fails as a network error when the proxy refuses the tunnel', async () => {
    const proxy = await startConnectProxy();
    proxy.requiredAuthorization = 'Basic someone-else';
    try {
      const c = client(await httpsServer(), { ...trusted, proxy: { host: '127.0.0.1', port: proxy.port } });
      const failure = c.get(secrets, ref);
      await expect(failure).rejects.toBeInstanceOf(TransientApiError);
      await expect(failure).rejects.toMatchObject({ reason: 'NetworkError', cause: { httpStatus: 407 } });
    } finally {
      await proxy.close();
    }
  });

  it('presents a client certificate from an exec plugin', async () => {
    const auth = staticCredentials({ cert: testdata('client.crt'), key: testdata('client.key') });
    const c = client(await httpsServer({ requestCert: true }), { ...trusted, authenticator: auth });
    expect((await c.get(secrets, ref)).metadata.name).toBe('operator-client');
  });
});
