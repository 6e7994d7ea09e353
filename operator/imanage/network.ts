// How the operator reaches an iManage host: normal DNS, or (in tests and the demo only) a
// host-to-address override like curl's --resolve; and the SSRF guard that decides which
// addresses a probe may reach (README, "Which addresses probes may reach").
//
// The guard is our own code rather than Node's BlockList because it must say *why* an address
// is refused (the category and range go into the error) and must judge an IPv6 address that
// carries an IPv4 one (IPv4-mapped, NAT64, 6to4) as that IPv4 address, which BlockList does
// only for the mapped form.

import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import type { EgressProxy } from './proxy.ts';

export class ProbeTargetForbiddenError extends Error {
  override readonly name = 'ProbeTargetForbiddenError';
  readonly verdict: Verdict;
  constructor(message: string, verdict: Verdict) {
    super(message);
    this.verdict = verdict;
  }
}

export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

/** A CIDR flag value that is not one; the CLI turns it into a usage error naming the flag. */
export class InvalidCidrError extends Error {
  override readonly name = 'InvalidCidrError';
}

export interface Destination {
  readonly address: string;
  readonly port: number;
}

/** How a host name becomes an address; tests inject a stub so that no real name is resolved. */
export type LookupAddress = (host: string) => Promise<{ readonly address: string }>;

const systemLookup: LookupAddress = (host) => dnsLookup(host, { verbatim: true });

/**
 * `host:port:address[:port2]` entries: curl's --resolve, and with a second port its
 * --connect-to, so that one simulator port can stand in for many hosts on 443. The TLS name and
 * the Host header stay the original host's. Names without an entry go to `lookup` (DNS). The
 * egress proxy rides along here because every request to iManage already carries this table.
 */
export class HostOverrides {
  readonly #entries = new Map<string, Destination>();
  readonly lookup: LookupAddress;
  /** HTTPS_PROXY / --https-proxy: where sockets to iManage hosts are tunnelled through (proxy.ts). */
  readonly proxy: EgressProxy | undefined;

