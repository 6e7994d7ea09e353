// `imanage-operator run`: the operator itself. Flags win over environment variables, which win
// over the defaults, so a Deployment can use either.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { goDurationMs } from '../api/duration.ts';
import { CONTROLLER_NAME, OPERATOR_KINDS } from '../api/kinds.ts';
import { connectionController } from '../controllers/connection/controller.ts';
import { repositoryController } from '../controllers/repository/controller.ts';
import { Engine } from '../runtime/engine.ts';
import { KubeClient } from '../runtime/kube/client.ts';
import { createLogger, type LogLevel } from '../runtime/log.ts';
import { createMetrics, type OperatorMetrics } from '../runtime/metrics.ts';
import { realClock } from '../runtime/clock.ts';
import { forbiddenAddresses, HostOverrides } from '../imanage/network.ts';
import { ProbeCache } from '../imanage/probe-cache.ts';
import type { ProbeContext } from '../controllers/connection/observe.ts';
import type { ProbeSettings } from '../controllers/connection/probes.ts';

export class RunUsageError extends Error {
  override readonly name = 'RunUsageError';
}

export const RUN_USAGE = `  run [options]
      Run the operator against the cluster of the usual kubeconfig rules (--kubeconfig,
      $KUBECONFIG, in-cluster service account, ~/.kube/config). Options (and environment):
        --namespaces a,b            namespaces to watch; all when empty   (IMANAGE_NAMESPACES)
        --label-selector sel        only objects with these labels (sharding) (IMANAGE_LABEL_SELECTOR)
        --health-address host:port  /healthz, /readyz, /metrics  [:8080] (IMANAGE_HEALTH_ADDRESS)
        --concurrency n             parallel reconciles [16]             (IMANAGE_CONCURRENCY)
        --max-reconciles-per-second n  global rate limit, a safety [1000] (IMANAGE_MAX_RECONCILES_PER_SECOND)
        --resync-period d           re-check every object this often [10m] (IMANAGE_RESYNC_PERIOD)
        --leader-elect true|false   [true]                               (IMANAGE_LEADER_ELECT)
        --leader-election-namespace ns  [the kubeconfig's or pod's namespace] (IMANAGE_LEADER_ELECTION_NAMESPACE)
        --leader-election-id name   Lease name [imanage-operator]        (IMANAGE_LEADER_ELECTION_ID)
        --shutdown-grace d          time for in-flight work on SIGTERM [30s] (IMANAGE_SHUTDOWN_GRACE)
        --log-level level           trace|debug|info|warn|error [info]   (IMANAGE_LOG_LEVEL)
        --kubeconfig path, --context name
      Probes of iManage:
        --probes true|false         reachability and registration probes [true] (IMANAGE_PROBES)
        --default-client-secret ns/name  application for Cloud connections without
                                    clientSecretRef (key clientId)       (IMANAGE_DEFAULT_CLIENT_SECRET)
        --service-cidr cidr,…       the cluster's service range(s); probes never go there (IMANAGE_SERVICE_CIDRS)
        --certificate-expiry-warning-days n  [14]                        (IMANAGE_CERTIFICATE_EXPIRY_WARNING_DAYS)
      For tests and demos only:
        --resolve host:port:address[:port],…  like curl's --resolve/--connect-to (IMANAGE_RESOLVE)
        --allow-loopback-probes true|false    let probes reach 127.0.0.0/8 [false] (IMANAGE_ALLOW_LOOPBACK_PROBES)
`;

const OPTIONS = {
  namespaces: { type: 'string', env: 'IMANAGE_NAMESPACES', default: '' },
  'label-selector': { type: 'string', env: 'IMANAGE_LABEL_SELECTOR', default: '' },
  'health-address': { type: 'string', env: 'IMANAGE_HEALTH_ADDRESS', default: ':8080' },
  // Reconciles wait on the API server and iManage far more than they compute.
  concurrency: { type: 'string', env: 'IMANAGE_CONCURRENCY', default: '16' },
  'max-reconciles-per-second': { type: 'string', env: 'IMANAGE_MAX_RECONCILES_PER_SECOND', default: '1000' },
  'resync-period': { type: 'string', env: 'IMANAGE_RESYNC_PERIOD', default: '10m' },
  'leader-elect': { type: 'string', env: 'IMANAGE_LEADER_ELECT', default: 'true' },
  'leader-election-namespace': { type: 'string', env: 'IMANAGE_LEADER_ELECTION_NAMESPACE', default: '' },
  'leader-election-id': { type: 'string', env: 'IMANAGE_LEADER_ELECTION_ID', default: 'imanage-operator' },
  'shutdown-grace': { type: 'string', env: 'IMANAGE_SHUTDOWN_GRACE', default: '30s' },
  'log-level': { type: 'string', env: 'IMANAGE_LOG_LEVEL', default: 'info' },
  kubeconfig: { type: 'string', env: 'IMANAGE_KUBECONFIG', default: '' },
  probes: { type: 'string', env: 'IMANAGE_PROBES', default: 'true' },
  'default-client-secret': { type: 'string', env: 'IMANAGE_DEFAULT_CLIENT_SECRET', default: '' },
  'service-cidr': { type: 'string', env: 'IMANAGE_SERVICE_CIDRS', default: '' },
  'certificate-expiry-warning-days': { type: 'string', env: 'IMANAGE_CERTIFICATE_EXPIRY_WARNING_DAYS', default: '14' },
  resolve: { type: 'string', env: 'IMANAGE_RESOLVE', default: '' },
  'allow-loopback-probes': { type: 'string', env: 'IMANAGE_ALLOW_LOOPBACK_PROBES', default: 'false' },
  context: { type: 'string', env: 'IMANAGE_CONTEXT', default: '' },
} as const;

