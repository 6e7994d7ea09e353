// The reachability probe end to end: the operator as a process, the iManage simulator playing
// every host (faults switched on per host), and for each way a probe can fail, the reason and
// message an SRE reads on the Reachable and Ready conditions.
//
// One simulator for the file. Three operators, each watching a namespace of its own, because two
// checks need operator-wide flags the others must not have:
//   main        --allow-loopback-probes true (to reach the simulator), --service-cidr 127.0.0.64/26
//   noLoopback  the production default: loopback targets refused by the SSRF guard
//   expiry      --certificate-expiry-warning-days 400: the simulator issues only certificates
//               valid for 365 days, or expired ones, never a nearly-expired-but-valid one, so
//               "expiring soon" is produced by widening the warning window instead.
//
// The SSRF guard's cases here send nothing but loopback traffic: a "service range" is made of
// loopback addresses (--service-cidr 127.0.0.64/26) with a listener that counts connections, and
// refused loopback targets point at the simulator, which logs every request. A broken guard
// shows up as a connection there. Metadata, private and other addresses are judged without any
// packet in operator/imanage/guard-probes.test.ts (stub resolver, connect spy).
import { createServer as createTcpServer, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, metricValue, startOperator, waitFor, type OperatorProcess } from '../harness/operator.ts';
import {
  caSecret, closedPort, condition, connection, list, resolveToSimulator, secret, serverOf,
  startFileSimulator, STATUS_TIMEOUT_MS, waitForCondition, waitForObject,
} from './helpers.ts';

const HOST = {
  good: 'good.example',
  wrongCert: 'wrong-cert.example',
  expiredCert: 'expired-cert.example',
  httpError: 'http-error.example',
  slow: 'slow.example',
  rateLimited: 'rate-limited.example',
  expiring: 'expiring.example',
  loopback: 'loopback.example',
  v4mapped: 'v4mapped.example',
} as const;
const SIMULATED = Object.values(HOST);
const RETRY_AFTER_S = 12;
/** A loopback "service range", so that a probe the guard wrongly let through stays on loopback. */
const SERVICE_CIDR = '127.0.0.64/26';
const SERVICE_ADDRESS = '127.0.0.70';
const PROBE_TIMEOUT_S = 2;

const scenario: Scenario = {
  hosts: SIMULATED.map((name) => ({ name, customers: ['100'] })),
  customers: [{ id: '100', applications: [{ clientId: 'probe-client', clientSecret: 'probe-client-secret' }] }],
  faults: [
    { kind: 'wrong-host-cert', host: HOST.wrongCert },
    { kind: 'expired-cert', host: HOST.expiredCert },
    { kind: 'status', status: 503, host: HOST.httpError, path: '/api' },
    { kind: 'slow', delayMs: 4 * PROBE_TIMEOUT_S * 1000, host: HOST.slow, path: '/api' },
    // Longer than the first backoff (one interval, jittered to at most 11 s): only honouring
    // Retry-After keeps the second probe away for 12 s.
    { kind: 'rate-limit', retryAfterSeconds: RETRY_AFTER_S, host: HOST.rateLimited, path: '/api' },
  ],
};

const main = useTestNamespace('reach');
const noLoopback = useTestNamespace('reach-noloop');
const expiry = useTestNamespace('reach-expiry');
let sim: RunningSimulator;
/** Listens on SERVICE_ADDRESS and counts connections: the guard must keep it at zero. */
let serviceListener: { server: Server; port: number; connections: number };
let mainOperator: OperatorProcess;
let testStarted: Date;

/** Every namespace holds the same two Secrets: the application and the simulator's CA. */
function basics(): object[] {
  return [secret('app', { clientId: 'probe-client', clientSecret: 'probe-client-secret' }), caSecret('imanage-ca', sim)];
}

const onPrem = (name: string, host: string, withCa = true, timeout = `${PROBE_TIMEOUT_S}s`): object =>
  connection(name, `https://${host}`, { clientSecretRef: 'app', ...(withCa ? { caSecret: 'imanage-ca' } : {}), probes: { interval: '10s', timeout } });

