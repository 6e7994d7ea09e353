// HTTP(S) to the API server over node:http/https with keep-alive agents: JSON requests with a
// per-request timeout, and newline-delimited streams for watches. Every failure leaves here as a
// typed error from errors.ts. A 401 makes the authenticator drop the rejected credentials, and the
// request is sent once more if fresh ones differ (authentication runs before anything else on the
// server, so a request refused with 401 had no effect and can be repeated whatever its verb).
import {
  Agent as HttpAgent,
  type AgentOptions as HttpAgentOptions,
  request as httpRequest,
  type IncomingMessage,
  type ClientRequest,
  type RequestOptions as NodeRequestOptions,
} from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions, request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, createSecureContext, connect as tlsConnect } from 'node:tls';
import { openTunnel, type ProxyEndpoint } from '../tunnel.ts';
import type { Credentials } from './auth.ts';
import type { ApiAvailability } from './availability.ts';
import type { ClusterConfig } from './cluster.ts';
import {
  toApiError,
  toResponseFormatError,
  toTransportError,
  TransientApiError,
  type ApiError,
  type RequestLine,
} from './errors.ts';
import { LineSplitter } from './lines.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  readonly method: Method;
  /** Path below the server URL, e.g. `/api/v1/namespaces/x/secrets`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Serialised as JSON. */
  readonly body?: unknown;
  /** @default application/json */
  readonly contentType?: string;
  /** @default application/json */
  readonly accept?: string;
  /** Overrides the transport's timeout for this request. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Sent at once on a socket outside the cap instead of waiting for one (see `Agents`). */
  readonly unqueued?: boolean;
}

export interface StreamOptions extends Omit<RequestOptions, 'body' | 'contentType'> {
  /** The stream fails with a Timeout when no byte arrives for this long. */
  readonly idleTimeoutMs: number;
}

export interface TransportOptions {
  /** @default 30000 */
  readonly timeoutMs?: number;
  /**
   * Sockets open at once for requests; the rest wait in the agent, under their own deadline.
   * Watch streams, lease renewals and readiness probes are not held back (see `Agents`).
   * @default MAX_REQUEST_SOCKETS
   */
  readonly maxRequestSockets?: number;
  /** @default imanage-operator */
  readonly userAgent?: string;
  /** Told of every answer and every failure to get one (see availability.ts). */
  readonly availability?: ApiAvailability;
}

/** Marks a request destroyed by our own timer, to tell it from a network failure. */
class TimeoutMarker extends Error {}

const certAgentRetireMs = 10 * 60_000;

/**
 * Why a cap: without one, every reconcile in flight (and each of its parallel Secret reads) opened
 * its own TLS connection, and the agent kept them all. At --concurrency 64 and 1,000 connections
 * that was 270 sockets, 35 MiB more resident memory and a TLS handshake each on both sides. With
 * 16 the same run used less CPU in the operator and the API server (docs/scale.md).
 */
export const MAX_REQUEST_SOCKETS = 16;

/**
 * The sockets to one server with one set of credentials. `queued`: requests, at most
 * maxRequestSockets at once. `unqueued`: no cap, for callers whose number is bounded and whose
 * lateness costs more than a socket: watch streams (one per informer, held for minutes), lease
 * renewals (a leader that renews late loses its lease) and readiness probes.
 */
interface Agents {
  readonly queued: HttpAgent;
  readonly unqueued: HttpAgent;
}

export class Transport {
  readonly #config: ClusterConfig;
  readonly #url: URL;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #userAgent: string;
  readonly #maxRequestSockets: number;
  readonly #agents: Agents;
  readonly #availability: ApiAvailability | undefined;
  #certAgents: { readonly cert: string; readonly key: string; readonly agents: Agents } | undefined;

  constructor(config: ClusterConfig, options: TransportOptions = {}) {
    this.#config = config;
    this.#url = new URL(config.server);
    this.#basePath = this.#url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#userAgent = options.userAgent ?? 'imanage-operator';
    this.#maxRequestSockets = Math.max(1, options.maxRequestSockets ?? MAX_REQUEST_SOCKETS);
    this.#agents = this.#newAgents(config.cert, config.key);
    this.#availability = options.availability;
  }

