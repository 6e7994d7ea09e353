// Two shards on one API server (issue 22, P7): two operators, each with --label-selector for its
// half, split N connections (and their 5 repositories each) with probes and tokens on, the
// simulator as iManage on loopback. Checks and prints:
//   - no object handled twice: the connections each shard holds tokens for (its
//     imanage_token_expiry_seconds series) are disjoint and cover all N, and the token grants of
//     both (imanage_token_requests_total, and the simulator's log) are one per connection;
//   - each shard's time to all Ready and settled RSS, against the model of docs/scale.md;
//   - shard A killed (SIGKILL) and restarted: every token Secret is still there, unchanged, and no
//     token was obtained or refreshed again (the new process loads them).
// Not a test: it prints its figures. Usage: node bench/shards.ts [connections=2000] [concurrency=16]

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
  CLIENT_CONCURRENCY, fetchText, isReady, NAMESPACE, Operator, parseMetrics, plan, pool, referencedSecrets, rssMiB,
  settings, SIM_SCENARIO, settle, type StatusObject, total, warmUp,
} from './operator-scale.ts';
import { workspaceRepositories } from '../operator/api/kinds.ts';

/**
 * docs/scale.md's model ("Model"), from bench/operator-scale.ts 1000 16 with tokens on (encrypted),
 * the TypeScript operator with the image's flags (nodeProfile throughput since 2026-12-08), on
 * this 2-core machine with nothing else running: three runs at c73a958 on 2026-12-08 (idle
 * 105-107 MiB, settled 144-147 MiB, all Ready after 26.4-29.2 s). Settled RSS is the idle process
 * plus a slope per connection with its 5 repositories, and all Ready takes `readySecondsPer1000`
 * per 1,000 connections the API server takes. Shards on one API server share it (and here its two
 * cores), so each shard's time follows the connections of all shards, not its own share: sharding
 * adds operator memory and CPU, not API server throughput. (Before, with nodeProfile memory: 96
 * MiB, 38 KiB and 35 s; earlier, from runs at 1dbfb24 and af36615: 96 MiB, 51 KiB and 46 s.)
 */
export const MODEL = { idleMiB: 106, perConnectionKiB: 40, readySecondsPer1000: 28 };
const modelRssMiB = (n: number): number => MODEL.idleMiB + (n * MODEL.perConnectionKiB) / 1024;
const SHARDS = ['a', 'b'] as const;
const LABEL = 'bench.imanage.operator.dev/shard';
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 1): string => n.toFixed(digits);

const connections = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);
const shardOf = (i: number): (typeof SHARDS)[number] => SHARDS[i % 2]!;

/** Every object, labelled with its shard: a connection and its repositories share one. */
function labelled(): KubeObject[] {
  return plan(connections, 'connections-first', 'encrypted').map(({ object }) => {
    const name = object.metadata.name ?? '';
    const index = Number(/(\d+)$/.exec(name)?.[1] ?? 0);
    const connection = object.kind === 'IManageConnection' ? index : Math.floor(index / 5);
    return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, [LABEL]: shardOf(connection) } } };
  });
}

const metricsOf = async (op: Operator): Promise<string> => fetchText({ url: `http://${await op.probes}/metrics` });

/** The connection names a shard holds tokens for. */
const tokenHolders = (text: string): Set<string> =>
  new Set(parseMetrics(text, (n) => n === 'imanage_token_expiry_seconds').filter((s) => s.labels['token'] === 'access').map((s) => s.labels['name']!));

const grants = (text: string): number => total(parseMetrics(text, (n) => n === 'imanage_token_requests_total'), 'imanage_token_requests_total');

function start(shard: string, kubeconfig: string, sim: RunningSimulator): Operator {
  const s = { ...settings([String(connections), String(concurrency)], { ...process.env, BENCH_TOKENS: 'encrypted' }) };
  return new Operator({ ...s, operatorArgs: ['--label-selector', `${LABEL}=${shard}`, ...s.operatorArgs] }, kubeconfig, sim);
}

