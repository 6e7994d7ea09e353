// `imanage-operator run`: the operator itself. Flags are read and checked in run-flags.ts before
// anything starts.

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { CONTROLLER_NAME, OPERATOR_KINDS } from '../api/kinds.ts';
import { connectionController } from '../controllers/connection/controller.ts';
import { discoverServiceRanges } from '../imanage/service-ranges.ts';
import { repositoryController } from '../controllers/repository/controller.ts';
import { createResolutionDeps } from '../controllers/repository/observe.ts';
import { Engine } from '../runtime/engine.ts';
import { KubeClient } from '../runtime/kube/client.ts';
import { KubeConfigError } from '../runtime/kube/errors.ts';
import { createLogger, type Logger } from '../runtime/log.ts';
import { createMetrics, type OperatorMetrics } from '../runtime/metrics.ts';
import { realClock } from '../runtime/clock.ts';
import { ProbeGuard } from '../imanage/network.ts';
import { describeProxy } from '../imanage/proxy.ts';
import { HostPhases, ProbeCache } from '../imanage/probe-cache.ts';
import type { ProbeContext } from '../controllers/connection/observe.ts';
import type { ProbeSettings } from '../controllers/connection/probes.ts';
import { TokenStore } from '../tokens/store.ts';
import { AccessTokens } from '../tokens/access.ts';
import { Keyrings } from '../tokens/envelope.ts';
import { type RunningLink, startInteractiveLink } from '../tokens/link-service.ts';
import type { TokenSink } from '../tokens/ports.ts';
import { ClusterUnreachableError } from './kube-flags.ts';
import { type ProbeFlags, readRunConfig, RunUsageError, type RunConfig } from './run-flags.ts';

export { RunUsageError } from './run-flags.ts';

export const RUN_USAGE = `  run [options]
      Run the operator against the cluster of the usual kubeconfig rules (--kubeconfig,
      $KUBECONFIG, in-cluster service account, ~/.kube/config). Options (and environment):
        --namespaces a,b            namespaces to watch; all when empty   (IMANAGE_NAMESPACES)
        --label-selector sel        only objects with these labels (sharding) (IMANAGE_LABEL_SELECTOR)
        --health-address host:port  /healthz, /readyz, /metrics  [:8080] (IMANAGE_HEALTH_ADDRESS)
        --concurrency n             parallel reconciles, 1 to 1000 [16]  (IMANAGE_CONCURRENCY)
        --max-reconciles-per-second n  global rate limit, a safety [1000] (IMANAGE_MAX_RECONCILES_PER_SECOND)
        --resync-period d           re-check every object this often, 1s to 24h [10m] (IMANAGE_RESYNC_PERIOD)
        --resync-looks-per-second n  look at objects with nothing to do at most n a second, over
                                    a window: after a start those left Ready, at each resync all;
                                    0 to 100000, 0 all at once [100] (IMANAGE_RESYNC_LOOKS_PER_SECOND)
        --leader-elect true|false   [true]                               (IMANAGE_LEADER_ELECT)
        --leader-election-namespace ns  [the kubeconfig's or pod's namespace] (IMANAGE_LEADER_ELECTION_NAMESPACE)
        --leader-election-id name   Lease name [imanage-operator]        (IMANAGE_LEADER_ELECTION_ID)
        --shutdown-grace d          time for in-flight work on SIGTERM, at most 1h [30s] (IMANAGE_SHUTDOWN_GRACE)
        --log-level level           trace|debug|info|warn|error|fatal|silent [info] (IMANAGE_LOG_LEVEL)
        --kubeconfig path, --context name
      Probes of iManage:
        --probes true|false         reachability and registration probes [true] (IMANAGE_PROBES)
        --default-client-secret ns/name  application for Cloud connections without
                                    clientSecretRef (key clientId)       (IMANAGE_DEFAULT_CLIENT_SECRET)
        --service-cidr cidr,…       service ranges besides those read from the cluster; probes
                                    never go there                       (IMANAGE_SERVICE_CIDRS)
        --allow-probe-cidr cidr,…   private ranges probes may reach (on-premise servers), e.g.
                                    10.20.0.0/16; repeatable             (IMANAGE_ALLOW_PROBE_CIDRS)
        --certificate-expiry-warning-days n  0 to 3650 [14]              (IMANAGE_CERTIFICATE_EXPIRY_WARNING_DAYS)
        --tokens true|false         obtain, encrypt, store and refresh each connection's tokens
                                    (needs probes) [true]                (IMANAGE_TOKENS)
        --require-token-encryption true|false  store no token unencrypted: a connection without
                                    spec.tokens.encryption gets none [false] (IMANAGE_REQUIRE_TOKEN_ENCRYPTION)
        --https-proxy url           HTTP CONNECT proxy for every request to iManage, e.g.
                                    http://proxy.example.com:3128; TLS stays end to end (HTTPS_PROXY)
        --no-proxy list             hosts, domains (.example.com), IPs and CIDRs reached directly (NO_PROXY)
      The interactive link (AuthorizationCode connections; needs probes and tokens):
        --callback-url url          the sign-in callback as registered with iManage, e.g.
                                    https://imanage-operator.example.com/oauth/callback;
                                    none served when empty               (IMANAGE_CALLBACK_URL)
        --callback-address host:port  where every replica serves it, HTTP [:8081] (IMANAGE_CALLBACK_ADDRESS)
        --callback-tls-cert-file path, --callback-tls-key-file path  HTTPS instead (tests; an
                                    Ingress terminates TLS in a cluster) (IMANAGE_CALLBACK_TLS_*_FILE)
      For tests and demos only:
        --resolve host:port:address[:port],…  like curl's --resolve/--connect-to (IMANAGE_RESOLVE)
        --allow-loopback-probes true|false    let probes reach 127.0.0.0/8 and ::1 [false]
                                              (IMANAGE_ALLOW_LOOPBACK_PROBES)
`;