beforeAll(async () => {
  testStarted = new Date();
  sim = await startFileSimulator(scenario);
  const closed = await closedPort();
  serviceListener = await countingListener(SERVICE_ADDRESS);
  const toSimulator = resolveToSimulator(sim, SIMULATED.filter((h) => h !== HOST.v4mapped));
  const common = ['--allow-loopback-probes', 'true', '--resolve'];
  [mainOperator] = await Promise.all([
    startOperator({
      namespace: main.name, probes: true,
      extraArgs: [...common, [...toSimulator, `closed.example:443:127.0.0.1:${closed}`, `service.example:443:${SERVICE_ADDRESS}:${serviceListener.port}`].join(','),
        '--service-cidr', SERVICE_CIDR],
    }),
    // No --allow-loopback-probes: the production default.
    startOperator({
      namespace: noLoopback.name, probes: true,
      extraArgs: ['--resolve', [...toSimulator, `${HOST.v4mapped}:443:[::ffff:127.0.0.1]:${sim.httpsPort}`].join(',')],
    }),
    startOperator({ namespace: expiry.name, probes: true, extraArgs: [...common, toSimulator.join(','), '--certificate-expiry-warning-days', '400'] }),
  ]);
  await main.apply(list(
    ...basics(),
    // A healthy server gets the default-like timeout: a loaded machine must not turn it into a Timeout.
    onPrem('good', HOST.good, true, '8s'),
    // A generous timeout: a resolver that answers slowly must still say "no such name".
    onPrem('dns', 'no-such-host.invalid', true, '8s'),
    onPrem('service', 'service.example'),
    onPrem('closed', 'closed.example'),
    onPrem('wrong-cert', HOST.wrongCert),
    onPrem('expired-cert', HOST.expiredCert),
    onPrem('untrusted', HOST.good, false),
    onPrem('http-error', HOST.httpError),
    onPrem('slow', HOST.slow),
    onPrem('rate-limited', HOST.rateLimited),
    {
      apiVersion: 'imanage.operator.dev/v1alpha1', kind: 'WorkspaceRepository', metadata: { name: 'on-dns' },
      spec: { connectionRef: { name: 'dns' }, area: 'Matters', resolvers: [{ workType: '*', resolver: '[workitem.title]' }] },
    },
  ));
  await noLoopback.apply(list(...basics(), onPrem('loopback', HOST.loopback), onPrem('v4mapped', HOST.v4mapped)));
  await expiry.apply(list(...basics(), onPrem('expiring', HOST.expiring)));
});

afterAll(async () => {
  await sim?.stop();
  await new Promise((resolve) => serviceListener?.server.close(resolve));
});

async function countingListener(host: string): Promise<{ server: Server; port: number; connections: number }> {
  const listener = { server: createTcpServer(), port: 0, connections: 0 };
  listener.server.on('connection', (socket) => {
    listener.connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.server.listen(0, host, resolve));
  listener.port = (listener.server.address() as { port: number }).port;
  return listener;
}

interface FailureCase {
  readonly title: string;
  readonly ns: () => string;
  readonly name: string;
  readonly reason: string;
  /** What the message must say: what failed, and what to check. */
  readonly message: RegExp;
}

const FAILURES: readonly FailureCase[] = [
  { title: 'DnsFailed: a host that does not resolve', ns: () => main.name, name: 'dns', reason: 'DnsFailed',
    message: /^cannot resolve no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)\).*check spec\.url for typos.*DNS/ },
  // A refused target reads like a refused connection: status tells a namespace user no more.
  { title: 'ConnectFailed: a host resolving to loopback, refused without --allow-loopback-probes', ns: () => noLoopback.name, name: 'loopback',
    reason: 'ConnectFailed', message: /^cannot connect to loopback\.example:443; check the host and port in spec\.url/ },
  { title: 'ConnectFailed: an IPv4-mapped IPv6 loopback address is loopback too', ns: () => noLoopback.name, name: 'v4mapped',
    reason: 'ConnectFailed', message: /^cannot connect to v4mapped\.example:443; check the host and port in spec\.url/ },
  { title: 'ConnectFailed: nothing listens on the port', ns: () => main.name, name: 'closed', reason: 'ConnectFailed',
    message: /^cannot connect to closed\.example:443; check the host and port in spec\.url, firewalls, and .*IP allow-list/ },
  { title: 'TlsFailed: a certificate for another host name', ns: () => main.name, name: 'wrong-cert', reason: 'TlsFailed',
    message: /^TLS with wrong-cert\.example:443 failed \(ERR_TLS_CERT_ALTNAME_INVALID\): the certificate is for another host name; check spec\.url/ },
  { title: 'TlsFailed: an expired certificate', ns: () => main.name, name: 'expired-cert', reason: 'TlsFailed',
    message: /^TLS with expired-cert\.example:443 failed \(CERT_HAS_EXPIRED\): the server certificate has expired; .*must renew it/ },
  { title: 'TlsFailed: a CA the operator does not trust (no caBundleSecretRef)', ns: () => main.name, name: 'untrusted', reason: 'TlsFailed',
    message: /^TLS with good\.example:443 failed \((UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\): .*not signed by a trusted CA; .*spec\.caBundleSecretRef/ },
  { title: 'HttpError: GET /api answers 503', ns: () => main.name, name: 'http-error', reason: 'HttpError',
    message: /^GET https:\/\/http-error\.example:443\/api answered HTTP 503; iManage reports a server error, check its status page or contact iManage support$/ },
  { title: 'Timeout: GET /api answers after the probe timeout', ns: () => main.name, name: 'slow', reason: 'Timeout',
    message: new RegExp(`^no answer from slow\\.example:443 within ${PROBE_TIMEOUT_S} s \\(at GET /api\\); check firewalls and proxies .*raise spec\\.probes\\.timeout`) },
  { title: 'RateLimited: GET /api answers 429 with Retry-After', ns: () => main.name, name: 'rate-limited', reason: 'RateLimited',
    message: new RegExp(`^rate-limited\\.example:443 rate-limited the probe \\(HTTP 429\\); the next probe waits ${RETRY_AFTER_S} s as Retry-After asks$`) },
];

