// A plain-HTTP proxy in front of the real API server that can break watches on demand: cut
// their connections, end them cleanly, hold reconnecting watches back while the test changes
// objects, and answer a held watch with 410 Gone (as an ERROR event or as an HTTP status). It can
// also answer chosen requests itself, as a server in trouble does: 403 while a restarted server
// loads its RBAC caches, 503 while etcd is away, or no answer at all (the connection dropped).
// Everything else (lists, the watch streams themselves) is the real server's answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export type GoneMode = 'event' | 'status';

interface Held {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** What a request is, for choosing which ones a fault applies to. */
export interface RequestInfo {
  readonly method: string;
  readonly path: string;
  readonly watch: boolean;
}

/** An answer the proxy gives itself: an HTTP status with a Kubernetes Status body, or a dropped connection. */
export interface Fault {
  readonly answer: number | 'drop';
  readonly applies: (request: RequestInfo) => boolean;
}

export interface SeenRequest {
  readonly kind: 'list' | 'watch';
  readonly resourceVersion: string | undefined;
}

const goneStatus = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'too old resource version (injected by the test proxy)',
  reason: 'Expired',
  code: 410,
};

export class WatchFaultProxy {
  readonly url: string;
  readonly seen: SeenRequest[] = [];
  /** Every request, as `METHOD path` (no query): what a test counts the client's calls by. */
  readonly requests: string[] = [];
  readonly #server: Server;
  readonly #upstream: URL;
  readonly #ca: string;
  /** Running watches, with a function that ends each cleanly (the upstream stream is dropped first). */
  readonly #active = new Map<ServerResponse, () => void>();
  readonly #held: Held[] = [];
  readonly #waiters: { count: number; resolve: () => void }[] = [];
  #holding: ((path: string) => boolean) | undefined;
  #fault: Fault | undefined;
  /** Requests the current fault answered. */
  faulted = 0;

  private constructor(server: Server, upstream: string, ca: string) {
    this.#server = server;
    this.#upstream = new URL(upstream);
    this.#ca = ca;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res));
  }

  static async start(upstream: string, ca: string): Promise<WatchFaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WatchFaultProxy(server, upstream, ca);
  }

  get lists(): number {
    return this.seen.filter((r) => r.kind === 'list').length;
  }

  get watches(): SeenRequest[] {
    return this.seen.filter((r) => r.kind === 'watch');
  }

  /** Resolves once `count` watch requests arrived in total (forwarded or held). */
  waitForWatches(count: number): Promise<void> {
    if (this.watches.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** From now on, new watch requests (of paths `which` accepts) wait until `release` or `answerHeldWithGone`. */
  hold(which: (path: string) => boolean = () => true): void {
    this.#holding = which;
  }

  /** Destroys the connections of the running watches (of paths `which` accepts), as a crash or a reset would. */
  cutWatches(which: (path: string) => boolean = () => true): void {
    for (const [res] of this.#active) {
      if (!which(res.req.url ?? '')) continue;
      res.socket?.destroy();
      this.#active.delete(res);
    }
  }

  /** Answers the requests the fault applies to itself, until `fault(undefined)`. */
  fault(fault: Fault | undefined): void {
    this.#fault = fault;
  }

  /** Ends the running watches cleanly, as the server does when timeoutSeconds is up. */
  endWatches(): void {
    for (const end of this.#active.values()) end();
    this.#active.clear();
  }

  /** Forwards the held watches and stops holding. */
  release(): void {
    this.#holding = undefined;
    for (const { req, res } of this.#held.splice(0)) this.#forward(req, res, true);
  }

  /** Answers the held watches with 410 Gone and stops holding. */
  answerHeldWithGone(mode: GoneMode): void {
    this.#holding = undefined;
    for (const { res } of this.#held.splice(0)) {
      if (mode === 'status') {
        res.writeHead(410, { 'content-type': 'application/json' });
        res.end(JSON.stringify(goneStatus));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: goneStatus })}\n`);
      }
    }
  }

  async close(): Promise<void> {
    this.cutWatches();
    for (const { res } of this.#held.splice(0)) res.socket?.destroy();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const isWatch = url.searchParams.get('watch') === 'true';
    this.requests.push(`${req.method ?? 'GET'} ${url.pathname}`);
    // Requests to resources only: a client's GET /readyz (asked while it thinks the server is down) is no list.
    if (req.method === 'GET' && url.pathname.startsWith('/api')) {
      this.seen.push({ kind: isWatch ? 'watch' : 'list', resourceVersion: url.searchParams.get('resourceVersion') ?? undefined });
    }
    if (isWatch) this.#notify();
    const fault = this.#fault;
    if (fault?.applies({ method: req.method ?? 'GET', path: url.pathname, watch: isWatch })) {
      this.faulted++;
      return answerFault(res, fault.answer);
    }
    if (isWatch && this.#holding?.(req.url ?? '')) {
      this.#held.push({ req, res });
      return;
    }
    this.#forward(req, res, isWatch);
  }

  #forward(req: IncomingMessage, res: ServerResponse, isWatch: boolean): void {
    const upstream = httpsRequest(
      {
        hostname: this.#upstream.hostname,
        port: this.#upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.#upstream.host },
        ca: this.#ca,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        if (isWatch && this.#active.has(res)) {
          this.#active.set(res, () => {
            upstreamRes.unpipe(res);
            upstream.destroy();
            res.end();
          });
        }
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    if (isWatch) {
      this.#active.set(res, () => res.end());
      res.on('close', () => {
        this.#active.delete(res);
        upstream.destroy();
      });
    }
    req.pipe(upstream);
  }

  #notify(): void {
    const count = this.watches.length;
    for (const waiter of [...this.#waiters]) {
      if (count >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
}

function answerFault(res: ServerResponse, answer: Fault['answer']): void {
  if (answer === 'drop') return void res.socket?.destroy();
  const reason = answer === 403 ? 'Forbidden' : answer === 503 ? 'ServiceUnavailable' : 'InternalError';
  res.writeHead(answer, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `injected by the test proxy (${reason})`, reason, code: answer }));
}
