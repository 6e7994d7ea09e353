// How long a user's edit takes to be reconciled while the operator is busy with a large first
// sync (issue 9, finding 6: 15.1 s behind a backlog of 6,000 creates). CHANGES connections are
// created and reconciled first; then N connections and 5·N repositories are created as fast as the
// API server takes them, and while the operator works through them for the first time, each of
// the CHANGES connections gets a spec edit (one every EDIT_SPACING_MS). For each edit: the time
// from the PATCH answer to the operator's status reporting the new generation, seen through a
// watch. Prints p50, p99 and the maximum, how far the first-time pass was when the edits landed,
// and status writes per object once everything settled. Not a test; prints its figures.
//
// Usage: node bench/change-latency.ts [connections=1000] [operator concurrency=16] [changes=50]

import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IManageConnection } from '../operator/api/generated/types.ts';
import { imanageConnections } from '../operator/api/kinds.ts';
import { baseConnection } from '../operator/api/validation/fixtures.ts';
import { KubeClient } from '../operator/runtime/kube/client.ts';
import { namespaces } from '../operator/runtime/kube/resources.ts';
import { startControlPlane } from '../test/harness/controlplane.ts';
import { installCrds } from '../test/harness/crds.ts';
import {
  CLIENT_CONCURRENCY, fetchText, isReady, NAMESPACE, Operator, operatorMetricNames, parseMetrics, plan, pool, settings, settle,
  total, warmUp, type Target,
} from './operator-scale.ts';

const EDIT_LABEL = 'bench-edit';
const EDIT_SPACING_MS = 100;
/** The edits start once this many of the first-time objects have been created. */
const START_EDITS_AFTER = 1_000;

const editedName = (i: number): string => `edited-${i}`;

function editedConnection(i: number): IManageConnection {
  const object = baseConnection(editedName(i));
  object.metadata = { ...object.metadata, namespace: NAMESPACE, labels: { [EDIT_LABEL]: 'true' } };
  return object;
}

/** Resolves each edit's latency once the operator reports its generation (one watch for all). */
class GenerationWatch {
  readonly latenciesMs = new Map<string, number>();
  readonly #pending = new Map<string, { generation: number; sentAt: number }>();
  readonly #stop = new AbortController();
  readonly #running: Promise<void>;

  constructor(client: KubeClient, resourceVersion: string) {
    this.#running = client.watch(imanageConnections, {
      namespace: NAMESPACE, labelSelector: `${EDIT_LABEL}=true`, resourceVersion, signal: this.#stop.signal,
    }, ({ object }) => {
      const pending = this.#pending.get(object.metadata.name ?? '');
      if (!pending || (object.status?.observedGeneration ?? 0) < pending.generation) return;
      this.latenciesMs.set(object.metadata.name!, performance.now() - pending.sentAt);
      this.#pending.delete(object.metadata.name!);
    }).catch(() => {});
  }

  expect(name: string, generation: number, sentAt: number): void {
    this.#pending.set(name, { generation, sentAt });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const [connections = '1000', concurrency = '16', changesArg = '50'] = process.argv.slice(2);
  const s = settings([connections, concurrency], process.env);
  const changes = Number(changesArg);
  const cp = await startControlPlane();
  let operator: Operator | undefined;
  const client = await KubeClient.load({ kubeconfig: cp.kubeconfigPath });
  try {
    const crdDir = fileURLToPath(new URL('../crds', import.meta.url));
    await installCrds(cp, crdDir, await readdir(crdDir));
    await client.create(namespaces, { metadata: { name: NAMESPACE } });
    await warmUp(client);
    await pool(Array.from({ length: changes }, (_, i) => editedConnection(i)), CLIENT_CONCURRENCY, async (o) => void (await client.create(imanageConnections, o)));
    operator = new Operator(s, cp.kubeconfigPath);
    const metrics: Target = { url: `http://${await operator.probes}/metrics` };
    await operator.synced;
    const labelled = { namespace: NAMESPACE, labelSelector: `${EDIT_LABEL}=true` };
    await waitUntil('the connections to edit to be Ready', 120_000, async () => (await client.list(imanageConnections, labelled)).items.filter(isReady).length === changes);
    process.stderr.write(`${changes} connections reconciled; creating ${s.connections * 6} objects and editing them meanwhile…\n`);

    const watch = new GenerationWatch(client, (await client.list(imanageConnections, labelled)).metadata.resourceVersion ?? '');
    const objects = plan(s.connections, s.order);
    let created = 0;
    const creating = pool(objects, CLIENT_CONCURRENCY, async ({ resource, object }) => void (await client.create(resource, object), created++));
    await waitUntil(`${START_EDITS_AFTER} creates`, 120_000, () => created >= START_EDITS_AFTER);
    const writesAtFirstEdit = total(parseMetrics(await fetchText(metrics), operatorMetricNames), 'imanage_operator_status_writes_total');
    for (let i = 0; i < changes; i++) {
      const patched = await client.patch(imanageConnections, { namespace: NAMESPACE, name: editedName(i) }, { spec: { customerId: String(500 + i) } });
      watch.expect(editedName(i), patched.metadata.generation ?? 0, performance.now());
      await sleep(EDIT_SPACING_MS);
    }
    await waitUntil('every edit reconciled', 300_000, () => watch.latenciesMs.size === changes);
    const writesAtLastEdit = total(parseMetrics(await fetchText(metrics), operatorMetricNames), 'imanage_operator_status_writes_total');
    await watch.stop();
    await creating;
    const settled = await settle(metrics);
    const writes = total(settled, 'imanage_operator_status_writes_total');
    const all = objects.length + changes;

    const sorted = [...watch.latenciesMs.values()].sort((a, b) => a - b);
    const ms = (v: number): string => `${(v / 1000).toFixed(2)} s`;
    process.stdout.write(`change-latency: ${changes} edits of reconciled connections during the first sync of ${objects.length} objects `
      + `(N=${s.connections}, concurrency ${s.concurrency})\n`);
    process.stdout.write(`  edit → new generation reported  p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted.at(-1)!)}\n`);
    process.stdout.write(`  first-time pass while editing   status writes ${writesAtFirstEdit} at the first edit, ${writesAtLastEdit} when the last was reconciled (of ${all} objects)\n`);
    process.stdout.write(`  status writes per object        ${(writes / all).toFixed(2)} (${writes} for ${all} objects and ${changes} edits, once settled)\n`);
  } finally {
    await operator?.stop();
    client.close();
    await cp.stop();
  }
}

await main();
