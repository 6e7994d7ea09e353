// For tests only: an HTTP CONNECT proxy on loopback, in node:net, that records what it was asked
// and relays bytes. It resolves names from its own table, as an enterprise proxy does; anything
// not in the table and not on 127.0.0.1 is refused, so a test cannot send traffic elsewhere.
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface ConnectProxy {
  readonly port: number;
  readonly url: string;
  /** The CONNECT targets asked for, in order. */
  readonly connects: string[];
  readonly authorizations: (string | undefined)[];
  /** What the client sent through each tunnel (a TLS ClientHello first). */
  readonly relayed: Buffer[];
  /** When set, a CONNECT without exactly this Proxy-Authorization gets 407. */
  requiredAuthorization: string | undefined;
  /** Forgets what was recorded (not requiredAuthorization). */
  reset(): void;
  close(): Promise<void>;
}

/** `names` maps host:port to a loopback port. */
export async function startConnectProxy(
  names: () => ReadonlyMap<string, number> = () => new Map(),
): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    handle(client);
  });
  const proxy: ConnectProxy = {
    port: 0,
    url: '',
    connects: [],
    authorizations: [],
    relayed: [],
    requiredAuthorization: undefined,
    reset() {
      proxy.connects.length = 0;
      proxy.authorizations.length = 0;
      proxy.relayed.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };

  function upstreamPort(target: string): number | undefined {
    const loopback = /^127\.0\.0\.1:(\d{1,5})$/.exec(target)?.[1];
    return names().get(target) ?? (loopback ? Number(loopback) : undefined);
  }

  function handle(client: Socket): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const target = /^CONNECT (\S+) HTTP\/1\.1$/.exec(lines[0]!)?.[1] ?? '';
      const authorization = lines.find((l) => /^proxy-authorization:/i.test(l))?.replace(/^[^:]+:\s*/, '');
      proxy.connects.push(target);
      proxy.authorizations.push(authorization);
      if (proxy.requiredAuthorization && authorization !== proxy.requiredAuthorization) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
        return;
      }
      const port = upstreamPort(target);
      if (port === undefined) {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      relay(client, port);
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  }

  function relay(client: Socket, port: number): void {
    const upstream = connect({ host: '127.0.0.1', port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const index = proxy.relayed.push(Buffer.alloc(0)) - 1;
      client.on('data', (chunk: Buffer) => (proxy.relayed[index] = Buffer.concat([proxy.relayed[index]!, chunk])));
      client.pipe(upstream).pipe(client);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return Object.assign(proxy, { port, url: `http://127.0.0.1:${port}` });
}
