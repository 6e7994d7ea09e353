// The flags of `imanage-operator run`, read and checked before anything starts: each bad value
// is a usage error (exit 2) naming the flag (and its environment variable when the value came
// from there) and what to write instead, never a stack trace from deep inside. Flags win over
// environment variables, which win over the defaults, so a Deployment can use either.

import { parseArgs } from 'node:util';
import { goDurationMs } from '../api/duration.ts';
import { HostOverrides, InvalidCidrError, parseCidr } from '../imanage/network.ts';
import { type EgressProxy, parseEgressProxy, ProxySettingError, redactedUrl } from '../imanage/proxy.ts';
import type { LogLevel } from '../runtime/log.ts';

export class RunUsageError extends Error {
  override readonly name = 'RunUsageError';
}

interface FlagSpec {
  readonly env: string;
  readonly default: string;
  /** Repeatable, and comma-separated in one value. */
  readonly list?: true;
}

export const RUN_FLAGS = {
  namespaces: { env: 'IMANAGE_NAMESPACES', default: '', list: true },
  'label-selector': { env: 'IMANAGE_LABEL_SELECTOR', default: '' },
  'health-address': { env: 'IMANAGE_HEALTH_ADDRESS', default: ':8080' },
  // Reconciles wait on the API server and iManage far more than they compute.
  concurrency: { env: 'IMANAGE_CONCURRENCY', default: '16' },
  'max-reconciles-per-second': { env: 'IMANAGE_MAX_RECONCILES_PER_SECOND', default: '1000' },
  'resync-period': { env: 'IMANAGE_RESYNC_PERIOD', default: '10m' },
  // About the pace of a first pass at 1,000 connections (docs/scale.md): a restart or a resync looks like one.
  'resync-looks-per-second': { env: 'IMANAGE_RESYNC_LOOKS_PER_SECOND', default: '100' },
  'leader-elect': { env: 'IMANAGE_LEADER_ELECT', default: 'true' },
  'leader-election-namespace': { env: 'IMANAGE_LEADER_ELECTION_NAMESPACE', default: '' },
  'leader-election-id': { env: 'IMANAGE_LEADER_ELECTION_ID', default: 'imanage-operator' },
  'shutdown-grace': { env: 'IMANAGE_SHUTDOWN_GRACE', default: '30s' },
  'log-level': { env: 'IMANAGE_LOG_LEVEL', default: 'info' },
  kubeconfig: { env: 'IMANAGE_KUBECONFIG', default: '' },
  context: { env: 'IMANAGE_CONTEXT', default: '' },
  probes: { env: 'IMANAGE_PROBES', default: 'true' },
  'default-client-secret': { env: 'IMANAGE_DEFAULT_CLIENT_SECRET', default: '' },
  'service-cidr': { env: 'IMANAGE_SERVICE_CIDRS', default: '', list: true },
  'allow-probe-cidr': { env: 'IMANAGE_ALLOW_PROBE_CIDRS', default: '', list: true },
  'certificate-expiry-warning-days': { env: 'IMANAGE_CERTIFICATE_EXPIRY_WARNING_DAYS', default: '14' },
  // The names every HTTP client reads, so that a cluster's usual proxy settings apply unchanged.
  'https-proxy': { env: 'HTTPS_PROXY', default: '' },
  'no-proxy': { env: 'NO_PROXY', default: '' },
  resolve: { env: 'IMANAGE_RESOLVE', default: '', list: true },
  'allow-loopback-probes': { env: 'IMANAGE_ALLOW_LOOPBACK_PROBES', default: 'false' },
  tokens: { env: 'IMANAGE_TOKENS', default: 'true' },
  'require-token-encryption': { env: 'IMANAGE_REQUIRE_TOKEN_ENCRYPTION', default: 'false' },
  'callback-url': { env: 'IMANAGE_CALLBACK_URL', default: '' },
  'callback-address': { env: 'IMANAGE_CALLBACK_ADDRESS', default: ':8081' },
  'callback-tls-cert-file': { env: 'IMANAGE_CALLBACK_TLS_CERT_FILE', default: '' },
  'callback-tls-key-file': { env: 'IMANAGE_CALLBACK_TLS_KEY_FILE', default: '' },
} as const satisfies Record<string, FlagSpec>;