  /** Sends a request and returns its parsed JSON answer (undefined for an empty body). */
  async json<T>(options: RequestOptions): Promise<T> {
    const line: RequestLine = { method: options.method, path: options.path };
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const deadline = new Deadline(options.timeoutMs ?? this.#timeoutMs);
    try {
      const res = await this.#exchange(options, body, deadline, options.unqueued ? 'unqueued' : 'queued');
      const raw = await readAll(res, line, deadline, options.signal);
      if (!isSuccess(res.statusCode)) throw this.#apiError(line, res, raw);
      if (raw.length === 0) return undefined as T;
      try {
        return JSON.parse(raw.toString('utf8')) as T;
      } catch {
        throw toResponseFormatError(line, res.statusCode ?? 0);
      }
    } catch (error) {
      throw this.#noted(error);
    } finally {
      deadline.clear();
    }
  }

  /**
   * Opens a streaming GET and hands each non-empty line to `onLine` until the server ends the
   * stream (resolves) or it fails (rejects). `onLine` throwing ends the stream with that error.
   */
  async stream(options: StreamOptions, onLine: (line: string) => void): Promise<void> {
    // A watch is a GET with watch=true; RBAC knows it by its own verb.
    const method = options.query?.['watch'] === true ? 'WATCH' : options.method;
    const line: RequestLine = { method, path: options.path };
    const deadline = new Deadline(options.timeoutMs ?? this.#timeoutMs);
    let res: IncomingMessage;
    try {
      try {
        res = await this.#exchange(options, undefined, deadline, 'unqueued');
        if (!isSuccess(res.statusCode)) {
          throw this.#apiError(line, res, await readAll(res, line, deadline, options.signal));
        }
      } finally {
        // The deadline covers the answer's head; the stream itself has its idle timeout.
        deadline.clear();
      }
      await readLines(res, line, options.idleTimeoutMs, onLine, options.signal);
    } catch (error) {
      throw this.#noted(error);
    }
  }

  /** A failure without an answer (refused, reset, timed out, a stream cut) means the server may be down. */
  #noted(error: unknown): unknown {
    if (error instanceof TransientApiError && error.status === 0) this.#availability?.failed();
    return error;
  }

  /** Closes idle keep-alive connections; in-flight requests fail. */
  close(): void {
    destroyAgents(this.#agents);
    if (this.#certAgents) destroyAgents(this.#certAgents.agents);
  }

  /** Sends once, and once more after a 401 if the authenticator then offers other credentials. */
  async #exchange(
    options: RequestOptions,
    body: Buffer | undefined,
    deadline: Deadline,
    use: keyof Agents,
  ): Promise<IncomingMessage> {
    const { authenticator } = this.#config;
    let credentials = await authenticator.credentials();
    for (let attempt = 1; ; attempt++) {
      const res = await this.#send(options, body, this.#agentsFor(credentials)[use], credentials, deadline);
      this.#availability?.answered(res.statusCode ?? 0);
      if (res.statusCode !== 401) return res;
      // Dropped even when not retried, so that the next request does not send them again.
      authenticator.invalidate(credentials);
      if (attempt > 1) return res;
      const fresh = await authenticator.credentials();
      if (fresh === credentials) return res;
      res.resume();
      credentials = fresh;
    }
  }

  #send(
    options: RequestOptions,
    body: Buffer | undefined,
    agent: HttpAgent,
    credentials: Credentials,
    deadline: Deadline,
  ): Promise<IncomingMessage> {
    const line: RequestLine = { method: options.method, path: options.path };
    const headers: Record<string, string | number> = {
      accept: options.accept ?? 'application/json',
      'user-agent': this.#userAgent,
    };
    if (credentials.token !== undefined) headers.authorization = `Bearer ${credentials.token}`;
    else if (credentials.basic !== undefined) {
      const { username, password } = credentials.basic;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = body.length;
    }
    const send = this.#url.protocol === 'http:' ? httpRequest : httpsRequest;
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise((resolve, reject) => {
      const req = send({
        protocol: this.#url.protocol,
        hostname: this.#url.hostname.replace(/^\[|\]$/g, ''),
        port: this.#url.port || undefined,
        method: options.method,
        path: this.#basePath + options.path + queryString(options.query),
        headers,
        agent,
      });
      const failed = (error: unknown): void => reject(wireFailure(line, error, options.signal));
      watchAbort(req, options.signal);
      deadline.watch(req);
      req.on('error', failed);
      req.on('response', resolve);
      req.end(body);
    });
  }

  #apiError(line: RequestLine, res: IncomingMessage, raw: Buffer): ApiError {
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const serverRecovering = this.#availability?.recovering() ?? false;
    return toApiError(line, res.statusCode ?? 0, body, res.headers['retry-after'], { serverRecovering });
  }

  #agentsFor(credentials: Credentials): Agents {
    const { cert, key } = credentials;
    if (cert === undefined || key === undefined) return this.#agents;
    if (this.#certAgents?.cert === cert && this.#certAgents.key === key) return this.#certAgents.agents;
    // An exec plugin handed out a new certificate. Requests still running on the old agents
    // (a watch) may finish; the agents and their sockets go after a while.
    const retired = this.#certAgents?.agents;
    if (retired) setTimeout(() => destroyAgents(retired), certAgentRetireMs).unref();
    this.#certAgents = { cert, key, agents: this.#newAgents(cert, key) };
    return this.#certAgents.agents;
  }

  #newAgents(cert: string | undefined, key: string | undefined): Agents {
    const max = this.#maxRequestSockets;
    const queued = { keepAlive: true, maxSockets: max, maxFreeSockets: max };
    return { queued: this.#newAgent(cert, key, queued), unqueued: this.#newAgent(cert, key, { keepAlive: true }) };
  }

