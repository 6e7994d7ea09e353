// The callback endpoint: GET on the path of --callback-url, on every replica. It answers the
// browser with a small page saying what happened and what to do next (callback-page.ts), and
// nothing else:
// - no token, code or state in the page, and no query value reflected (the page's words are ours;
//   the connection's name comes from the authenticated state and is escaped all the same);
// - one redirect only: the sign-in URL (the state alone, checked first, so an expired or replaced
//   URL says so before any password) goes on to iManage's page, to the URL the connection's own
//   sign-in Secret holds for that same state; never anywhere a request chose (no open redirect);
// - bounded, because anyone may call it (issue 18, finding 4): request line and headers within
//   16 KiB and within LIMITS.headersMs (checked every LIMITS.checkMs, so a slow client is cut off
//   within seconds), the whole request within LIMITS.requestMs, no request body, at most
//   LIMITS.connections sockets, a token bucket per source address and one for all
//   (rate-limit.ts), at most MAX_IN_FLIGHT sign-ins at once, and an answer within
//   ANSWER_TIMEOUT_MS whatever iManage does. A forged state costs no API-server call
//   (callback.ts verifies it first, with the key held in memory).
// - headers that keep the code out of other sites' logs (Referrer-Policy) and caches (no-store).
// HTTP by default: in a cluster an Ingress terminates TLS; HTTPS when given a certificate (the
// demo, whose callback URL says https, and tests).

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CallbackContext, type CallbackOutcome, finishSignIn } from './callback.ts';
import { outcomePage, type Page, PLAIN_PAGES, renderPage, SECURITY_HEADERS } from './callback-page.ts';
import { CALLBACK_RATE_LIMITS, RateLimiter, type RateLimits } from './rate-limit.ts';

export { escapeHtml } from './callback-page.ts';

export interface CallbackTls {
  readonly cert: string;
  readonly key: string;
}

export interface CallbackLimits {
  readonly headersMs: number;
  readonly requestMs: number;
  /** How often Node checks the two above. */
  readonly checkMs: number;
  readonly keepAliveMs: number;
  readonly connections: number;
  readonly rates: RateLimits;
}

export const CALLBACK_LIMITS: CallbackLimits = {
  headersMs: 5_000,
  requestMs: 10_000,
  checkMs: 1_000,
  keepAliveMs: 5_000,
  connections: 256,
  rates: CALLBACK_RATE_LIMITS,
};

export interface CallbackServerOptions {
  readonly address: { readonly host: string; readonly port: number };
  readonly callbackUrl: string;
  readonly tls?: CallbackTls;
  readonly context: CallbackContext;
  /** Tests make them small. @default CALLBACK_LIMITS */
  readonly limits?: CallbackLimits;
  /** The rate limits' clock, in milliseconds (tests stop it). */
  readonly clock?: () => number;
}

export interface CallbackServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_HEADER_BYTES = 16 * 1024;
const ANSWER_TIMEOUT_MS = 60_000;
const MAX_IN_FLIGHT = 32;

export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const path = new URL(options.callbackUrl).pathname;
  const limits = options.limits ?? CALLBACK_LIMITS;
  const rates = new RateLimiter(limits.rates, options.clock);
  let inFlight = 0;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const busy = () => inFlight >= MAX_IN_FLIGHT || !rates.take(sourceOf(req));
    const refusal = refuse(req, path) ?? (busy() ? PLAIN_PAGES.busy : undefined);
    if (refusal) return answer(res, refusal);
    inFlight++;
    void respond(req, res, options.context).finally(() => inFlight--);
  };
  const settings = {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: limits.headersMs,
    requestTimeout: limits.requestMs,
    connectionsCheckingInterval: limits.checkMs,
    keepAliveTimeout: limits.keepAliveMs,
  };
  const server: Server = options.tls
    ? createHttpsServer({ ...settings, cert: options.tls.cert, key: options.tls.key }, handle)
    : createHttpServer(settings, handle);
  server.maxConnections = limits.connections;
  // A TLS handshake that never completes holds a socket too: it ends with the request deadline.
  server.setTimeout(limits.requestMs, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.address.port, options.address.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    host: bound.address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The peer's address: behind an Ingress, the Ingress's (a forwarded header anyone can write is not trusted). */
const sourceOf = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';

/** Requests answered without looking at their query. */
function refuse(req: IncomingMessage, path: string): Page | undefined {
  const url = new URL(req.url ?? '/', 'http://callback.invalid');
  if (url.pathname !== path) return PLAIN_PAGES.notFound;
  if (req.method !== 'GET') return PLAIN_PAGES.method;
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > 0 || req.headers['transfer-encoding'] !== undefined) return PLAIN_PAGES.body;
  return undefined;
}

async function respond(req: IncomingMessage, res: ServerResponse, context: CallbackContext): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://callback.invalid').searchParams;
  let outcome: CallbackOutcome | 'late';
  try {
    outcome = await Promise.race([finishSignIn(query, context), late()]);
  } catch (error) {
    context.logger.error({ err: (error as Error).message }, 'link: the callback failed');
    return answer(res, PLAIN_PAGES.broken);
  }
  if (outcome === 'late') return answer(res, PLAIN_PAGES.late);
  if (outcome.kind === 'Start') {
    res.writeHead(302, { ...SECURITY_HEADERS, location: outcome.location, 'content-length': 0 });
    return void res.end();
  }
  const c = outcome.kind === 'Failed' ? outcome.connection : outcome.connection;
  const result = outcome.kind === 'Failed' ? outcome.reason : outcome.kind;
  context.logger.info({ ...(c ? { connection: `${c.namespace}/${c.name}` } : {}), result }, 'link: callback answered');
  answer(res, outcomePage(outcome));
}

function late(): Promise<'late'> {
  return new Promise((resolve) => setTimeout(() => resolve('late'), ANSWER_TIMEOUT_MS).unref());
}

function answer(res: ServerResponse, page: Page): void {
  const body = renderPage(page);
  res.writeHead(page.status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(page.status === 405 ? { allow: 'GET' } : {}),
    ...(page.status === 413 ? { connection: 'close' } : {}),
    ...(page.status === 429 ? { 'retry-after': '60' } : {}),
  });
  res.end(body);
}
