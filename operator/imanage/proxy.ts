// The egress proxy: law firms send outbound traffic through an HTTP proxy, so requests to
// iManage honour HTTPS_PROXY and NO_PROXY (or run's --https-proxy and --no-proxy). The operator
// opens a tunnel with CONNECT and speaks TLS to the iManage host through it: SNI and the
// certificate check are the iManage host's, the proxy sees only the host name and encrypted bytes.
//
// The SSRF guard with a proxy (docs/networking.md, "Proxies"): the operator still resolves the
// name itself and the guard judges that address before any tunnel opens, so a tenant's host that
// resolves to a private, service or metadata address is refused as without a proxy. The CONNECT
// then names the host (the proxy resolves it again, and its own allow-list of domains applies);
// a --resolve entry sends the tunnel to its address instead. The proxy itself is not judged: the
// operator's admin chose it, and it usually lives in a private range.

import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { contains, ipLiteral, parseCidr, parseIp, type ResolvedTarget } from './network.ts';

/** Opening a socket (and the CONNECT exchange) must finish within this, whatever the request's own deadline. */
export const CONNECT_DEADLINE_MS = 30_000;
const MAX_PROXY_ANSWER_BYTES = 16_384;
const MAX_SETTING_LENGTH = 4_096;

export class ProxySettingError extends Error {
  override readonly name = 'ProxySettingError';
}

/** The proxy refused or failed the tunnel; nothing reached iManage. */
export class ProxyTunnelError extends Error {
  override readonly name = 'ProxyTunnelError';
  /** The proxy's HTTP status, when it answered. */
  readonly httpStatus: number | undefined;
  constructor(message: string, httpStatus?: number) {
    super(message);
    this.httpStatus = httpStatus;
  }
}

type Bypass =
  | { readonly kind: 'all' }
  | { readonly kind: 'name'; readonly suffix: string; readonly port?: number }
  | { readonly kind: 'cidr'; readonly cidr: ReturnType<typeof parseCidr> };

export interface EgressProxy {
  readonly host: string;
  readonly port: number;
  /** `Basic …`, from the URL's user and password; never logged. */
  readonly authorization?: string;
  readonly bypass: readonly Bypass[];
}

/** `http://[user:password@]host[:port]`; anything else is refused with what to write. */
export function parseEgressProxy(url: string, noProxy = ''): EgressProxy | undefined {
  // Checked even without a proxy, so that a typo does not wait for the day one is set.
  const bypass = parseNoProxy(noProxy);
  if (url.trim() === '') return undefined;
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
    bypass,
  };
}

/** The proxy's URL without its credentials, for logs and messages. */
export function describeProxy(proxy: EgressProxy): string {
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

/** curl's and Go's NO_PROXY: `*`, names (a leading `.` or `*.` optional; subdomains match), IPs, CIDRs, `:port`. */
export function parseNoProxy(text: string): Bypass[] {
  if (text.length > MAX_SETTING_LENGTH) throw new ProxySettingError('NO_PROXY is longer than 4096 characters');
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry): Bypass => {
      if (entry === '*') return { kind: 'all' };
      const bare = entry.replace(/^\[(.*)\]$/, '$1');
      if (isIP(bare) || bare.includes('/')) {
        const text = isIP(bare) ? `${bare}/${isIP(bare) === 4 ? 32 : 128}` : bare;
        try {
          return { kind: 'cidr', cidr: parseCidr(text) };
        } catch {
          throw new ProxySettingError(`NO_PROXY entry '${entry}' is not an address or CIDR range`);
        }
      }
      const match = /^(?:\*?\.)?([a-z0-9.-]+?)(?::(\d{1,5}))?$/i.exec(entry);
      if (!match) throw new ProxySettingError(`NO_PROXY entry '${entry}' is not a host name, address or CIDR range`);
      return { kind: 'name', suffix: match[1]!.toLowerCase(), ...(match[2] ? { port: Number(match[2]) } : {}) };
    });
}

/** Whether a request to host:port goes around the proxy. Addresses match only when the URL names one. */
export function bypassesProxy(proxy: EgressProxy, host: string, port: number): boolean {
  const name = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  const ip = parseIp(name);
  return proxy.bypass.some((rule) => {
    if (rule.kind === 'all') return true;
    if (rule.kind === 'cidr') return ip !== undefined && contains(rule.cidr, ip);
    if (rule.port !== undefined && rule.port !== port) return false;
    return name === rule.suffix || name.endsWith(`.${rule.suffix}`);
  });
}

/**
 * A TCP socket to `host` (the address the guard approved), or a CONNECT tunnel through the proxy.
 * `signal` ends the attempt early; CONNECT_DEADLINE_MS bounds it in any case.
 */
export function openSocket(
  host: string,
  port: number,
  to: ResolvedTarget,
  proxy: EgressProxy | undefined,
  signal?: AbortSignal,
): Promise<Socket> {
  if (!proxy || bypassesProxy(proxy, host, port)) return connectTcp(to.address, to.port, signal);
  // An override says where the host is (tests, the demo); otherwise the proxy resolves the name.
  const authority = to.overridden ? hostPort(to.address, to.port) : hostPort(ipLiteral(host) ?? host, port);
  return tunnel(proxy, authority, signal);
}

function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

function connectTcp(address: string, port: number, signal: AbortSignal | undefined): Promise<Socket> {
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

async function tunnel(proxy: EgressProxy, authority: string, signal: AbortSignal | undefined): Promise<Socket> {
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

/** Reads the proxy's answer to CONNECT up to its blank line, without putting the socket in flowing mode (TLS takes it next). */
function proxyAnswer(socket: Socket, proxy: EgressProxy, authority: string, signal: AbortSignal): Promise<void> {
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
      // A TLS server speaks only after the client's hello: bytes here are not iManage's.
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
