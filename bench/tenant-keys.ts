// One tenant's many passphrases against another tenant's one, in one operator. The crowded tenant
// (namespace `bench`) creates N connections, each with a passphrase of its own: N key derivations
// (PBKDF2, about 0.1 s each, one at a time). A moment later the quiet tenant (`bench-quiet`) creates
// 4 connections sharing one passphrase: one derivation. Prints how long the quiet tenant's
// connections took to be Ready from their creation, and the crowded tenant's, so that a change in
// how derivations are queued shows in the figure that matters to the other tenants. Not a test.
//
// Usage: node bench/tenant-keys.ts [crowded connections=200] [operator concurrency=16]
// Environment: BENCH_OPERATOR_MAIN, BENCH_NODE_OPTIONS as for bench/operator-scale.ts.

import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { imanageConnections } from '../operator/api/kinds.ts';
import { KubeClient } from '../operator/runtime/kube/client.ts';
import { type KubeObject, namespaces, secrets } from '../operator/runtime/kube/resources.ts';
import { type RunningSimulator, startSimulator } from '../simulator/index.ts';
import { startControlPlane } from '../test/harness/controlplane.ts';
import { installCrds } from '../test/harness/crds.ts';
import {
  CLIENT_CONCURRENCY, isReady, NAMESPACE, Operator, plan, pool, referencedSecrets, settings, SIM_SCENARIO, type StatusObject, warmUp,
} from './operator-scale.ts';

const QUIET_NAMESPACE = 'bench-quiet';
const QUIET_CONNECTIONS = 4;
/** The quiet tenant's creates start once the crowded tenant's are all sent, and this much later. */
const QUIET_AFTER_MS = 1_000;
const POLL_MS = 200;

const crowded = Number(process.argv[2] ?? 200);
const concurrency = process.argv[3] ?? '16';

/** The connections of `namespace` (IManageConnections only: repositories add nothing to the question). */
function connections(count: number, namespace: string, passphrases: number, prefix: string): KubeObject[] {
  return plan(count, 'connections-first', 'encrypted', passphrases)
    .filter((p) => p.resource === imanageConnections)
    .map(({ object }) => ({ ...object, metadata: { ...object.metadata, namespace, name: `${prefix}-${object.metadata.name}` } }) as KubeObject);
}

/** Seconds from `since` until every named connection of `namespace` is Ready for its generation. */
async function readyAfter(client: KubeClient, namespace: string, count: number, since: number, deadlineS: number): Promise<number> {
  for (;;) {
    const { items } = await client.list(imanageConnections, { namespace });
    const seconds = (performance.now() - since) / 1000;
    if (items.length === count && (items as StatusObject[]).every(isReady)) return seconds;
    if (seconds > deadlineS) throw new Error(`${namespace}: not all ${count} connections Ready after ${deadlineS} s`);
    await sleep(POLL_MS);
  }
}

async function main(): Promise<void> {
  const cp = await startControlPlane();
  const client = await KubeClient.load({ kubeconfig: cp.kubeconfigPath, maxRequestSockets: Infinity });
  let sim: RunningSimulator | undefined;
  let operator: Operator | undefined;
  try {
    const crdDir = fileURLToPath(new URL('../crds', import.meta.url));
    await installCrds(cp, crdDir, await readdir(crdDir));
    for (const name of [NAMESPACE, QUIET_NAMESPACE]) await client.create(namespaces, { metadata: { name } });
    await warmUp(client);
    sim = await startSimulator(SIM_SCENARIO, { httpPort: false, adminPort: false });
    for (const secret of referencedSecrets(sim, NAMESPACE, crowded)) await client.create(secrets, secret);
    for (const secret of referencedSecrets(sim, QUIET_NAMESPACE)) await client.create(secrets, secret);
    const s = settings([String(crowded), concurrency], { ...process.env, BENCH_TOKENS: 'encrypted', BENCH_PASSPHRASES: String(crowded) });
    // --namespaces is a list flag: this one adds to the bench's own `--namespaces bench`.
    operator = new Operator({ ...s, operatorArgs: ['--namespaces', QUIET_NAMESPACE, ...s.operatorArgs] }, cp.kubeconfigPath, sim);
    await operator.synced;

    const crowdedStarted = performance.now();
    await pool(connections(crowded, NAMESPACE, crowded, 'crowded'), CLIENT_CONCURRENCY, async (o) => void (await client.create(imanageConnections, o)));
    await sleep(QUIET_AFTER_MS);
    const quietStarted = performance.now();
    for (const o of connections(QUIET_CONNECTIONS, QUIET_NAMESPACE, 1, 'quiet')) await client.create(imanageConnections, o);
    const deadlineS = 120 + crowded * 1;
    const [quietS, crowdedS] = await Promise.all([
      readyAfter(client, QUIET_NAMESPACE, QUIET_CONNECTIONS, quietStarted, deadlineS),
      readyAfter(client, NAMESPACE, crowded, crowdedStarted, deadlineS),
    ]);
    process.stdout.write(
      `tenant-keys: ${crowded} connections with a passphrase each (namespace ${NAMESPACE}), then ${QUIET_CONNECTIONS} sharing one (${QUIET_NAMESPACE}), concurrency ${concurrency}\n` +
        `  quiet tenant Ready after     ${quietS.toFixed(1)} s from its creates\n` +
        `  crowded tenant Ready after   ${crowdedS.toFixed(1)} s from its creates\n` +
        `  operator warnings logged:    ${operator.warnings}\n`,
    );
  } finally {
    await operator?.stop();
    client.close();
    await sim?.stop();
    await cp.stop();
  }
}

await main();