  #newAgent(cert: string | undefined, key: string | undefined, pooling: HttpAgentOptions): HttpAgent {
    const { ca, insecureSkipTlsVerify, tlsServerName, proxy } = this.#config;
    if (this.#url.protocol === 'http:') return proxy ? new TunnelledHttpAgent(proxy, pooling) : new HttpAgent(pooling);
    // One context, made once per agent: given PEM text instead, tls.connect parses it again for
    // every new socket (the kubeconfig loader has checked it already, kube/tls-material.ts).
    const pem = { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }) };
    const options: HttpsAgentOptions = {
      ...pooling,
      ...(ca === undefined && cert === undefined ? {} : { secureContext: createSecureContext(pem) }),
      rejectUnauthorized: !insecureSkipTlsVerify,
      ...(tlsServerName === undefined ? {} : { servername: tlsServerName }),
    };
    return proxy ? new TunnelledHttpsAgent(proxy, options) : new HttpsAgent(options);
  }
}

function destroyAgents(agents: Agents): void {
  agents.queued.destroy();
  agents.unqueued.destroy();
}

// With a kubeconfig's proxy-url, each new socket is a CONNECT tunnel to the server (tunnel.ts);
// Node's Agent waits for createConnection's callback, and the TLS options are the agent's own.
type ConnectionCallback = (error: Error | null, socket: Duplex) => void;

function tunnelFor(proxy: ProxyEndpoint, options: NodeRequestOptions): Promise<Socket> {
  const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
  return openTunnel(proxy, `${isIP(host) === 6 ? `[${host}]` : host}:${options.port}`);
}

const failedConnection = (callback: ConnectionCallback | undefined) => (error: unknown) =>
  callback?.(error as Error, undefined as unknown as Duplex);

class TunnelledHttpAgent extends HttpAgent {
  readonly #proxy: ProxyEndpoint;
  constructor(proxy: ProxyEndpoint, options: HttpAgentOptions) {
    super(options);
    this.#proxy = proxy;
  }

  override createConnection(options: NodeRequestOptions, callback?: ConnectionCallback): undefined {
    tunnelFor(this.#proxy, options).then((socket) => callback?.(null, socket), failedConnection(callback));
    return undefined;
  }
}

class TunnelledHttpsAgent extends HttpsAgent {
  readonly #proxy: ProxyEndpoint;
  constructor(proxy: ProxyEndpoint, options: HttpsAgentOptions) {
    super(options);
    this.#proxy = proxy;
  }

  override createConnection(options: NodeRequestOptions, callback?: ConnectionCallback): undefined {
    tunnelFor(this.#proxy, options).then(
      (socket) => callback?.(null, tlsConnect({ ...(options as ConnectionOptions), socket })),
      failedConnection(callback),
    );
    return undefined;
  }
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

function queryString(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** One timer for the whole exchange, including a retry after 401 and reading the body. */
class Deadline {
  readonly #atMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#atMs = Date.now() + timeoutMs;
  }

  /** Destroys `target` when the deadline passes (at once if it has passed). */
  watch(target: ClientRequest | IncomingMessage): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => target.destroy(new TimeoutMarker()), Math.max(0, this.#atMs - Date.now()));
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/** False when the signal already aborted. */
function watchAbort(target: ClientRequest | IncomingMessage, signal: AbortSignal | undefined): boolean {
  if (!signal) return true;
  if (signal.aborted) return false;
  const onAbort = (): void => {
    target.destroy(new Error('aborted by the caller'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  target.once('close', () => signal.removeEventListener('abort', onAbort));
  return true;
}

/** The caller's abort reason, our timeout, or a network failure. */
function wireFailure(line: RequestLine, error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof TimeoutMarker) return toTransportError(line, 'Timeout');
  return toTransportError(line, 'NetworkError', error);
}

function readAll(
  res: IncomingMessage,
  line: RequestLine,
  deadline: Deadline,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const failed = (error: unknown): void => reject(wireFailure(line, error, signal));
    if (!watchAbort(res, signal)) return failed(undefined);
    deadline.watch(res);
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', failed);
    res.on('close', () => {
      if (!res.complete) failed(new ConnectionCut());
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** The connection closed before the answer was complete, without a socket error. */
class ConnectionCut extends Error {
  override name = 'ConnectionCut';

  constructor() {
    super('the connection closed before the answer was complete');
  }
}

function readLines(
  res: IncomingMessage,
  line: RequestLine,
  idleTimeoutMs: number,
  onLine: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = new LineSplitter();
    let settled = false;
    const idle = setTimeout(() => res.destroy(new TimeoutMarker()), idleTimeoutMs);
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      outcome();
    };
    const failed = (error: unknown): void => settle(() => reject(wireFailure(line, error, signal)));
    if (!watchAbort(res, signal)) return failed(undefined);
    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      idle.refresh();
      try {
        lines.push(chunk, onLine);
      } catch (error) {
        // The handler's own error, not the wire's: passed on as it is.
        settle(() => reject(error));
        res.destroy();
      }
    });
    res.on('error', failed);
    res.on('end', () => settle(resolve));
    // A connection cut mid-stream closes the response without 'end'.
    res.on('close', () => {
      if (!res.complete) failed(new ConnectionCut());
      else settle(resolve);
    });
  });
}
