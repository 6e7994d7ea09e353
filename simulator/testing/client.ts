// A small HTTP(S) client for tests that behaves like `curl --resolve host:port:127.0.0.1 --cacert ca.pem`:
// it connects to loopback, sends the virtual host as SNI and Host header, and trusts only the test CA.
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Target {
  readonly port: number;
  /** Virtual host name, e.g. acme.cloudimanage.com. */
  readonly host: string;
  /** CA to trust; when absent, plain HTTP is used. */
  readonly ca?: string;
}

export interface Sent {
  readonly method?: string;
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** Give up after this many milliseconds (the request then rejects with code 'TIMEOUT'). */
  readonly timeoutMs?: number;
}

export interface Received {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export class ClientTimeoutError extends Error {
  override readonly name = 'ClientTimeoutError';
  readonly code = 'TIMEOUT';
}

export function send(target: Target, sent: Sent): Promise<Received> {
  const request = target.ca === undefined ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: sent.method ?? 'GET',
        path: sent.path,
        headers: { host: `${target.host}:${target.port}`, ...sent.headers },
        agent: false,
        ...(target.ca === undefined ? {} : { ca: target.ca, servername: target.host }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    if (sent.timeoutMs !== undefined) {
      req.setTimeout(sent.timeoutMs, () =>
        req.destroy(new ClientTimeoutError(`no answer within ${sent.timeoutMs} ms`)),
      );
    }
    req.on('error', reject);
    req.end(sent.body);
  });
}

/** application/x-www-form-urlencoded, as OAuth clients send it. */
export function form(fields: Record<string, string>): Pick<Sent, 'headers' | 'body'> {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

export function jsonBody(value: unknown): Pick<Sent, 'headers' | 'body'> {
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}
