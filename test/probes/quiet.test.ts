// Quiet when idle: 50 healthy connections, probed every 10 s against the simulator, settle, and
// then — however often they are probed — cause no status write at all. Probe times go to
// metrics; status changes only when an outcome does.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { listObjects, metricValue, startOperator, waitFor, type OperatorProcess } from '../harness/operator.ts';
import {
  caSecret,
  condition,
  connection,
  INTERVAL_MS,
  list,
  resolveToSimulator,
  secret,
  startFileSimulator,
} from './helpers.ts';

const HOSTS = ['quiet-a.cloudimanage.com', 'quiet-b.cloudimanage.com', 'quiet-c.cloudimanage.com'];
const CONNECTIONS = 50;
const OBSERVED_INTERVALS = 4;
const uri = (i: number) => `https://env-${i % 5}.example.com/externalServices/replyFrom`;

const scenario: Scenario = {
  hosts: HOSTS.map((name) => ({ name, customers: ['100'] })),
  customers: [
    {
      id: '100',
      applications: [{ clientId: 'app', clientSecret: 'app-secret', redirectUris: [0, 1, 2, 3, 4].map(uri) }],
    },
  ],
};

const ns = useTestNamespace('quiet');
let sim: RunningSimulator;
let op: OperatorProcess;

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  op = await startOperator({
    namespace: ns.name,
    probes: true,
    extraArgs: ['--resolve', resolveToSimulator(sim, HOSTS).join(','), '--allow-loopback-probes', 'true'],
  });
  const connections = Array.from({ length: CONNECTIONS }, (_, i) =>
    connection(`q-${String(i).padStart(2, '0')}`, `https://${HOSTS[i % HOSTS.length]}`, {
      connectionType: 'Cloud',
      customerId: '100',
      clientSecretRef: 'app',
      caSecret: 'imanage-ca',
      environments: [{ name: 'production', baseUrl: uri(i).replace('/externalServices/replyFrom', '') }],
    }),
  );
  await ns.apply(
    list(secret('app', { clientId: 'app', clientSecret: 'app-secret' }), caSecret('imanage-ca', sim), ...connections),
  );
});

afterAll(async () => {
  await sim?.stop();
});

const writes = async () =>
  metricValue(await op.metrics(), 'imanage_operator_status_writes_total', { kind: 'IManageConnection' });
const probes = async () => metricValue(await op.metrics(), 'imanage_operator_probes_sent_total', {});

describe(`${CONNECTIONS} healthy connections probed every ${INTERVAL_MS / 1000} s`, () => {
  it(`write no status over ${OBSERVED_INTERVALS} intervals once settled, while the probes go on`, async () => {
    await waitFor(
      async () => {
        const objects = await listObjects(ns.name, 'imc');
        return objects.length === CONNECTIONS && objects.every((o) => condition(o, 'Ready')?.reason === 'Connected');
      },
      120_000,
      500,
      `all ${CONNECTIONS} connections Connected`,
    );
    // Settled: one more interval for writes already under way (a first probe's answer) to land.
    await sleep(INTERVAL_MS);
    const [writesBefore, probesBefore] = [await writes(), await probes()];
    await sleep(OBSERVED_INTERVALS * INTERVAL_MS);
    const [writesAfter, probesAfter] = [await writes(), await probes()];
    // Every host was probed again (reachability and registration) in every interval…
    expect(probesAfter - probesBefore).toBeGreaterThanOrEqual(HOSTS.length * 2 * (OBSERVED_INTERVALS - 1));
    // …and not one status was written.
    expect(writesAfter - writesBefore).toBe(0);
    const durations = metricValue(await op.metrics(), 'imanage_probe_duration_seconds_count', {
      probe: 'reachability',
    });
    expect(durations).toBeGreaterThanOrEqual(HOSTS.length * OBSERVED_INTERVALS);
    expect(
      metricValue(await op.metrics(), 'imanage_probe_last_success_timestamp_seconds', {
        probe: 'reachability',
        host: `${HOSTS[0]}:443`,
      }),
    ).toBeGreaterThan(Date.now() / 1000 - (2 * INTERVAL_MS) / 1000);
  }, 240_000);
});
