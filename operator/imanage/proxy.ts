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

import { isIP, type Socket } from 'node:net';
import {
  connectTcp,
  MAX_SETTING_LENGTH,
  openTunnel,
  parseProxyUrl,
  type ProxyEndpoint,
  ProxySettingError,
} from '../runtime/tunnel.ts';
import { contains, ipLiteral, parseCidr, parseIp, type ResolvedTarget } from './network.ts';

export {
  CONNECT_DEADLINE_MS,
  describeProxy,
  ProxySettingError,
  ProxyTunnelError,
  redactedUrl,
} from '../runtime/tunnel.ts';

type Bypass =
  | { readonly kind: 'all' }
  | { readonly kind: 'name'; readonly suffix: string; readonly port?: number }
  | { readonly kind: 'cidr'; readonly cidr: ReturnType<typeof parseCidr> };

export interface EgressProxy extends ProxyEndpoint {
  readonly bypass: readonly Bypass[];
}

/** HTTPS_PROXY and NO_PROXY; undefined without a proxy. */
export function parseEgressProxy(url: string, noProxy = ''): EgressProxy | undefined {
  // Checked even without a proxy, so that a typo does not wait for the day one is set.
  const bypass = parseNoProxy(noProxy);
  return url.trim() === '' ? undefined : { ...parseProxyUrl(url), bypass };
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
  // A --resolve entry's address counts too, so that NO_PROXY=127.0.0.1 keeps tests and the demo direct.
  const direct =
    !proxy || bypassesProxy(proxy, host, port) || (to.overridden && bypassesProxy(proxy, to.address, to.port));
  if (direct) return connectTcp(to.address, to.port, signal);
  // An override says where the host is (tests, the demo); otherwise the proxy resolves the name.
  const authority = to.overridden ? hostPort(to.address, to.port) : hostPort(ipLiteral(host) ?? host, port);
  return openTunnel(proxy, authority, signal);
}

function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