/** Status writes of one shard so far, from its /metrics. */
const statusWrites = async (op: Operator): Promise<number> =>
  total(parseMetrics(await metricsOf(op), (n) => n === 'imanage_operator_status_writes_total'), 'imanage_operator_status_writes_total');

/**
 * When each shard had all its objects Ready. A LIST of 12,000 objects costs the shared API server
 * real CPU (one every 2 s was a load the model's single-operator runs never had), so it is sent
 * only once a shard not yet done has written as many statuses as it has objects, which every
 * object needs before it can be Ready; until then, one every 20 s for progress.
 */
async function allReady(client: KubeClient, ops: ReadonlyMap<string, Operator>, deadlineS: number, started: number): Promise<Map<string, number>> {
  const readyAt = new Map<string, number>();
  for (let tick = 0; ; tick++) {
    if ((performance.now() - started) / 1000 > deadlineS) throw new Error(`not all Ready after ${deadlineS} s`);
    const perShard = new Map(await Promise.all([...ops].map(async ([shard, op]) => [shard, await statusWrites(op)] as const)));
    const writes = [...perShard.values()].reduce((a, b) => a + b, 0);
    const mayBeDone = SHARDS.some((shard) => !readyAt.has(shard) && (perShard.get(shard) ?? 0) >= connections * 3);
    if (!mayBeDone && tick % 40 !== 0) {
      await sleep(500);
      continue;
    }
    const [c, r] = await Promise.all([client.list(imanageConnections, { namespace: NAMESPACE }), client.list(workspaceRepositories, { namespace: NAMESPACE })]);
    const items = [...c.items, ...r.items] as StatusObject[];
    const atS = (performance.now() - started) / 1000;
    for (const shard of SHARDS) {
      const mine = items.filter((o) => o.metadata.labels?.[LABEL] === shard);
      if (!readyAt.has(shard) && mine.length === connections * 3 && mine.every(isReady)) readyAt.set(shard, atS);
    }
    process.stderr.write(`  t=${fmt(atS)} s  status writes ${writes}  Ready ${items.filter(isReady).length}/${connections * 6}\n`);
    if (readyAt.size === SHARDS.length) return readyAt;
    await sleep(500);
  }
}

async function tokenSecretVersions(client: KubeClient): Promise<Map<string, string>> {
  const { items } = await client.list(secrets, { namespace: NAMESPACE });
  return new Map(items.filter((s) => s.metadata.name?.endsWith('-tokens')).map((s) => [s.metadata.name!, s.metadata.resourceVersion ?? '']));
}

