// Probes are shared: 50 connections to one host cost that host one reachability probe (and one
// registration probe per distinct redirect URI) per interval, not 50. Counted where it matters,
// in the simulator's request log, and cross-checked against the operator's own metric.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogEntry, RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { listObjects, metricValue, startOperator, waitFor, type OperatorProcess } from '../harness/operator.ts';
import { caSecret, condition, connection, INTERVAL_MS, list, resolveToSimulator, secret, startFileSimulator } from './helpers.ts';

const HOST = 'dedup.cloudimanage.com';
const CONNECTIONS = 50;
const REDIRECT_URI = 'https://shared.example.com/externalServices/replyFrom';
/** The earliest a host's next probe can come: the interval jittered down by 10 %. */
const FIRST_WINDOW_MS = 0.9 * INTERVAL_MS;
const LONG_WINDOW_MS = 1.5 * INTERVAL_MS;

const scenario: Scenario = {
  hosts: [{ name: HOST, customers: ['100'] }],
  customers: [{ id: '100', applications: [{ clientId: 'app', clientSecret: 'app-secret', redirectUris: [REDIRECT_URI] }] }],
};

const ns = useTestNamespace('dedup');
let sim: RunningSimulator;
let op: OperatorProcess;

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  op = await startOperator({
    namespace: ns.name, probes: true,
    extraArgs: ['--resolve', resolveToSimulator(sim, [HOST]).join(','), '--allow-loopback-probes', 'true'],
  });
  const connections = Array.from({ length: CONNECTIONS }, (_, i) => connection(`c-${String(i).padStart(2, '0')}`, `https://${HOST}`, {
    connectionType: 'Cloud', customerId: '100', clientSecretRef: 'app', caSecret: 'imanage-ca',
    environments: [{ name: 'production', baseUrl: 'https://shared.example.com' }],
  }));
  await ns.apply(list(secret('app', { clientId: 'app', clientSecret: 'app-secret' }), caSecret('imanage-ca', sim), ...connections));
});

afterAll(async () => {
  await sim?.stop();
});

const within = (entries: readonly RequestLogEntry[], fromMs: number, lengthMs: number): number =>
  entries.filter((e) => Date.parse(e.time) >= fromMs && Date.parse(e.time) < fromMs + lengthMs).length;

describe(`${CONNECTIONS} connections on one host`, () => {
  it('all become Ready', async () => {
    await waitFor(async () => {
      const objects = await listObjects(ns.name, 'imc');
      return objects.length === CONNECTIONS && objects.every((o) => condition(o, 'Ready')?.status === 'True');
    }, 90_000, 500, `all ${CONNECTIONS} connections Ready`);
  }, 120_000);

  it.each([
    { probe: 'reachability', path: '/api' },
    { probe: 'registration', path: '/auth/oauth2/authorize' },
  ])('the host sees one $probe probe ($path) per interval: exactly 1 in the first, at most 2 in 1.5 intervals', async ({ path }) => {
    const first = await waitFor(() => sim.requestLog({ host: HOST, path })[0], 30_000, 200, `a first ${path} probe`);
    const startMs = Date.parse(first.time);
    await sleep(Math.max(0, startMs + LONG_WINDOW_MS + 500 - Date.now()));
    const seen = sim.requestLog({ host: HOST, path });
    expect(within(seen, startMs, FIRST_WINDOW_MS)).toBe(1);
    expect(within(seen, startMs, LONG_WINDOW_MS)).toBeGreaterThanOrEqual(1);
    expect(within(seen, startMs, LONG_WINDOW_MS)).toBeLessThanOrEqual(2);
  }, 60_000);

  it('imanage_operator_probes_sent_total agrees with the simulator, probe by probe', async () => {
    for (const { probe, path } of [{ probe: 'reachability', path: '/api' }, { probe: 'registration', path: '/auth/oauth2/authorize' }]) {
      // The metric counts a probe as it is sent, the simulator logs it once answered: compare
      // when no probe is in flight, i.e. when both sides agree on a count that stays put.
      const { logged, counted } = await waitFor(async () => {
        const before = sim.requestLog({ host: HOST, path }).length;
        const counted = metricValue(await op.metrics(), 'imanage_operator_probes_sent_total', { probe });
        const after = sim.requestLog({ host: HOST, path }).length;
        return before === after && counted === after && { logged: after, counted };
      }, 30_000, 200, `the ${probe} metric to equal the simulator's count`);
      expect(logged).toBeGreaterThanOrEqual(1);
      expect(counted, probe).toBe(logged);
    }
  });
});
