// What a request to the API server costs both sides, by protocol: HTTP/1.1 over N keep-alive
// sockets (what operator/runtime/kube/transport.ts does) against HTTP/2 on one connection (what
// client-go does), each for JSON and, where Kubernetes offers it, protobuf. Prints CPU seconds of
// the client, kube-apiserver and etcd per 1,000 requests; asserts nothing.
//
//   node bench/api-protocol.ts [requests=6000] [concurrency=16]
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { cpuSeconds } from './operator-scale.ts';
import { startControlPlane } from '../test/harness/controlplane.ts';

const requests = Number(process.argv[2] ?? 6000);
const concurrency = Number(process.argv[3] ?? 16);
const secretCount = 50;

interface Call {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly accept: string;
  readonly body?: Buffer;
}
type Send = (call: Call) => Promise<number>;

const succeeded = (status: number | undefined): boolean => status !== undefined && status >= 200 && status < 300;

function h1(server: URL, ca: string, token: string): { send: Send; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca });
  const send: Send = (call) =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          agent,
          host: server.hostname,
          port: server.port,
          method: call.method,
          path: call.path,
          headers: {
            authorization: `Bearer ${token}`,
            accept: call.accept,
            ...(call.body ? { 'content-type': 'application/json', 'content-length': call.body.length } : {}),
          },
        },
        (res) => {
          let n = 0;
          res.on('data', (chunk: Buffer) => (n += chunk.length));
          res.on('end', () => (succeeded(res.statusCode) ? resolve(n) : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(call.body);
    });
  return { send, close: () => agent.destroy() };
}

function h2(server: URL, ca: string, token: string): { send: Send; close: () => void } {
  const session: ClientHttp2Session = http2Connect(server.origin, { ca });
  const send: Send = (call) =>
    new Promise((resolve, reject) => {
      const stream = session.request({
        ':method': call.method,
        ':path': call.path,
        authorization: `Bearer ${token}`,
        accept: call.accept,
        ...(call.body ? { 'content-type': 'application/json' } : {}),
      });
      let status = 0;
      let n = 0;
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.on('data', (chunk: Buffer) => (n += chunk.length));
      stream.on('end', () => (succeeded(status) ? resolve(n) : reject(new Error(`HTTP ${status}`))));
      stream.on('error', reject);
      stream.end(call.body);
    });
  return { send, close: () => session.close() };
}

async function run(send: Send, calls: (i: number) => Call): Promise<number> {
  let next = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const n = await send(calls(next++));
        bytes += n;
      }
    }),
  );
  return bytes;
}

const plane = await startControlPlane();
try {
  const kubeconfig = load(readFileSync(plane.kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { 'certificate-authority': string } }[];
    users: { user: { token: string } }[];
  };
  const ca = readFileSync(kubeconfig.clusters[0]!.cluster['certificate-authority'], 'utf8');
  const token = kubeconfig.users[0]!.user.token;
  const server = new URL(plane.server);
  const pid = (name: string) => Number(readFileSync(join(plane.workDir, `${name}.pid`), 'utf8'));
  const pids = { apiserver: pid('kube-apiserver'), etcd: pid('etcd') };

  const setup = h1(server, ca, token);
  const data = { token: Buffer.from('x'.repeat(1200)).toString('base64') };
  for (let i = 0; i < secretCount; i++) {
    const body = Buffer.from(JSON.stringify({ metadata: { name: `s${i}` }, data }));
    await setup.send({ method: 'POST', path: '/api/v1/namespaces/default/secrets', accept: 'application/json', body });
  }
  setup.close();

  const json = 'application/json';
  const proto = 'application/vnd.kubernetes.protobuf';
  const get = (accept: string) => (i: number) => ({
    method: 'GET' as const,
    path: `/api/v1/namespaces/default/secrets/s${i % secretCount}`,
    accept,
  });
  const cases = [
    { name: 'HTTP/1.1 JSON  GET secret', client: h1, calls: get(json) },
    { name: 'HTTP/2   JSON  GET secret', client: h2, calls: get(json) },
    { name: 'HTTP/1.1 proto GET secret', client: h1, calls: get(proto) },
    { name: 'HTTP/2   proto GET secret', client: h2, calls: get(proto) },
  ];
  console.log(`${requests} requests at concurrency ${concurrency}; CPU seconds per 1,000 requests`);
  for (const round of [1, 2]) {
    for (const c of cases) {
      const client = c.client(server, ca, token);
      await run(client.send, c.calls); // warm: connections, caches
      const before = { me: process.cpuUsage(), api: cpuSeconds(pids.apiserver)!, etcd: cpuSeconds(pids.etcd)! };
      const start = performance.now();
      const bytes = await run(client.send, c.calls);
      const wall = (performance.now() - start) / 1000;
      const me = process.cpuUsage(before.me);
      const per = 1000 / requests;
      const client_ = ((me.user + me.system) / 1e6) * per;
      const api = (cpuSeconds(pids.apiserver)! - before.api) * per;
      const etcd = (cpuSeconds(pids.etcd)! - before.etcd) * per;
      client.close();
      console.log(
        `round ${round} ${c.name}: client ${client_.toFixed(2)} s, apiserver ${api.toFixed(2)} s, ` +
          `etcd ${etcd.toFixed(2)} s, wall ${wall.toFixed(1)} s, ${Math.round(bytes / requests)} B/answer`,
      );
    }
  }
} finally {
  await plane.stop();
}