/** The probes' guard: service ranges from the cluster plus --service-cidr, and the admin's opened ranges. */
async function probeGuard(flags: ProbeFlags, client: KubeClient, logger: Logger): Promise<ProbeGuard> {
  const found = await discoverServiceRanges(client);
  const serviceCidrs = [...new Set([...found.cidrs, ...flags.serviceCidrs])];
  const fields = {
    serviceCidrs,
    source: found.source,
    allowedCidrs: flags.allowedCidrs,
    allowLoopback: flags.allowLoopback,
    egressProxy: flags.overrides.proxy ? describeProxy(flags.overrides.proxy) : 'none',
  };
  if (serviceCidrs.length === 0) logger.warn(fields, 'probe guard: the service range is unknown; pass --service-cidr');
  else logger.info(fields, 'probe guard: service ranges refused');
  return new ProbeGuard({ allowLoopback: flags.allowLoopback, serviceCidrs, allowedCidrs: flags.allowedCidrs });
}

function probeContext(flags: ProbeFlags, guard: ProbeGuard, metrics: OperatorMetrics, hosts: HostPhases): ProbeContext {
  const count = (probe: string) => (key: string) => metrics.probesSent.inc({ probe, host: key.split('|')[0]! });
  const settings: ProbeSettings = {
    reachability: new ProbeCache({ clock: realClock, hosts, onProbe: count('reachability') }),
    registration: new ProbeCache({ clock: realClock, hosts, onProbe: count('registration') }),
    overrides: flags.overrides,
    blocked: guard,
    expiryWarningDays: flags.expiryWarningDays,
    now: () => realClock.now(),
    hosts,
  };
  return { settings, ...(flags.defaultClientSecret ? { defaultClientSecret: flags.defaultClientSecret } : {}) };
}

async function loadClient(config: RunConfig): Promise<KubeClient> {
  try {
    return await KubeClient.load({
      ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
      ...(config.context ? { context: config.context } : {}),
    });
  } catch (error) {
    if (error instanceof KubeConfigError)
      throw new ClusterUnreachableError(`${error.message}; check --kubeconfig, --context and $KUBECONFIG`);
    throw error;
  }
}

