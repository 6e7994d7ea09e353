// How the operator reaches an iManage host: normal DNS, or (in tests and the demo only) a
// host-to-address override like curl's --resolve; and the SSRF guard that refuses addresses a
// probe must never reach.

import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export class ProbeTargetForbiddenError extends Error {
  override readonly name = 'ProbeTargetForbiddenError';
}

export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

export interface Destination {
  readonly address: string;
  readonly port: number;
}

/**
 * `host:port:address[:port2]` entries: curl's --resolve, and with a second port its
 * --connect-to, so that one simulator port can stand in for many hosts on 443. The TLS name and
 * the Host header stay the original host's.
 */
export class HostOverrides {
  readonly #entries = new Map<string, Destination>();

  constructor(entries: readonly string[] = []) {
    for (const entry of entries) {
      const match = /^([^:]+):(\d+):(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
      const address = match?.[3]!.replace(/^\[|\]$/g, '') ?? '';
      if (!match || isIP(address) === 0) throw new Error(`--resolve takes host:port:address[:port], not '${entry}'`);
      this.#entries.set(`${match[1]!.toLowerCase()}:${match[2]}`, { address, port: Number(match[4] ?? match[2]) });
    }
  }

  get(host: string, port: number): Destination | undefined {
    return this.#entries.get(`${host.toLowerCase()}:${port}`);
  }

  get size(): number {
    return this.#entries.size;
  }
}

export interface GuardOptions {
  /** Loopback targets are refused unless this is set (tests and the demo). */
  readonly allowLoopback: boolean;
  /** The cluster's service range(s), e.g. 10.96.0.0/12. */
  readonly serviceCidrs: readonly string[];
}

/** Link-local (cloud metadata endpoints live there), loopback, and the cluster's services. */
export function forbiddenAddresses(options: GuardOptions): BlockList {
  const list = new BlockList();
  list.addSubnet('169.254.0.0', 16, 'ipv4');
  list.addSubnet('fe80::', 10, 'ipv6');
  list.addSubnet('0.0.0.0', 8, 'ipv4');
  if (!options.allowLoopback) {
    list.addSubnet('127.0.0.0', 8, 'ipv4');
    list.addAddress('::1', 'ipv6');
  }
  for (const cidr of options.serviceCidrs) {
    const [address, bits] = cidr.split('/');
    const family = isIP(address ?? '') === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(address!, Number(bits), family);
  }
  return list;
}

export interface ResolvedTarget extends Destination {
  readonly family: 4 | 6;
  readonly overridden: boolean;
}

/**
 * The address to connect to. The probe then connects to exactly this address, so a DNS answer
 * that changes between the check and the connection (rebinding) cannot slip past the guard.
 */
export async function resolveTarget(host: string, port: number, overrides: HostOverrides, blocked: BlockList): Promise<ResolvedTarget> {
  const overridden = overrides.get(host, port);
  let address = overridden?.address;
  if (address === undefined) {
    try {
      address = (await lookup(host, { verbatim: true })).address;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new DnsLookupError(`cannot resolve ${host} (${code ?? 'lookup failed'})`, code);
    }
  }
  const family = isIP(address) === 6 ? 6 : 4;
  if (blocked.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
    throw new ProbeTargetForbiddenError(`${host} resolves to ${address}, a link-local, loopback or cluster-service address that probes may not reach`);
  }
  return { address, port: overridden?.port ?? port, family, overridden: overridden !== undefined };
}
