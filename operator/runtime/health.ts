// Probes and metrics over plain node:http. Liveness and readiness are separate on purpose:
// a replica whose caches are not synced (or that is waiting for the lease) is alive and must not
// be restarted, it just should not count as ready.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import type { Registry } from 'prom-client';
import { namedText, OperatorRegistry } from './sampled-metrics.ts';

export interface Readiness {
  readonly ready: boolean;
  /** Short, for humans reading a failed probe, e.g. `caches not synced`. */
  readonly reason?: string;
}

/**
 * How long the API server may be unreachable (no answer, or only 5xx) before /readyz says so. Long
 * enough that a restart of kube-apiserver (a few seconds) does not flap readiness, short enough
 * that an SRE sees a lost control plane within a probe period or two.
 */
export const API_UNREACHABLE_UNREADY_MS = 30_000;

export interface OperatorState {
  /** Every cache has been listed once. */
  readonly synced: boolean;
  /** How long the API server has not answered (0 while it does). */
  readonly apiUnreachableForMs: number;
}

/** Ready once the caches are synced, and unready while the API server has been lost for long. */
export function operatorReadiness(state: OperatorState): Readiness {
  if (!state.synced) return { ready: false, reason: 'caches not synced' };
  if (state.apiUnreachableForMs >= API_UNREACHABLE_UNREADY_MS) {
    return { ready: false, reason: `API server unreachable for ${Math.floor(state.apiUnreachableForMs / 1000)} s` };
  }
  return { ready: true };
}

/**
 * How long a scraper may take nothing of /metrics before its response is cut. Prometheus reads a
 * scrape at once; one that stops reading would otherwise hold the rest of the text, unrendered,
 * for as long as it keeps the connection open.
 */
export const METRICS_DRAIN_TIMEOUT_MS = 30_000;

export interface HealthServerOptions {
  /** @default '0.0.0.0' */
  readonly host?: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** True once caches are synced. */
  readonly isReady: () => boolean | Readiness;
  /** Extra liveness check (e.g. the reconcile loop is not wedged); answering at all proves the event loop runs. @default () => true */
  readonly isAlive?: () => boolean;
  readonly registry: Registry;
  /** @default METRICS_DRAIN_TIMEOUT_MS */
  readonly metricsDrainTimeoutMs?: number;
}

export class HealthServer {
  readonly #options: HealthServerOptions;
  readonly #server: Server;

  constructor(options: HealthServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      this.#route(req, res).catch(() => send(res, 500, { status: 'error' }));
    });
  }

  /** Listens and resolves with the bound address (the real port when `port` is 0). */
  start(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host ?? '0.0.0.0', () => {
        this.#server.off('error', reject);
        const address = this.#server.address() as AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stops listening and closes open connections (probes use keep-alive). */
  stop(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#server.close((err) => (err ? reject(err) : resolve()));
      this.#server.closeAllConnections();
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, { status: 'method not allowed' });
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/healthz') return this.#liveness(res);
    if (path === '/readyz') return this.#readiness(res);
    if (path === '/metrics') return this.#metrics(res, metricNames(url.searchParams));
    send(res, 404, { status: 'not found' });
  }

  #liveness(res: ServerResponse): void {
    const alive = safely(() => this.#options.isAlive?.() ?? true, false);
    send(res, alive ? 200 : 503, { status: alive ? 'ok' : 'not alive' });
  }

  #readiness(res: ServerResponse): void {
    const answer = safely(this.#options.isReady, { ready: false, reason: 'readiness check failed' });
    const readiness: Readiness = typeof answer === 'boolean' ? { ready: answer } : answer;
    if (readiness.ready) return send(res, 200, { status: 'ok' });
    send(res, 503, { status: 'not ready', reason: readiness.reason ?? 'caches not synced' });
  }

  /**
   * Written piece by piece (see SERIES_PER_PIECE): the first piece before the head, so that a
   * failing collect answers 500; a failure after the head cuts the response, so that a scraper
   * never takes part of the text for all of it. The next piece is rendered only once the socket
   * has taken the last: at 1,000 connections the text is 833 KiB, and written all at once it waited
   * in the response's buffer, long enough to be promoted to V8's old space and freed only by a full
   * collection; a slow scraper held all of it.
   */
  async #metrics(res: ServerResponse, names: ReadonlySet<string> | undefined): Promise<void> {
    const { registry } = this.#options;
    // HEAD: the head alone, without rendering every series for nothing.
    if (res.req.method === 'HEAD') return void res.writeHead(200, { 'content-type': registry.contentType }).end();
    const pieces = registry instanceof OperatorRegistry ? registry.pieces(names) : wholeText(registry, names);
    let next = await pieces.next();
    res.writeHead(200, { 'content-type': registry.contentType });
    try {
      for (; !next.done; next = await pieces.next()) {
        if (
          !res.write(next.value) &&
          !(await drained(res, this.#options.metricsDrainTimeoutMs ?? METRICS_DRAIN_TIMEOUT_MS))
        )
          return void res.destroy();
      }
    } catch (error) {
      return void res.destroy(error as Error);
    }
    res.end();
  }
}

/**
 * True once `out` has taken what it buffered ('drain'); false when it closed first, or when
 * `timeoutMs` passed without it.
 */
export function drained(out: Writable, timeoutMs: number): Promise<boolean> {
  if (out.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      clearTimeout(timer);
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    const timer = setTimeout(onClose, timeoutMs);
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

async function* wholeText(registry: Registry, names: ReadonlySet<string> | undefined): AsyncGenerator<string> {
  const text = names ? await namedText(registry, names) : await registry.metrics();
  if (text !== '') yield text;
}

/** At most this many `name[]` in one scrape; the rest are not looked at. */
export const MAX_METRIC_NAMES = 64;

/**
 * `/metrics?name[]=a&name[]=b`: only those metrics, as the Prometheus Python client's exposition
 * filters; undefined (every metric) without any. For a reader that wants a counter or two, such as
 * a benchmark following progress, and not the series per object.
 */
export function metricNames(query: URLSearchParams): ReadonlySet<string> | undefined {
  const names = query.getAll('name[]');
  return names.length === 0 ? undefined : new Set(names.slice(0, MAX_METRIC_NAMES));
}

// A throwing check is an unhealthy answer, not a crashed probe handler.
function safely<T>(check: () => T, fallback: T): T {
  try {
    return check();
  } catch {
    return fallback;
  }
}

function send(res: ServerResponse, status: number, body: Record<string, string>): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