  constructor(entries: readonly string[] = [], lookup: LookupAddress = systemLookup, proxy?: EgressProxy) {
    this.lookup = lookup;
    this.proxy = proxy;
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

// ---- Addresses as numbers ------------------------------------------------------------------

export interface Ip {
  readonly family: 4 | 6;
  readonly value: bigint;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((sum, octet) => (sum << 8n) | BigInt(Number(octet)), 0n);
}

/** An IPv6 address (zone id and a dotted IPv4 tail allowed) as its 128-bit value. */
function ipv6Value(address: string): bigint {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const v4 = ipv4Value(dotted);
    text = `${text.slice(0, -dotted.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all =
    tail === undefined ? groups(head) : [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)];
  return all.reduce((sum, group) => (sum << 16n) | BigInt(parseInt(group, 16)), 0n);
}

export function parseIp(address: string): Ip | undefined {
  const family = isIP(address);
  if (family === 4) return { family: 4, value: ipv4Value(address) };
  if (family === 6) return { family: 6, value: ipv6Value(address) };
  return undefined;
}

export function formatIp(ip: Ip): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((ip.value >> shift) & 0xffffn).toString(16));
  // The URL parser writes the canonical compressed form.
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

interface Cidr extends Ip {
  readonly bits: number;
  readonly text: string;
}

export function parseCidr(text: string): Cidr {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const ip = match ? parseIp(match[1]!) : undefined;
  const bits = Number(match?.[2]);
  if (!ip || bits > (ip.family === 4 ? 32 : 128)) {
    throw new InvalidCidrError(
      `'${text}' is not a CIDR range; write an address and a prefix length, such as 10.96.0.0/12 or fd00:10:96::/112`,
    );
  }
  return { ...ip, bits, text: text.trim() };
}

export function contains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.family !== ip.family) return false;
  const shift = BigInt((ip.family === 4 ? 32 : 128) - cidr.bits);
  return cidr.value >> shift === ip.value >> shift;
}

/** The IPv4 address an IPv6 one stands for, when the packet would in effect go there. */
function embeddedIpv4(ip: Ip): Ip | undefined {
  if (ip.family !== 6) return undefined;
  const prefix96 = ip.value >> 32n;
  const low32 = ip.value & 0xffffffffn;
  // ::ffff:0:0/96 (IPv4-mapped), ::ffff:0:0:0/96 (SIIT), 64:ff9b::/96 (NAT64, RFC 6052).
  const carriers = [0xffffn, 0xffff0000n, 0x64ff9b0000000000000000n];
  if (carriers.includes(prefix96)) return { family: 4, value: low32 };
  // 2002::/16 (6to4): the IPv4 address sits in bits 16 to 48.
  if (ip.value >> 112n === 0x2002n) return { family: 4, value: (ip.value >> 80n) & 0xffffffffn };
  return undefined;
}

// ---- The guard -----------------------------------------------------------------------------

export type AddressCategory =
  'public' | 'loopback' | 'unspecified' | 'link-local' | 'metadata' | 'reserved' | 'service' | 'private';

interface Range {
  readonly cidr: Cidr;
  readonly category: AddressCategory;
}

const ranges = (category: AddressCategory, ...cidrs: string[]): Range[] =>
  cidrs.map((c) => ({ cidr: parseCidr(c), category }));

/** Never reachable by a probe, whatever the flags (loopback is handled apart: the test flag). */
export const ALWAYS_BLOCKED: readonly Range[] = [
  ...ranges('unspecified', '0.0.0.0/8', '::/128'),
  ...ranges('link-local', '169.254.0.0/16', 'fe80::/10'),
  // Alibaba, Azure's WireServer, AWS's and GCP's IPv6 endpoints; 169.254.169.254 is link-local above.
  ...ranges('metadata', '100.100.100.200/32', '168.63.129.16/32', 'fd00:ec2::254/128', 'fd20:ce::254/128'),
  // Multicast, the old class E and broadcast, IPv4-compatible IPv6, site-local, Teredo, discard.
  ...ranges('reserved', '224.0.0.0/4', '240.0.0.0/4', 'ff00::/8', '::/96', 'fec0::/10', '2001::/32', '100::/64'),
];

export const LOOPBACK: readonly Range[] = ranges('loopback', '127.0.0.0/8', '::1/128');

/** Private and special-purpose ranges: on-premise servers live here, so an admin may open them by CIDR. */
export const PRIVATE: readonly Range[] = ranges(
  'private',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '192.0.0.0/24',
  '198.18.0.0/15',
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  'fc00::/7',
  '64:ff9b:1::/48',
  '2001:db8::/32',
  '2001:2::/48',
);

export interface GuardOptions {
  /** Loopback targets are refused unless this is set (tests and the demo). */
  readonly allowLoopback: boolean;
  /** The cluster's service ranges, found from the cluster and from --service-cidr. */
  readonly serviceCidrs: readonly string[];
  /** Private ranges the admin opened (--allow-probe-cidr). */
  readonly allowedCidrs?: readonly string[];
}

export interface Verdict {
  readonly allowed: boolean;
  readonly category: AddressCategory;
  /** The address judged: an IPv6 address carrying an IPv4 one is judged as that IPv4 address. */
  readonly judged: string;
  /** The range that decided, e.g. 10.0.0.0/8. */
  readonly range?: string;
}

export class ProbeGuard {
  readonly #allowLoopback: boolean;
  readonly #service: readonly Range[];
  readonly #allowed: readonly Cidr[];

  constructor(options: GuardOptions) {
    this.#allowLoopback = options.allowLoopback;
    this.#service = ranges('service', ...options.serviceCidrs);
    this.#allowed = (options.allowedCidrs ?? []).map(parseCidr);
  }

  /** Whether a probe may connect to `address` (an IP address; anything else is refused). */
  judge(address: string): Verdict {
    const ip = parseIp(address);
    if (!ip) return { allowed: false, category: 'reserved', judged: address };
    const carried = embeddedIpv4(ip);
    if (carried) return this.judge(formatIp(carried));
    const hit = (list: readonly Range[]) => list.find((r) => contains(r.cidr, ip));
    const verdict = (allowed: boolean, range: Range) => ({
      allowed,
      category: range.category,
      judged: address,
      range: range.cidr.text,
    });
    const service = hit(this.#service);
    if (service) return verdict(false, service);
    // Before the reserved ranges: ::1 lies in ::/96.
    const loopback = hit(LOOPBACK);
    if (loopback) return verdict(this.#allowLoopback, loopback);
    const blocked = hit(ALWAYS_BLOCKED);
    if (blocked) return verdict(false, blocked);
    const special = hit(PRIVATE);
    if (special)
      return verdict(
        this.#allowed.some((c) => contains(c, ip)),
        special,
      );
    return { allowed: true, category: 'public', judged: address };
  }
}

/** What each category is, and when (if ever) probes may reach it. */
const REFUSALS: Record<AddressCategory, readonly [what: string, rule: string]> = {
  public: ['a public address', ''],
  loopback: ['a loopback address', 'probes reach only when the operator runs with --allow-loopback-probes (tests)'],
  unspecified: ["the unspecified address (the operator's own pod)", 'probes never reach'],
  'link-local': ['a link-local address (where cloud metadata endpoints live)', 'probes never reach'],
  metadata: ['a cloud metadata address', 'probes never reach'],
  reserved: ['a reserved or multicast address', 'probes never reach'],
  service: ["an address in the cluster's service range", 'probes never reach'],
  private: ['a private address', "probes reach only in ranges the operator's --allow-probe-cidr opens"],
};

function refusal(host: string, address: string, literal: boolean, verdict: Verdict): string {
  const carried = verdict.judged === address ? '' : ` (IPv4 ${verdict.judged})`;
  const subject = literal ? `${host} is` : `${host} resolves to ${address}${carried},`;
  const [what, rule] = REFUSALS[verdict.category];
  return `${subject} ${what} in ${verdict.range}, which ${rule}`;
}

// ---- Resolving a target --------------------------------------------------------------------

/** The bare address of a URL hostname that is an IP literal (`[2001:db8::1]`, `192.0.2.1`). */
export function ipLiteral(hostname: string): string | undefined {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) === 0 ? undefined : bare;
}

/**
 * TLS options naming the server: SNI and the certificate check use the host name; an IP literal
 * is sent no SNI (RFC 6066 allows only host names there) and is checked against the
 * certificate's IP addresses.
 */
export function tlsIdentity(hostname: string): Pick<ConnectionOptions, 'servername' | 'checkServerIdentity'> {
  const literal = ipLiteral(hostname);
  if (literal === undefined) return { servername: hostname };
  return { checkServerIdentity: (_name, certificate) => checkServerIdentity(literal, certificate) };
}

export interface ResolvedTarget extends Destination {
  readonly family: 4 | 6;
  readonly overridden: boolean;
}

async function addressOf(host: string, overrides: HostOverrides): Promise<string> {
  try {
    return (await overrides.lookup(host)).address;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DnsLookupError(`cannot resolve ${host} (${code ?? 'lookup failed'})`, code);
  }
}

/**
 * The address to connect to. The probe then connects to exactly this address, so a DNS answer
 * that changes between the check and the connection (rebinding) cannot slip past the guard. An IP
 * literal (`[2001:db8::1]` as a URL writes it) is judged as it is, without DNS.
 */
export async function resolveTarget(
  host: string,
  port: number,
  overrides: HostOverrides,
  guard: ProbeGuard,
): Promise<ResolvedTarget> {
  const overridden = overrides.get(host, port);
  const literal = ipLiteral(host);
  const address = overridden?.address ?? literal ?? (await addressOf(host, overrides));
  const verdict = guard.judge(address);
  if (!verdict.allowed) {
    throw new ProbeTargetForbiddenError(refusal(host, address, !overridden && literal !== undefined, verdict), verdict);
  }
  return {
    address,
    port: overridden?.port ?? port,
    family: isIP(address) === 6 ? 6 : 4,
    overridden: overridden !== undefined,
  };
}
