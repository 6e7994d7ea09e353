// What one HTTPS request costs the client's CPU with Node's http client, as the operator makes its
// requests (a kept-alive https.Agent, a JSON answer read and parsed): a GET, and a PUT of a
// 2.5 KiB body, against a loopback server in a process of its own, so that only the client is
// counted. The operator's CPU at 1,000 connections with probes and tokens on is mostly requests
// (docs/scale.md, "What 1.2× leaves the operator"): about 8,300 to the API server and 4,000 to
// iManage. Where undici is installed (it is not a dependency: `npm install --no-save undici`), its
// Pool is measured beside it, as the one replacement that keeps HTTP/1.1.
// Not a test: it prints its figures. Node's flags are the process's own; run it under each profile:
//
//   node bench/http-client.ts [requests=6000] [in flight=16]
//   node --max-semi-space-size=1 --optimize-for-size --no-opt bench/http-client.ts

import { fork } from 'node:child_process';
import { Agent, createServer, request } from 'node:https';
import { createAuthority, currentValidity, issueServerCertificate } from '../simulator/tls/certs.ts';

const REQUESTS = Number(process.argv[2] ?? 6000);
const IN_FLIGHT = Number(process.argv[3] ?? 16);
const ANSWER = JSON.stringify({ kind: 'Secret', metadata: { name: 'x', resourceVersion: '1' }, data: { a: 'x'.repeat(2500) } });
const PUT_BODY = Buffer.from(JSON.stringify({ status: { conditions: [{ type: 'Ready', message: 'y'.repeat(2500) }] } }));
const PATH = '/api/v1/namespaces/bench/secrets/x';

interface ServerTls {
  readonly key: string;
  readonly cert: string;
}

/** The child: answers every request with ANSWER once it has read the body. */
function serve(tls: ServerTls): void {
  const server = createServer({ ...tls, keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER));
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.(typeof address === 'object' && address ? address.port : 0);
  });
  process.on('disconnect', () => process.exit(0));
}

type Send = (method: 'GET' | 'PUT') => Promise<unknown>;

function nodeHttps(port: number, ca: string): Send {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT, maxFreeSockets: IN_FLIGHT, ca, servername: 'localhost' });
  return (method) =>
    new Promise((resolve, reject) => {
      const headers = { accept: 'application/json', authorization: 'Bearer bench' };
      const body = method === 'PUT' ? { 'content-type': 'application/json', 'content-length': PUT_BODY.length } : {};
      const req = request({ host: '127.0.0.1', port, path: PATH, method, agent, headers: { ...headers, ...body } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(method === 'PUT' ? PUT_BODY : undefined);
    });
}

interface UndiciPool {
  request(options: object): Promise<{ body: { text(): Promise<string> } }>;
}

/** undici's Pool where it is installed; undefined where it is not. */
async function undiciPool(port: number, ca: string): Promise<Send | undefined> {
  const specifier = 'undici';
  const undici = (await import(specifier).catch(() => undefined)) as
    | { Pool: new (url: string, options: object) => UndiciPool }
    | undefined;
  if (!undici) return undefined;
  const pool = new undici.Pool(`https://127.0.0.1:${port}`, { connections: IN_FLIGHT, connect: { ca, servername: 'localhost' } });
  return async (method) => {
    const headers = { accept: 'application/json', authorization: 'Bearer bench', ...(method === 'PUT' ? { 'content-type': 'application/json' } : {}) };
    const { body } = await pool.request({ path: PATH, method, headers, ...(method === 'PUT' ? { body: PUT_BODY } : {}) });
    return JSON.parse(await body.text());
  };
}

/** CPU (user + system) of this process per request, in µs, with IN_FLIGHT requests at a time. */
async function cpuPerRequest(send: Send, method: 'GET' | 'PUT'): Promise<number> {
  let started = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (started++ < REQUESTS) await send(method);
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / REQUESTS;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'serve') {
    process.once('message', (tls) => serve(tls as ServerTls));
    return;
  }
  const authority = createAuthority();
  const tls = issueServerCertificate(authority, ['localhost', '127.0.0.1'], currentValidity());
  const child = fork(new URL(import.meta.url).pathname, ['serve'], { execArgv: [] });
  const port = await new Promise<number>((resolve) => {
    child.once('message', (message) => resolve(Number(message)));
    child.send({ key: tls.keyPem, cert: tls.certPem } satisfies ServerTls);
  });
  try {
    const clients: [string, Send][] = [['node:https', nodeHttps(port, authority.certPem)]];
    const undici = await undiciPool(port, authority.certPem);
    if (undici) clients.push(['undici Pool', undici]);
    const flags = process.execArgv.join(' ') || '(none)';
    process.stdout.write(`http-client: ${REQUESTS} requests a round, ${IN_FLIGHT} in flight, node ${process.version}, flags ${flags}\n`);
    if (!undici) process.stdout.write('  (undici is not installed: npm install --no-save undici to measure it too)\n');
    for (const method of ['GET', 'PUT'] as const) {
      for (const [name, send] of clients) {
        await cpuPerRequest(send, method); // warm-up round: connections, and compiled code
        const rounds = [await cpuPerRequest(send, method), await cpuPerRequest(send, method)];
        const body = method === 'PUT' ? `, ${PUT_BODY.length} B body` : '';
        process.stdout.write(`  ${method} ${name.padEnd(11)} ${rounds.map((us) => us.toFixed(0)).join(', ')} µs of client CPU per request (two rounds${body}; answer ${ANSWER.length} B)\n`);
      }
    }
  } finally {
    child.disconnect();
  }
}

await main();