describe('each way a probe fails has a reason of its own, on Reachable and on Ready', () => {
  it.each(FAILURES)('$title', async ({ ns, name, reason, message }) => {
    const object = await waitForCondition(ns(), 'imc', name, 'Reachable', 'False', reason);
    const reachable = condition(object, 'Reachable')!;
    expect(reachable.message).toMatch(message);
    const ready = condition(object, 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason, message: `spec.url: ${reachable.message}`, observedGeneration: object.metadata.generation });
    // A certificate that does not verify needs a human; every other failure is retried (README's table).
    if (reason === 'TlsFailed') {
      expect(condition(object, 'Stalled')).toMatchObject({ status: 'True', reason });
    } else {
      expect(condition(object, 'Stalled')).toBeUndefined();
      expect(condition(object, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    }
    expect(serverOf(object)).toMatchObject({ checkedAt: expect.any(String) });
    // Status never names the address a name resolved to; that is for operators' debug logs.
    expect(JSON.stringify(object.status)).not.toContain('127.0.0.1');
    // The certificate's expiry is known once the TLS handshake has passed, and only then.
    // (The Timeout case times out at GET /api, after the handshake.)
    const pastTls = reason === 'HttpError' || reason === 'RateLimited' || name === 'slow';
    expect(serverOf(object)?.certificateNotAfter === undefined).toBe(!pastTls);
  });

  it("a repository's Ready follows its connection's, reason prefixed with Connection", async () => {
    const repo = await waitForCondition(main.name, 'wsr', 'on-dns', 'Ready', 'False', 'ConnectionDnsFailed');
    expect(condition(repo, 'Ready')!.message).toMatch(/^spec\.connectionRef\.name: IManageConnection 'dns' is not Ready \(DnsFailed\): spec\.url: cannot resolve no-such-host\.invalid/);
  });

  it('a refused target is never contacted: the simulator saw no request for loopback.example or v4mapped.example', async () => {
    await waitForCondition(noLoopback.name, 'imc', 'loopback', 'Reachable', 'False', 'ConnectFailed');
    await waitForCondition(noLoopback.name, 'imc', 'v4mapped', 'Reachable', 'False', 'ConnectFailed');
    expect(sim.requestLog({ host: HOST.loopback })).toEqual([]);
    expect(sim.requestLog({ host: HOST.v4mapped })).toEqual([]);
  });

  it('a host resolving into --service-cidr is never contacted: the listener there saw no connection', async () => {
    const object = await waitForCondition(main.name, 'imc', 'service', 'Reachable', 'False', 'ConnectFailed');
    expect(condition(object, 'Reachable')!.message).toMatch(/^cannot connect to service\.example:443; /);
    expect(serviceListener.connections).toBe(0);
  });
});

/** What the simulator's HTTPS port presents for `host`, as the operator would see it. */
function servedCertificateNotAfter(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: sim.httpsPort, servername: host, ca: sim.caPem }, () => {
      resolve(new Date(socket.getPeerCertificate().valid_to).toISOString());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('a healthy server', () => {
  it('is Reachable and Ready, and status.server holds the certificate expiry and time of the probe; the latency is a metric', async () => {
    const object = await waitForCondition(main.name, 'imc', 'good', 'Ready', 'True', 'Connected');
    expect(condition(object, 'Reachable')).toMatchObject({ status: 'True', reason: 'Reachable' });
    expect(condition(object, 'Reachable')!.message).toBe('good.example:443 answers GET /api over verified TLS');
    const server = serverOf(object)!;
    expect(Object.keys(server).sort()).toEqual(['certificateNotAfter', 'checkedAt']);
    const seconds = metricValue(await mainOperator.metrics(), 'imanage_probe_duration_seconds_sum', { probe: 'reachability', host: 'good.example:443' });
    // A probe that took longer than its timeout would have failed.
    expect(seconds).toBeGreaterThan(0);
    expect(server.certificateNotAfter).toBe(await servedCertificateNotAfter(HOST.good));
    const checkedAt = Date.parse(server.checkedAt!);
    expect(checkedAt).toBeGreaterThanOrEqual(testStarted.getTime());
    expect(checkedAt).toBeLessThanOrEqual(Date.now());
    // The probe the simulator saw: unauthenticated, so 401 — the Work API is there.
    expect(sim.requestLog({ host: HOST.good, path: '/api' })[0]).toMatchObject({ method: 'GET', status: 401 });
  });

  it('is probed again at the next interval, by itself, and its status is not rewritten for it', async () => {
    const first = await waitForCondition(main.name, 'imc', 'good', 'Ready', 'True', 'Connected');
    const probesOf = () => sim.requestLog({ host: HOST.good, path: '/api' }).length;
    const seen = probesOf();
    await waitFor(() => probesOf() >= seen + 2, STATUS_TIMEOUT_MS, 500, 'two more probes of good.example');
    const later = await getObject(main.name, 'imc', 'good');
    expect(later?.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(serverOf(later!)?.checkedAt).toBe(serverOf(first)!.checkedAt);
  });
});

describe('CertificateExpiring', () => {
  it('is a warning, not a failure: Reachable=True with reason CertificateExpiring, and Ready=True', async () => {
    const object = await waitForCondition(expiry.name, 'imc', 'expiring', 'Reachable', 'True', 'CertificateExpiring');
    const notAfter = serverOf(object)!.certificateNotAfter!;
    const days = Math.floor((Date.parse(notAfter) - Date.now()) / 86_400_000);
    expect(condition(object, 'Reachable')!.message).toMatch(
      new RegExp(`^expiring\\.example:443 answers, but its TLS certificate expires in (${days}|${days + 1}) days \\(${notAfter.replace(/[.]/g, '\\.')}\\); renew it before clients start failing$`));
    expect(condition(object, 'Ready')).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(condition(object, 'Stalled')).toBeUndefined();
  });
});

describe('Retry-After', () => {
  it(`is honoured: after a 429 with Retry-After: ${RETRY_AFTER_S}, the host is not probed again for ${RETRY_AFTER_S} s`, async () => {
    const probes = await waitFor(() => {
      const seen = sim.requestLog({ host: HOST.rateLimited, path: '/api' });
      return seen.length >= 2 && seen;
    }, 3 * STATUS_TIMEOUT_MS / 2, 500, `two probes of ${HOST.rateLimited}`);
    expect(probes[0]).toMatchObject({ status: 429, fault: 'rate-limit' });
    const gapMs = Date.parse(probes[1]!.time) - Date.parse(probes[0]!.time);
    expect(gapMs).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
    const object = await getObject(main.name, 'imc', 'rate-limited');
    expect(condition(object, 'Reachable')).toMatchObject({ status: 'False', reason: 'RateLimited' });
  }, 120_000);
});