type FlagName = keyof typeof RUN_FLAGS;

export interface RunConfig {
  readonly namespaces: readonly string[];
  readonly labelSelector?: string;
  readonly health: { readonly host: string; readonly port: number };
  readonly concurrency: number;
  readonly reconcilesPerSecond: number;
  readonly resyncPeriodMs: number;
  /** Objects with nothing to do (after a start, those left Ready; at a resync, all) at most this many per second; 0: at once. */
  readonly resyncLooksPerSecond: number;
  readonly leaderElect: boolean;
  readonly leaderElectionNamespace?: string;
  readonly leaderElectionId: string;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly probes?: ProbeFlags;
  /** Obtain, store and refresh tokens (needs probes: the same network settings). */
  readonly tokens: boolean;
  /** Store no token unencrypted: a connection without spec.tokens.encryption gets none. */
  readonly requireTokenEncryption: boolean;
  /** The interactive link's callback endpoint; absent without --callback-url. */
  readonly link?: LinkFlags;
}

export interface LinkFlags {
  readonly callbackUrl: string;
  readonly address: { readonly host: string; readonly port: number };
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export interface ProbeFlags {
  readonly defaultClientSecret?: { readonly namespace: string; readonly name: string };
  readonly serviceCidrs: readonly string[];
  readonly allowedCidrs: readonly string[];
  readonly expiryWarningDays: number;
  readonly overrides: HostOverrides;
  readonly allowLoopback: boolean;
}

/** One flag's value and where it came from, so that an error names what the user wrote. */
class Flag {
  readonly name: FlagName;
  readonly value: string;
  readonly #fromEnv: boolean;
  constructor(name: FlagName, value: string, fromEnv: boolean) {
    this.name = name;
    this.value = value;
    this.#fromEnv = fromEnv;
  }

  /** A usage error: `--flag` (or `--flag (from $ENV)`), the value, and what would be right. */
  invalid(expected: string, value = this.value): RunUsageError {
    const source = this.#fromEnv ? ` (from ${RUN_FLAGS[this.name].env})` : '';
    return new RunUsageError(`--${this.name}${source} ${expected}, not '${value}'`);
  }

  get items(): string[] {
    return this.value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  }
}

/** Node's own parse errors (unknown flag, missing value) are usage errors too, in its words. */
function parsed(args: readonly string[], options: object): Record<string, string | string[] | undefined> {
  try {
    return parseArgs({ args: [...args], options: options as never, strict: true, allowPositionals: false })
      .values as never;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))
      throw new RunUsageError((error as Error).message);
    throw error;
  }
}

