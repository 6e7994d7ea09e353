// The informer against the real API server, with a proxy in between that breaks its watch:
// a watch cut or ended by the server resumes and catches up with what changed meanwhile, and a
// 410 Gone forces a relist that also delivers the deletions missed while disconnected.
// ConfigMaps keep these tests independent of the operator's CRDs.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../operator/runtime/kube/client.ts';
import { loadClusterConfig, type ClusterConfig } from '../../operator/runtime/kube/config.ts';
import { Informer, type RestartReason } from '../../operator/runtime/kube/informer.ts';
import { configMaps, type ConfigMap } from '../../operator/runtime/kube/resources.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { WatchFaultProxy, type GoneMode } from './watch-fault-proxy.ts';

const ns = useTestNamespace('kube-informer');

let config: ClusterConfig;
let admin: KubeClient;
let proxy: WatchFaultProxy;
let viaProxy: KubeClient;
const informers: Informer<ConfigMap>[] = [];

beforeAll(async () => {
  config = await loadClusterConfig({ kubeconfig: inject('kubeconfigPath'), env: {} });
  admin = new KubeClient(config);
});

afterAll(() => {
  admin?.close();
});

afterEach(async () => {
  await Promise.all(informers.splice(0).map((informer) => informer.stop()));
  viaProxy?.close();
  await proxy?.close();
});

async function startProxy(): Promise<void> {
  proxy = await WatchFaultProxy.start(inject('server'), config.ca!);
  viaProxy = new KubeClient({ ...config, server: proxy.url });
}

interface Watched {
  readonly informer: Informer<ConfigMap>;
  readonly events: string[];
  readonly restarts: RestartReason[];
}

function watch(client: KubeClient, suite: string): Watched {
  const events: string[] = [];
  const restarts: RestartReason[] = [];
  const informer = new Informer(client, configMaps, {
    namespace: ns.name,
    labelSelector: `suite=${suite}`,
    onRestart: (reason) => restarts.push(reason),
  });
  informer.on({
    add: (o) => events.push(`add ${o.metadata.name}`),
    update: (_old, o) => events.push(`update ${o.metadata.name}=${o.data?.v ?? ''}`),
    delete: (o) => events.push(`delete ${o.metadata.name}`),
  });
  informers.push(informer);
  informer.start();
  return { informer, events, restarts };
}

async function create(suite: string, name: string, v = '1'): Promise<void> {
  await admin.create(configMaps, { metadata: { namespace: ns.name, name, labels: { suite } }, data: { v } });
}

/** The cache as `name=v` pairs, sorted. */
function state(informer: Informer<ConfigMap>): string[] {
  return informer
    .list()
    .map((o) => `${o.metadata.name}=${o.data?.v ?? ''}`)
    .sort();
}

/** Waits (without asserting on how long) until the cache holds `expected`. */
async function converges(informer: Informer<ConfigMap>, expected: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (JSON.stringify(state(informer)) !== JSON.stringify(expected)) {
    if (Date.now() > deadline) expect(state(informer)).toEqual(expected);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** While the watch is down: one update, one delete, one create. */
async function changeWhileDisconnected(suite: string): Promise<void> {
  await admin.patch(configMaps, { namespace: ns.name, name: `${suite}-change` }, { data: { v: '2' } });
  await admin.delete(configMaps, { namespace: ns.name, name: `${suite}-remove` });
  await create(suite, `${suite}-added`);
}

async function seed(suite: string): Promise<void> {
  for (const name of ['keep', 'change', 'remove']) await create(suite, `${suite}-${name}`);
  await create('someone-else', `${suite}-unlabelled`);
}

describe('informer against the API server', () => {
  it('syncs, follows changes, and indexes', async () => {
    await seed('plain');
    const { informer, events } = watch(admin, 'plain');
    informer.addIndex('v', (o) => o.data?.v);
    expect(await informer.waitForSync()).toBe(true);
    expect(state(informer)).toEqual(['plain-change=1', 'plain-keep=1', 'plain-remove=1']);
    await changeWhileDisconnected('plain');
    await converges(informer, ['plain-added=1', 'plain-change=2', 'plain-keep=1']);
    expect(informer.byIndex('v', '2').map((o) => o.metadata.name)).toEqual(['plain-change']);
    expect(events.slice(3)).toEqual(['update plain-change=2', 'delete plain-remove', 'add plain-added']);
  });
});

describe('informer behind a faulty connection', () => {
  it.each([
    ['cut', 'cutWatches', ['watch-failed']],
    ['ended cleanly', 'endWatches', []],
  ] as const)('resumes a watch %s by the server and catches up without relisting', async (_how, fault, restarts) => {
    const suite = fault === 'cutWatches' ? 'cut' : 'ended';
    await seed(suite);
    await startProxy();
    const watched = watch(viaProxy, suite);
    expect(await watched.informer.waitForSync()).toBe(true);
    await proxy.waitForWatches(1);
    const listVersion = proxy.watches[0]!.resourceVersion;

    proxy.hold();
    proxy[fault]();
    await proxy.waitForWatches(2);
    await changeWhileDisconnected(suite);
    proxy.release();

    await converges(watched.informer, [`${suite}-added=1`, `${suite}-change=2`, `${suite}-keep=1`]);
    expect(watched.events.slice(3)).toEqual([`update ${suite}-change=2`, `delete ${suite}-remove`, `add ${suite}-added`]);
    expect(watched.restarts).toEqual(restarts);
    expect(proxy.lists).toBe(1);
    expect(proxy.watches[1]!.resourceVersion).toBe(listVersion);
  });

  it.each<[string, GoneMode]>([
    ['an ERROR event', 'event'],
    ['an HTTP status', 'status'],
  ])('relists after 410 Gone as %s and delivers the deletions it missed', async (_how, mode) => {
    const suite = `gone-${mode}`;
    await seed(suite);
    await startProxy();
    const watched = watch(viaProxy, suite);
    expect(await watched.informer.waitForSync()).toBe(true);
    await proxy.waitForWatches(1);

    proxy.hold();
    proxy.cutWatches();
    await proxy.waitForWatches(2);
    await changeWhileDisconnected(suite);
    proxy.answerHeldWithGone(mode);

    await converges(watched.informer, [`${suite}-added=1`, `${suite}-change=2`, `${suite}-keep=1`]);
    // The relist diff: the update and the add from the new list, then the deletion nothing announced.
    expect(watched.events.slice(3).sort()).toEqual([`add ${suite}-added`, `delete ${suite}-remove`, `update ${suite}-change=2`]);
    expect(watched.restarts).toEqual(['watch-failed', 'gone']);
    expect(proxy.lists).toBe(2);
    await proxy.waitForWatches(3);
    expect(Number(proxy.watches[2]!.resourceVersion)).toBeGreaterThan(Number(proxy.watches[0]!.resourceVersion));
  });
});
