// A hostile "iManage" on loopback for the tenant-isolation test: one HTTPS port, one behaviour per
// host name (SNI and Host), each an attack a connection's author could aim at the operator.
//   redos   every answer is a run of `token.` (the excerpt ReDoS), up to 1 MiB on the token path
//   drip    the authorize and token paths answer one byte every 1.5 s, for as long as they are held
//   expiry  a working iManage whose token endpoint says expires_in: 0
//   thief   a working iManage that records every request, so a test can look for stolen secrets
// It never sends a packet anywhere: it only answers what reaches it on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Authority, currentValidity, issueServerCertificate } from '../../simulator/tls/certs.ts';

export const HOSTILE_HOSTS = {
  redos: 'redos.hostile.test',
  drip: 'drip.hostile.test',
  expiry: 'expiry.hostile.test',
  thief: 'thief.hostile.test',
} as const;

export interface SeenRequest {
  readonly host: string;
  readonly method: string;
  readonly path: string;
  readonly headers: string;
  readonly body: string;
}

const DRIP_EVERY_MS = 1_500;
/** A drip ends by itself after this long, so the server never outlives its test by much. */
const DRIP_AT_MOST_MS = 10 * 60_000;
const BODY_LIMIT = 64 * 1024;

const redosRun = (bytes: number): string => 'token.'.repeat(Math.ceil(bytes / 6));

export class HostileServer {
  readonly requests: SeenRequest[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(ca: Authority): Promise<HostileServer> {
    const cert = issueServerCertificate(ca, Object.values(HOSTILE_HOSTS), currentValidity());
    let self: HostileServer | undefined;
    const server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => void self!.#handle(req, res));
    self = new HostileServer(server);
    server.on('secureConnection', (socket) => {
      self!.#sockets.add(socket);
      socket.on('close', () => self!.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** `--resolve` entries sending every hostile host's :443 here. */
  resolveEntries(): string[] {
    return Object.values(HOSTILE_HOSTS).map((h) => `${h}:443:127.0.0.1:${this.port}`);
  }

  count(host: string, path: string): number {
    return this.requests.filter((r) => r.host === host && r.path.startsWith(path)).length;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const body = await readBody(req);
    const path = req.url ?? '/';
    this.requests.push({ host, method: req.method ?? '', path, headers: JSON.stringify(req.headers), body });
    if (host === HOSTILE_HOSTS.redos) return redos(path, res);
    if (host === HOSTILE_HOSTS.drip) return this.#drip(path, res);
    return workingIManage(req, path, res, host === HOSTILE_HOSTS.expiry ? 0 : 1800);
  }

  #drip(path: string, res: ServerResponse): void {
    if (path.startsWith('/api')) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
    res.writeHead(200, { 'content-type': 'text/html' });
    const started = Date.now();
    const timer = setInterval(() => {
      if (res.destroyed || Date.now() - started > DRIP_AT_MOST_MS) {
        clearInterval(timer);
        this.#timers.delete(timer);
        res.destroy();
        return;
      }
      res.write('<');
    }, DRIP_EVERY_MS);
    this.#timers.add(timer);
  }
}

function redos(path: string, res: ServerResponse): void {
  if (path.startsWith('/auth/oauth2/token')) {
    const description = redosRun(1024 * 1024);
    res.writeHead(400, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ error: 'invalid_request', error_description: description }));
  }
  const status = path.startsWith('/api') ? 401 : 400;
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(redosRun(16 * 1024));
}

/** Just enough of iManage for a password grant and discovery to work. */
function workingIManage(req: IncomingMessage, path: string, res: ServerResponse, expiresIn: number): void {
  const json = (status: number, doc: unknown): void =>
    void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  if (path.startsWith('/auth/oauth2/token')) {
    return json(200, {
      access_token: randomBytes(16).toString('hex'),
      refresh_token: randomBytes(16).toString('hex'),
      token_type: 'Bearer',
      expires_in: expiresIn,
    });
  }
  if (path.startsWith('/auth/oauth2/revoke')) return json(200, {});
  if (path.startsWith('/api') || path.startsWith('/work/api')) {
    if (!req.headers['x-auth-token']) return json(401, { error: { code: 'Unauthorized' } });
    return json(200, {
      data: {
        user: { customer_id: 100, id: 'ATTACKER', name: 'ATTACKER', full_name: 'Attacker', preferred_library: 'ACTIVE_US' },
        work: { preferred_library: 'ACTIVE_US', libraries: [{ alias: 'ACTIVE_US', type: 'worksite' }] },
        dms_version: '10.4.0',
      },
    });
  }
  json(404, { error: { code: 'NotFound' } });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= BODY_LIMIT) chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
