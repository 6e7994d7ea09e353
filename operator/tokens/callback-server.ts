// The callback endpoint: GET on the path of --callback-url, on every replica. It answers the
// browser with a small page saying what happened and what to do next, and nothing else:
// - no token, code or state in the page, and no query value reflected (the page's words are ours;
//   the connection's name comes from the authenticated state and is escaped all the same);
// - never a redirect, so it cannot serve as an open redirect;
// - bounded: request line and headers within 16 KiB, no request body accepted, headers within
//   10 s, at most MAX_IN_FLIGHT sign-ins at once (each costs API-server and iManage calls), an
//   answer within ANSWER_TIMEOUT_MS whatever iManage does;
// - headers that keep the code out of other sites' logs (Referrer-Policy) and caches (no-store).
// HTTP by default: in a cluster an Ingress terminates TLS; HTTPS when given a certificate (tests).

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CallbackContext, type CallbackOutcome, finishSignIn } from './callback.ts';

export interface CallbackTls {
  readonly cert: string;
  readonly key: string;
}

export interface CallbackServerOptions {
  readonly address: { readonly host: string; readonly port: number };
  readonly callbackUrl: string;
  readonly tls?: CallbackTls;
  readonly context: CallbackContext;
}

export interface CallbackServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_HEADER_BYTES = 16 * 1024;
const HEADERS_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 60_000;
const MAX_IN_FLIGHT = 32;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
} as const;

export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const path = new URL(options.callbackUrl).pathname;
  let inFlight = 0;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const refusal = refuse(req, path, inFlight);
    if (refusal) return answer(res, refusal.status, refusal.title, refusal.message);
    inFlight++;
    void respond(req, res, options.context).finally(() => inFlight--);
  };
  const settings = { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 30_000 };
  const server: Server = options.tls
    ? createHttpsServer({ ...settings, cert: options.tls.cert, key: options.tls.key }, handle)
    : createHttpServer(settings, handle);
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

interface Refusal {
  readonly status: number;
  readonly title: string;
  readonly message: string;
}

/** Requests answered without looking at their query. */
function refuse(req: IncomingMessage, path: string, inFlight: number): Refusal | undefined {
  const url = new URL(req.url ?? '/', 'http://callback.invalid');
  if (url.pathname !== path) return { status: 404, title: 'Not found', message: 'Nothing is served here.' };
  if (req.method !== 'GET') {
    return { status: 405, title: 'Method not allowed', message: 'The sign-in callback takes GET only.' };
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > 0 || req.headers['transfer-encoding'] !== undefined) {
    return { status: 413, title: 'Unexpected body', message: 'The sign-in callback takes no request body.' };
  }
  if (inFlight >= MAX_IN_FLIGHT) {
    return { status: 503, title: 'Busy', message: 'Too many sign-ins at once: reload this page in a minute.' };
  }
  return undefined;
}

async function respond(req: IncomingMessage, res: ServerResponse, context: CallbackContext): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://callback.invalid').searchParams;
  let outcome: CallbackOutcome | 'late';
  try {
    outcome = await Promise.race([finishSignIn(query, context), late()]);
  } catch (error) {
    context.logger.error({ err: (error as Error).message }, 'link: the callback failed');
    return answer(res, 500, 'Not linked', 'The operator could not finish the sign-in (see its log). Sign in again.');
  }
  if (outcome === 'late') {
    return answer(res, 504, 'Still working', "The sign-in takes longer than expected: check the connection's status.");
  }
  context.logger.info(
    { ...outcome.connection, result: outcome.result.ok ? 'Linked' : outcome.result.reason },
    'link: callback answered',
  );
  answer(res, statusOf(outcome), outcome.result.ok ? 'Linked' : 'Not linked', pageText(outcome));
}

function late(): Promise<'late'> {
  return new Promise((resolve) => setTimeout(() => resolve('late'), ANSWER_TIMEOUT_MS).unref());
}

function statusOf(outcome: CallbackOutcome): number {
  if (outcome.result.ok) return 200;
  return { Expired: 400, StateMismatch: 400, Denied: 403, ExchangeFailed: 502, StoreFailed: 500 }[
    outcome.result.reason
  ];
}

function pageText(outcome: CallbackOutcome): string {
  const c = outcome.connection;
  const named = c ? `connection ${c.namespace}/${c.name}` : 'the connection';
  if (!outcome.result.ok) return `Could not link ${named}: ${outcome.result.message}.`;
  const check = c ? ` Check it with: kubectl get imanageconnection ${c.name} -n ${c.namespace}` : '';
  return `The operator stored the tokens of ${named}. You can close this window.${check}`;
}

function answer(res: ServerResponse, status: number, title: string, message: string): void {
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>\n`;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(status === 405 ? { allow: 'GET' } : {}),
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  res.end(body);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