/** The sign-in callback, served on every replica, and the LinkService whose URLs point at it. */
async function startLink(
  config: RunConfig,
  client: KubeClient,
  probes: ProbeContext | undefined,
  sink: TokenSink,
  logger: Logger,
): Promise<RunningLink | undefined> {
  if (!config.link) return undefined;
  if (!probes || !config.tokens) {
    logger.warn({}, 'no sign-in callback served: --callback-url needs --probes and --tokens');
    return undefined;
  }
  const network = { overrides: probes.settings.overrides, guard: probes.settings.blocked, timeoutMs: 10_000 };
  const namespace = config.leaderElectionNamespace ?? client.namespace;
  const defaults = probes.defaultClientSecret ? { defaultClientSecret: probes.defaultClientSecret } : {};
  try {
    const link = await startInteractiveLink(config.link, { client, namespace, network, sink, logger, ...defaults });
    logger.info({ address: `${link.server.host}:${link.server.port}` }, 'sign-in callback served');
    return link;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'EADDRINUSE') throw error;
    throw new RunUsageError(`--callback-address or --callback-tls-*-file: ${(error as Error).message}`);
  }
}

export async function runCommand(args: string[]): Promise<number> {
  const config = readRunConfig(args);
  const logger = createLogger({ level: config.logLevel, name: 'imanage-operator' });
  const client = await loadClient(config);
  const metrics = createMetrics();
  const identity = process.env['POD_NAME'] ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const engine = new Engine({
    client,
    logger,
    metrics,
    namespaces: config.namespaces,
    ...(config.labelSelector ? { sharding: { labelSelector: config.labelSelector, resources: OPERATOR_KINDS } } : {}),
    controllerName: CONTROLLER_NAME,
    concurrency: config.concurrency,
    reconcilesPerSecond: config.reconcilesPerSecond,
    resyncPeriodMs: config.resyncPeriodMs,
    resyncLooksPerSecond: config.resyncLooksPerSecond,
    health: config.health,
    shutdownGraceMs: config.shutdownGraceMs,
    ...(config.leaderElect
      ? {
          leaderElection: {
            namespace: config.leaderElectionNamespace ?? client.namespace,
            name: config.leaderElectionId,
            identity,
          },
        }
      : {}),
  });
  // One backoff per host for probes and Work API calls: a 429 anywhere holds all of them back.
  const hosts = new HostPhases();
  const guard = config.probes && (await probeGuard(config.probes, client, logger));
  const probes = config.probes && guard && probeContext(config.probes, guard, metrics, hosts);
  // One store and one AccessTokens: the interactive link writes through the store, Work API callers read tokens.
  const accessTokens = new AccessTokens();
  const tokenStore = new TokenStore(client, new Keyrings(), () => realClock.now());
  const link = await startLink(config, client, probes || undefined, tokenStore, logger);
  const linkService = link ? { link: link.service } : {};
  const requireEncryption = config.requireTokenEncryption;
  const tokens = config.tokens
    ? { tokens: { store: tokenStore, accessTokens, requireEncryption, ...linkService } }
    : {};
  engine.register(connectionController(probes ? { probes, ...tokens } : {}));
  const network = probes && { overrides: probes.settings.overrides, guard: probes.settings.blocked };
  const resolution =
    network &&
    config.tokens &&
    createResolutionDeps({ tokens: accessTokens, hosts, network, clock: realClock, metrics });
  engine.register(repositoryController(resolution ? { resolution } : {}));
  const health = await engine.startProbes();
  logger.info({ source: client.source, identity, probes: `${health.host}:${health.port}` }, 'operator starting');
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      logger.info({ signal }, 'stopping');
      stop.abort();
    });
  const exit = await engine.run(stop.signal);
  await link?.server.close();
  logger.info({ exit }, 'operator stopped');
  client.close();
  return exit === 'lost-leadership' ? 1 : 0;
}