type Settings = Record<keyof typeof OPTIONS, string>;

export function parseRunArgs(args: string[], env: NodeJS.ProcessEnv = process.env): Settings {
  const { values } = parseArgs({ args, options: Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, { type: 'string' }])) as never });
  return Object.fromEntries(Object.entries(OPTIONS).map(([name, o]) => [name, (values as Record<string, string | undefined>)[name] ?? env[o.env] ?? o.default])) as Settings;
}

function duration(name: string, value: string): number {
  const ms = goDurationMs(value);
  if (!Number.isFinite(ms) || ms <= 0) throw new RunUsageError(`--${name} must be a duration such as 30s or 10m, not '${value}'`);
  return ms;
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new RunUsageError(`--${name} must be a positive number, not '${value}'`);
  return n;
}

function address(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  if (!match) throw new RunUsageError(`--health-address must be host:port or :port, not '${value}'`);
  return { host: match[1] || '0.0.0.0', port: Number(match[2]) };
}

function list(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

function probeContext(s: Settings, metrics: OperatorMetrics): ProbeContext {
  const days = Number(s['certificate-expiry-warning-days']);
  if (!Number.isInteger(days) || days < 0) throw new RunUsageError('--certificate-expiry-warning-days must be a whole number of days');
  const secretRef = s['default-client-secret'];
  if (secretRef && !/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(secretRef)) throw new RunUsageError(`--default-client-secret takes namespace/name, not '${secretRef}'`);
  let overrides: HostOverrides;
  try {
    overrides = new HostOverrides(list(s.resolve));
  } catch (error) {
    throw new RunUsageError((error as Error).message);
  }
  const count = (probe: string) => (key: string) => metrics.probesSent.inc({ probe, host: key.split('|')[0]! });
  const settings: ProbeSettings = {
    reachability: new ProbeCache({ clock: realClock, onProbe: count('reachability') }),
    registration: new ProbeCache({ clock: realClock, onProbe: count('registration') }),
    overrides,
    blocked: forbiddenAddresses({ allowLoopback: s['allow-loopback-probes'] === 'true', serviceCidrs: list(s['service-cidr']) }),
    expiryWarningDays: days,
    now: () => realClock.now(),
  };
  const [namespace, name] = secretRef.split('/');
  return { settings, ...(secretRef ? { defaultClientSecret: { namespace: namespace!, name: name! } } : {}) };
}

export async function runCommand(args: string[]): Promise<number> {
  const s = parseRunArgs(args);
  const concurrency = Number(s.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RunUsageError(`--concurrency must be a positive integer, not '${s.concurrency}'`);
  if (!['true', 'false'].includes(s['leader-elect'])) throw new RunUsageError(`--leader-elect must be true or false`);
  const logger = createLogger({ level: s['log-level'] as LogLevel, name: 'imanage-operator' });
  const client = await KubeClient.load({ ...(s.kubeconfig ? { kubeconfig: s.kubeconfig } : {}), ...(s.context ? { context: s.context } : {}) });
  const metrics = createMetrics();
  const identity = process.env['POD_NAME'] ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const engine = new Engine({
    client, logger, metrics,
    namespaces: list(s.namespaces),
    ...(s['label-selector'] ? { sharding: { labelSelector: s['label-selector'], resources: OPERATOR_KINDS } } : {}),
    controllerName: CONTROLLER_NAME,
    concurrency,
    reconcilesPerSecond: positive('max-reconciles-per-second', s['max-reconciles-per-second']),
    resyncPeriodMs: duration('resync-period', s['resync-period']),
    health: address(s['health-address']),
    shutdownGraceMs: duration('shutdown-grace', s['shutdown-grace']),
    ...(s['leader-elect'] === 'true'
      ? { leaderElection: { namespace: s['leader-election-namespace'] || client.namespace, name: s['leader-election-id'], identity } }
      : {}),
  });
  engine.register(connectionController(s.probes === 'false' ? {} : { probes: probeContext(s, metrics) }));
  engine.register(repositoryController());
  const probes = await engine.startProbes();
  logger.info({ source: client.source, identity, probes: `${probes.host}:${probes.port}` }, 'operator starting');
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => { logger.info({ signal }, 'stopping'); stop.abort(); });
  const exit = await engine.run(stop.signal);
  logger.info({ exit }, 'operator stopped');
  client.close();
  return exit === 'lost-leadership' ? 1 : 0;
}