function readFlags(args: readonly string[], env: NodeJS.ProcessEnv): Record<FlagName, Flag> {
  const options = Object.fromEntries(
    Object.entries(RUN_FLAGS).map(([name, spec]) => [name, { type: 'string', multiple: 'list' in spec }]),
  );
  const given = parsed(args, options);
  const flags = Object.entries(RUN_FLAGS).map(([name, spec]) => {
    const fromArgs = given[name];
    const value = fromArgs === undefined ? undefined : [fromArgs].flat().join(',');
    return new Flag(
      name as FlagName,
      value ?? env[spec.env] ?? spec.default,
      value === undefined && env[spec.env] !== undefined,
    );
  });
  return Object.fromEntries(flags.map((f) => [f.name, f])) as Record<FlagName, Flag>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
/** A label selector term: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`. */
const LABEL_KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*';
const SELECTOR_TERM = new RegExp(
  `^\\s*(${[
    `!?${LABEL_KEY}`,
    `${LABEL_KEY}\\s*(==?|!=)\\s*[-A-Za-z0-9_.]*`,
    `${LABEL_KEY}\\s+(in|notin)\\s+\\([-A-Za-z0-9_., ]*\\)`,
  ].join('|')})\\s*$`,
);

function boolean(flag: Flag): boolean {
  if (flag.value !== 'true' && flag.value !== 'false') throw flag.invalid('must be true or false');
  return flag.value === 'true';
}

function wholeNumber(flag: Flag, min: number, max: number): number {
  const n = /^\d+$/.test(flag.value) ? Number(flag.value) : Number.NaN;
  if (!(n >= min && n <= max)) throw flag.invalid(`must be a whole number from ${min} to ${max}`);
  return n;
}

function positiveNumber(flag: Flag, max: number): number {
  const n = flag.value.trim() === '' ? Number.NaN : Number(flag.value);
  if (!(n > 0 && n <= max)) throw flag.invalid(`must be a number above 0 and at most ${max}`);
  return n;
}

/** A Go-style duration within [min, max] ms: a timer must be able to hold it (2^31-1 ms). */
function duration(flag: Flag, minMs: number, maxMs: number, range: string): number {
  const ms = goDurationMs(flag.value);
  if (!(ms >= minMs && ms <= maxMs)) throw flag.invalid(`must be a duration such as 30s, 10m or 1h30m, ${range}`);
  return ms;
}

function listenAddress(flag: Flag): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(flag.value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    const example = RUN_FLAGS[flag.name].default || ':8080';
    throw flag.invalid(`must be host:port or :port, with a port from 0 to 65535, such as ${example}`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

function names(flag: Flag, pattern: RegExp, what: string): string[] {
  const bad = flag.items.find((n) => !pattern.test(n));
  if (bad !== undefined) throw flag.invalid(`takes ${what}`, bad);
  return flag.items;
}

/** One name, or none when the flag is empty. */
function optionalName(flag: Flag, pattern: RegExp, what: string): string | undefined {
  if (flag.value === '') return undefined;
  if (!pattern.test(flag.value)) throw flag.invalid(`takes ${what}`);
  return flag.value;
}

function cidrs(flag: Flag): string[] {
  for (const cidr of flag.items) {
    try {
      parseCidr(cidr);
    } catch (error) {
      if (error instanceof InvalidCidrError)
        throw flag.invalid('takes CIDR ranges such as 10.96.0.0/12 or fd00:10:96::/112', cidr);
      throw error;
    }
  }
  return flag.items;
}

function labelSelector(flag: Flag): string | undefined {
  if (flag.value === '') return undefined;
  if (!isLabelSelector(flag.value)) throw flag.invalid(`must be ${LABEL_SELECTOR_EXAMPLE}`);
  return flag.value;
}

export const LABEL_SELECTOR_EXAMPLE = 'a label selector such as app=x,tier!=web or env in (a,b)';

/** Whether the API server would parse `text` as a label selector (also `status -l`). */
export function isLabelSelector(text: string): boolean {
  // Split on commas outside parentheses: `env in (a,b),tier=web` has two terms.
  return text.length <= 4096 && text.split(/,(?![^(]*\))/).every((t) => SELECTOR_TERM.test(t));
}

function probeFlags(f: Record<FlagName, Flag>): ProbeFlags {
  const secretRef = f['default-client-secret'];
  const [namespace, name] = secretRef.value.split('/');
  if (
    secretRef.value &&
    !(DNS_LABEL.test(namespace ?? '') && DNS_SUBDOMAIN.test(name ?? '') && secretRef.value.split('/').length === 2)
  ) {
    throw secretRef.invalid('takes namespace/name of a Secret, such as imanage-system/imanage-app');
  }
  const proxy = egressProxy(f['https-proxy'], f['no-proxy']);
  let overrides: HostOverrides;
  try {
    overrides = new HostOverrides(f.resolve.items, undefined, proxy);
  } catch {
    throw f.resolve.invalid('takes host:port:address[:port] entries, such as dms.example.com:443:127.0.0.1:8443');
  }
  return {
    ...(secretRef.value ? { defaultClientSecret: { namespace: namespace!, name: name! } } : {}),
    serviceCidrs: cidrs(f['service-cidr']),
    allowedCidrs: cidrs(f['allow-probe-cidr']),
    expiryWarningDays: wholeNumber(f['certificate-expiry-warning-days'], 0, 3650),
    overrides,
    allowLoopback: boolean(f['allow-loopback-probes']),
  };
}

/** --https-proxy and --no-proxy; the error repeats the proxy URL without its password. */
function egressProxy(url: Flag, noProxy: Flag): EgressProxy | undefined {
  try {
    return parseEgressProxy(url.value, noProxy.value);
  } catch (error) {
    if (!(error instanceof ProxySettingError)) throw error;
    if (error.message.startsWith('NO_PROXY'))
      throw noProxy.invalid(error.message.replace(/^NO_PROXY /, 'takes names, addresses and CIDRs; '));
    throw url.invalid(error.message, redactedUrl(url.value));
  }
}

const DAY_MS = 86_400_000;

/** Reads and checks every flag of `run`; throws RunUsageError for the first bad one. */
export function readRunConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): RunConfig {
  const f = readFlags(args, env);
  const logLevel = f['log-level'].value as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw f['log-level'].invalid(`must be one of ${LOG_LEVELS.join(', ')}`);
  const namespace = optionalName(
    f['leader-election-namespace'],
    DNS_LABEL,
    'a namespace name (lower-case letters, digits, -)',
  );
  const leaseName = optionalName(
    f['leader-election-id'],
    DNS_SUBDOMAIN,
    'a Lease name (a DNS subdomain, such as imanage-operator)',
  );
  const selector = labelSelector(f['label-selector']);
  // Checked even when probes are off, so that a typo does not wait for the day they are turned on.
  const probes = probeFlags(f);
  return {
    namespaces: names(f.namespaces, DNS_LABEL, 'namespace names (lower-case letters, digits, -), comma-separated'),
    ...(selector ? { labelSelector: selector } : {}),
    health: listenAddress(f['health-address']),
    concurrency: wholeNumber(f.concurrency, 1, 1000),
    reconcilesPerSecond: positiveNumber(f['max-reconciles-per-second'], 1_000_000),
    resyncPeriodMs: duration(f['resync-period'], 1000, DAY_MS, 'from 1s to 24h'),
    resyncLooksPerSecond: wholeNumber(f['resync-looks-per-second'], 0, 100_000),
    leaderElect: boolean(f['leader-elect']),
    ...(namespace ? { leaderElectionNamespace: namespace } : {}),
    leaderElectionId: leaseName ?? RUN_FLAGS['leader-election-id'].default,
    shutdownGraceMs: duration(f['shutdown-grace'], 1, 3_600_000, 'above 0 and at most 1h'),
    logLevel,
    ...(f.kubeconfig.value ? { kubeconfig: f.kubeconfig.value } : {}),
    ...(f.context.value ? { context: f.context.value } : {}),
    ...(boolean(f.probes) ? { probes } : {}),
    tokens: boolean(f.tokens),
    requireTokenEncryption: boolean(f['require-token-encryption']),
    ...linkFlags(f),
  };
}

/** The redirect URI iManage sends the browser to: it must be registered, so exactly as written there. */
function linkFlags(f: Record<FlagName, Flag>): { link?: LinkFlags } {
  const url = f['callback-url'];
  const [cert, key] = [f['callback-tls-cert-file'], f['callback-tls-key-file']];
  if ((cert.value === '') !== (key.value === '')) {
    throw new RunUsageError('--callback-tls-cert-file and --callback-tls-key-file go together: give both or neither');
  }
  const address = listenAddress(f['callback-address']);
  if (url.value === '') return {};
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.value);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'https:' || parsed.href !== url.value || parsed.search || parsed.hash) {
    throw url.invalid(
      'must be an https URL without query or fragment, written as iManage registers it, ' +
        'such as https://imanage-operator.example.com/oauth/callback',
    );
  }
  const tls = cert.value ? { tls: { certFile: cert.value, keyFile: key.value } } : {};
  return { link: { callbackUrl: url.value, address, ...tls } };
}
