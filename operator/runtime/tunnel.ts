// An HTTP CONNECT tunnel through a proxy: the iManage requests (imanage/proxy.ts, HTTPS_PROXY)
// and the API server's client (a kubeconfig's proxy-url) both open their sockets through it, and
// speak TLS to their server inside it, so the proxy sees a host name and encrypted bytes only.
//
// Our own ~100 lines rather than a package (https-proxy-agent, undici's ProxyAgent): the
// operator must first let the SSRF guard judge the target and then hand an already open socket
// to its own TLS and agent code, which those packages do not separate.

import { connect as tcpConnect, isIP, type Socket } from 'node:net';

/** Opening a socket (and the CONNECT exchange) must finish within this, whatever the request's own deadline. */
export const CONNECT_DEADLINE_MS = 30_000;
const MAX_PROXY_ANSWER_BYTES = 16_384;
export const MAX_SETTING_LENGTH = 4_096;

export class ProxySettingError extends Error {
  override readonly name = 'ProxySettingError';
}

/** The proxy refused or failed the tunnel; nothing reached the server behind it. */
export class ProxyTunnelError extends Error {
  override readonly name = 'ProxyTunnelError';
  /** The proxy's HTTP status, when it answered. */
  readonly httpStatus: number | undefined;
  constructor(message: string, httpStatus?: number) {
    super(message);
    this.httpStatus = httpStatus;
  }
}

/** Where the proxy is, and the credentials its URL carried. */
export interface ProxyEndpoint {
  readonly host: string;
  readonly port: number;
  /** `Basic …`, from the URL's user and password; never logged. */
  readonly authorization?: string;
}

/** `http://[user:password@]host[:port]`; anything else is refused with what to write. */
export function parseProxyUrl(url: string): ProxyEndpoint {
  if (url.length > MAX_SETTING_LENGTH) throw new ProxySettingError('is longer than 4096 characters');
  let parsed: URL;
  try {
    parsed = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    throw new ProxySettingError('must be a URL such as http://proxy.example.com:3128');
  }
  if (parsed.protocol !== 'http:' || (parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search) {
    throw new ProxySettingError('must be an http:// URL of a CONNECT proxy, such as http://proxy.example.com:3128');
  }
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(parsed.port || 80),
    ...(user || password ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {}),
  };
}

/** The proxy's URL without its credentials, for logs and messages. */
export function describeProxy(proxy: ProxyEndpoint): string {
  return `http://${isIP(proxy.host) === 6 ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
}

function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** A proxy setting as it may be repeated in an error: without user and password, and short. */
export function redactedUrl(text: string): string {
  try {
    return redact(new URL(text.includes('://') ? text : `http://${text}`)).slice(0, 200);
  } catch {
    return text.includes('@') ? '(a value with credentials, not repeated)' : text.slice(0, 200);
  }
}

export function connectTcp(address: string, port: number, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: address, port });
    const abort = () => socket.destroy(signal?.reason as Error);
    signal?.addEventListener('abort', abort, { once: true });
    socket.once('connect', () => {
      signal?.removeEventListener('abort', abort);
      resolve(socket);
    });
    socket.once('error', (error) => {
      signal?.removeEventListener('abort', abort);
      reject(error);
    });
  });
}

/** A socket tunnelled to `authority` (host:port), bounded by CONNECT_DEADLINE_MS and `signal`. */
export async function openTunnel(proxy: ProxyEndpoint, authority: string, signal?: AbortSignal): Promise<Socket> {
  const deadline = AbortSignal.timeout(CONNECT_DEADLINE_MS);
  const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const socket = await connectTcp(proxy.host, proxy.port, both).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code ?? 'failed';
    throw new ProxyTunnelError(`cannot reach the proxy ${describeProxy(proxy)} (${code})`);
  });
  const headers = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.authorization) headers.push(`Proxy-Authorization: ${proxy.authorization}`);
  socket.write(`${headers.join('\r\n')}\r\n\r\n`);
  try {
    await proxyAnswer(socket, proxy, authority, both);
    return socket;
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/** Reads the proxy's answer up to its blank line, without making the socket flow (TLS takes it next). */
function proxyAnswer(socket: Socket, proxy: ProxyEndpoint, authority: string, signal: AbortSignal): Promise<void> {
  const where = `the proxy ${describeProxy(proxy)}`;
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (error?: Error) => {
      socket.off('readable', onReadable).off('error', finish).off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => finish(new ProxyTunnelError(`${where} did not open a tunnel in time`));
    const onClose = () => finish(new ProxyTunnelError(`${where} closed the connection`));
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > MAX_PROXY_ANSWER_BYTES)
          finish(new ProxyTunnelError(`${where} sent an answer without an end`));
        return;
      }
      const statusLine = received.subarray(0, Math.min(end, 64)).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
      // A TLS server speaks only after the client's hello: bytes here are not the server's.
      if (status === 200 && received.length > end + 4) finish(new ProxyTunnelError(`${where} sent data before TLS`));
      else if (status === 200) finish();
      else {
        const why = status ? `answered HTTP ${status}` : 'did not answer in HTTP';
        finish(new ProxyTunnelError(`${where} ${why} to CONNECT ${authority}`, status || undefined));
      }
    };
    socket.on('readable', onReadable).once('error', finish).once('close', onClose);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