async function main(): Promise<void> {
  const cp = await startControlPlane();
  const ops = new Map<string, Operator>();
  let sim: RunningSimulator | undefined;
  const client = await KubeClient.load({ kubeconfig: cp.kubeconfigPath });
  try {
    const crdDir = fileURLToPath(new URL('../crds', import.meta.url));
    await installCrds(cp, crdDir, await readdir(crdDir));
    await client.create(namespaces, { metadata: { name: NAMESPACE } });
    await warmUp(client);
    sim = await startSimulator(SIM_SCENARIO, { httpPort: false, adminPort: false });
    for (const secret of referencedSecrets(sim, NAMESPACE)) await client.create(secrets, secret);
    for (const shard of SHARDS) ops.set(shard, start(shard, cp.kubeconfigPath, sim));
    await Promise.all([...ops.values()].map((op) => op.synced));
    const rssIdle = new Map([...ops].map(([shard, op]) => [shard, rssMiB(op.pid) ?? 0]));

    const started = performance.now();
    const startedAt = Date.now();
    const objects = labelled();
    await pool(objects, CLIENT_CONCURRENCY, async (object) => {
      await client.create(object.kind === 'IManageConnection' ? imanageConnections : workspaceRepositories, object);
    });
    const readyAt = await allReady(client, ops, 600 + connections * 0.3, started);
    await Promise.all([...ops.values()].map(async (op) => settle({ url: `http://${await op.probes}/metrics` })));

    const text = new Map(await Promise.all([...ops].map(async ([shard, op]) => [shard, await metricsOf(op)] as const)));
    const holders = SHARDS.map((shard) => tokenHolders(text.get(shard)!));
    const both = [...holders[0]!].filter((name) => holders[1]!.has(name));
    const union = new Set([...holders[0]!, ...holders[1]!]);
    const wrongShard = SHARDS.flatMap((shard, k) => [...holders[k]!].filter((name) => shardOf(Number(/(\d+)$/.exec(name)?.[1])) !== shard));
    const grantsBefore = SHARDS.map((shard) => grants(text.get(shard)!));
    const simGrants = sim.requestLog({ method: 'POST', path: '/auth/oauth2/token' }).filter((e) => Date.parse(e.time) >= startedAt).length;
    say(`shards: ${connections} connections and ${connections * 5} repositories over 2 shards (label ${LABEL}), concurrency ${concurrency} each, probes and tokens on (encrypted)`);
    say(`  handled twice: ${both.length} connections held by both shards; ${wrongShard.length} by the wrong shard; ${union.size}/${connections} held in all`);
    say(`  token grants: ${grantsBefore.join(' + ')} by the shards, ${simGrants} seen by iManage (1 per connection: ${connections})`);
    for (const [k, shard] of SHARDS.entries()) {
      const op = ops.get(shard)!;
      const rss = rssMiB(op.pid) ?? 0;
      const n = connections / 2;
      const modelRss = modelRssMiB(n);
      const modelS = (MODEL.readySecondsPer1000 * connections) / 1000;
      say(`  shard ${shard}: ${holders[k]!.size} connections; all Ready after ${fmt(readyAt.get(shard)!)} s (model ${fmt(modelS)} s for the ${connections} connections on the API server, ${fmt(readyAt.get(shard)! / modelS, 2)}×); RSS settled ${fmt(rss, 0)} MiB (idle ${fmt(rssIdle.get(shard)!, 0)}; model ${fmt(modelRss, 0)} MiB, ${fmt(rss / modelRss, 2)}×)`);
    }

    const versions = await tokenSecretVersions(client);
    const killedAt = Date.now();
    ops.get('a')!.child.kill('SIGKILL');
    await ops.get('a')!.exited;
    const restarted = start('a', cp.kubeconfigPath, sim);
    ops.set('a', restarted);
    await restarted.synced;
    const restartedAt = performance.now();
    // Level-based: the new process reconciles every connection of its half once; wait for that.
    for (;;) {
      const reconciled = total(parseMetrics(await metricsOf(restarted), (n) => n === 'imanage_operator_reconcile_total'), 'imanage_operator_reconcile_total', (l) => l['kind'] === 'IManageConnection');
      if (reconciled >= connections / 2) break;
      await sleep(1_000);
    }
    await settle({ url: `http://${await restarted.probes}/metrics` });
    const after = await tokenSecretVersions(client);
    const lost = [...versions.keys()].filter((name) => !after.has(name));
    const rewritten = [...versions].filter(([name, rv]) => after.get(name) !== undefined && after.get(name) !== rv);
    // The simulator's log keeps recent entries only: count by time, and by the new process's own counter.
    const again = sim.requestLog({ method: 'POST', path: '/auth/oauth2/token' }).filter((e) => Date.parse(e.time) >= killedAt).length;
    const restartedGrants = grants(await metricsOf(restarted));
    say(`  shard a killed and restarted: its ${connections / 2} connections reconciled again in ${fmt((performance.now() - restartedAt) / 1000)} s; token Secrets lost ${lost.length}, rewritten ${rewritten.length}; token requests to iManage since the kill ${again}, by the restarted shard ${restartedGrants} (0: none obtained or refreshed twice)`);
    say(`  operator warnings logged: ${[...ops.values()].map((op) => op.warnings).join(' + ')}`);
  } finally {
    await Promise.all([...ops.values()].map((op) => op.stop()));
    client.close();
    await sim?.stop();
    await cp.stop();
  }
}

await main();
