// One request through the public ports: pick the virtual host, apply any fault, route, render
// errors in the right wire format, write, and log (redacted).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FaultKind, HostConfig, TokenErrorShape } from '../config/types.ts';
import { ApiError, ConfigError, OAuthError } from '../errors.ts';
import type { ActiveFault, FaultSet } from '../faults/faults.ts';
import type { World } from '../state/world.ts';
import { readBody } from './body.ts';
import type { RequestContext } from './context.ts';
import { apiErrorReply, oauthErrorReply, type Reply } from './reply.ts';
import { redactQuery, type RequestLog, type RequestLogEntry } from './request-log.ts';
import type { Router } from './router.ts';

export interface DispatchDeps {
  readonly world: World;
  readonly router: Router;
  readonly faults: FaultSet;
  readonly log: RequestLog;
  /** Aborted on stop, so slow-fault delays end at once. */
  readonly stopping: AbortSignal;
}

export function requestHandler(deps: DispatchDeps, scheme: 'http' | 'https') {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void handle(deps, scheme, req, res);
  };
}

async function handle(
  deps: DispatchDeps,
  scheme: 'http' | 'https',
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://request.invalid');
  const method = req.method ?? 'GET';
  const entry: Omit<RequestLogEntry, 'status'> = {
    time: deps.world.clock.now().toISOString(),
    scheme,
    method,
    host: hostOf(req.headers.host),
    path: url.pathname,
    query: redactQuery(url.searchParams),
  };
  let fault: ActiveFault | undefined;
  let reply: Reply;
  let host: HostConfig | undefined;
  try {
    host = resolveHost(deps.world, entry.host, req);
    fault = deps.faults.takeRequestFault(host.name, method, url.pathname);
    if (fault?.kind === 'reset') {
      resetConnection(req);
      deps.log.add({ ...entry, status: 0, fault: 'reset' });
      return;
    }
    if (fault?.kind === 'slow') await delay(fault.delayMs, deps.stopping);
    reply = fault && fault.kind !== 'slow' ? faultReply(fault) : await route(deps, req, url, host, scheme);
  } catch (err) {
    reply = errorReply(err, req, tokenErrorShape(host, url.pathname));
  }
  send(res, reply);
  deps.log.add({ ...entry, status: reply.status, ...withFault(fault?.kind) });
}

function withFault(kind: FaultKind | undefined): { fault?: FaultKind } {
  return kind === undefined ? {} : { fault: kind };
}

/** Host header without the port; the virtual host must exist and agree with the TLS SNI name. */
export function hostOf(header: string | undefined): string {
  const value = (header ?? '').trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  const colon = value.lastIndexOf(':');
  return colon >= 0 ? value.slice(0, colon) : value;
}

/** assumption: unknown-host */
function resolveHost(world: World, name: string, req: IncomingMessage): HostConfig {
  const host = world.host(name);
  if (!host) throw new ApiError(421, 'MISDIRECTED_REQUEST', `this server does not serve host '${name}'`);
  const sni = (req.socket as Partial<TLSSocket>).servername;
  if (typeof sni === 'string' && sni.toLowerCase() !== host.name) {
    throw new ApiError(421, 'MISDIRECTED_REQUEST', `TLS was for '${sni}' but the Host header names '${name}'`);
  }
  return host;
}

async function route(
  deps: DispatchDeps,
  req: IncomingMessage,
  url: URL,
  host: HostConfig,
  scheme: string,
): Promise<Reply> {
  const match = deps.router.match(req.method ?? 'GET', url.pathname);
  if (match.kind === 'none') throw new ApiError(404, 'NOT_FOUND', `no endpoint ${url.pathname}`);
  if (match.kind === 'wrong-method') {
    throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed here`, {
      headers: { allow: match.allowed.join(', ') },
    });
  }
  let body: Promise<Buffer> | undefined;
  const ctx: RequestContext = {
    req,
    method: req.method ?? 'GET',
    url,
    host,
    origin: `${scheme}://${req.headers.host ?? host.name}`,
    params: match.params,
    world: deps.world,
    body: () => (body ??= readBody(req)),
  };
  return match.handler(ctx);
}

/** assumption: error-codes, rate-limits */
function faultReply(fault: ActiveFault): Reply {
  if (fault.kind === 'rate-limit') {
    return apiErrorReply(
      new ApiError(429, 'TOO_MANY_REQUESTS', 'rate limit exceeded (simulated)', {
        headers: { 'retry-after': String(fault.retryAfterSeconds) },
      }),
    );
  }
  const code = fault.status >= 500 ? 'SERVER_ERROR' : 'SIMULATED_FAULT';
  return apiErrorReply(new ApiError(fault.status, code, `simulated failure (${fault.id})`));
}

/** assumption: token-error-shape — the host's shape, at the token and revocation endpoints only. */
function tokenErrorShape(host: HostConfig | undefined, path: string): TokenErrorShape {
  const tokenEndpoint = path === '/auth/oauth2/token' || path === '/auth/oauth2/revoke-token';
  return tokenEndpoint && host ? host.dialect.tokenErrors : 'rfc6749';
}

function errorReply(err: unknown, req: IncomingMessage, shape: TokenErrorShape): Reply {
  if (err instanceof ApiError) return apiErrorReply(err);
  if (err instanceof OAuthError) {
    return oauthErrorReply(err, (req.headers.accept ?? '').includes('text/html'), shape);
  }
  if (err instanceof ConfigError) {
    return apiErrorReply(
      new ApiError(400, 'INVALID_PARAMETER', err.message, {
        messages: [{ field: err.path, code: 'invalid', code_message: err.message }],
      }),
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return apiErrorReply(new ApiError(500, 'SERVER_ERROR', `internal simulator error: ${message}`));
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
  res.end(reply.body);
}

/**
 * A TCP RST, so the client sees "connection reset by peer". A TLS socket's own handle cannot send
 * one, so the raw TCP socket underneath it is used (Node keeps it as `_parent`, not public API);
 * without it the connection is only torn down without a TLS close_notify.
 */
function resetConnection(req: IncomingMessage): void {
  const socket = req.socket;
  const tcp = (socket as Socket & { _parent?: unknown })._parent;
  try {
    (tcp instanceof Socket ? tcp : socket).resetAndDestroy();
  } catch {
    // ERR_INVALID_HANDLE_TYPE: not a TCP handle after all
  }
  socket.destroy();
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
