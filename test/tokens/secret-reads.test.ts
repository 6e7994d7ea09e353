// Secret reads per reconcile (issue 22): the operator, with probes and tokens on, reads each
// Secret a connection names at most once per reconcile. It used to read the key material's two
// Secrets twice (once to observe them, once to seal the tokens), and 13 GETs per connection were
// counted at scale. The operator talks to the real API server through a proxy that records every
// request; reconciles are counted from the operator's own metrics. Each connection's repositories
// read no Secret: they trust the CA bundle their connection's reconcile read (5,000 of the 11,000
// Secret GETs at 1,000 connections were repositories reading it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseRepository, mergePatch } from '../../operator/api/validation/fixtures.ts';
import { PASSPHRASE, tlsSecretData } from '../../operator/tokens/testdata/fixtures.ts';
import type { RunningSimulator } from '../../simulator/index.ts';
import { scenario, SECRETS, VANITY } from '../../simulator/testing/fixture.ts';
import { getObject, type KubeJson, metricValue, type OperatorProcess, waitFor } from '../harness/operator.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import type { WatchFaultProxy } from '../kube/watch-fault-proxy.ts';
import { startOperatorThroughProxy } from './through-proxy.ts';
import { caSecret, connection, list, secret, startFileSimulator, waitForCondition, waitForObject } from '../probes/helpers.ts';

const HOST = VANITY;
/** The five Secrets each connection names: application, credentials, CA, passphrase, certificate. */
const REFERENCED = ['app', 'jsmith', 'imanage-ca', 'passphrase', 'token-cert'];
const CONNECTIONS = ['one', 'two', 'three'];
/** Two repositories per connection, resolving a workspace of the simulator's ACTIVE_US library. */
const REPOSITORIES = CONNECTIONS.flatMap((c) => [`${c}-a`, `${c}-b`].map((name) => ({ name, connection: c })));
const repository = (name: string, connectionName: string) =>
  mergePatch(baseRepository(name), {
    spec: { connectionRef: { name: connectionName }, resolvers: [{ workType: '*', resolver: 'Brown Estate', folder: 'Letters' }] },
  });

const ns = useTestNamespace('secret-reads');
let sim: RunningSimulator;
let proxy: WatchFaultProxy;
let op: OperatorProcess;

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  const tls = tlsSecretData('rsa');
  await ns.apply(
    list(
      secret('app', { clientId: 'web-app', clientSecret: SECRETS.webApp }),
      secret('jsmith', { username: 'jsmith', password: SECRETS.jsmith }),
      caSecret('imanage-ca', sim),
      secret('passphrase', { passphrase: PASSPHRASE }),
      secret('token-cert', { 'tls.crt': tls['tls.crt'].toString(), 'tls.key': tls['tls.key'].toString() }, 'kubernetes.io/tls'),
      ...CONNECTIONS.map((name) =>
        connection(name, `https://${HOST}`, {
          clientSecretRef: 'app',
          caSecret: 'imanage-ca',
          extraSpec: {
            library: 'ACTIVE_US',
            auth: { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } },
            tokens: { encryption: { passphraseSecretRef: { name: 'passphrase' }, certificateSecretRef: { name: 'token-cert' } } },
          },
        }),
      ),
      ...REPOSITORIES.map(({ name, connection: c }) => repository(name, c)),
    ),
  );
  ({ proxy, op } = await startOperatorThroughProxy(ns.name, sim, HOST));
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await proxy?.close();
  await sim?.stop();
});

const resolved = (o: { status?: Record<string, unknown> }) =>
  (o.status?.['resolvers'] as { resolution?: unknown }[] | undefined)?.[0]?.resolution !== undefined;

describe('Secret reads', () => {
  it('reads each Secret a connection names at most once per connection reconcile', async () => {
    for (const name of CONNECTIONS) await waitForCondition(ns.name, 'imc', name, 'TokensReady', 'True', 'Linked');
    // The counts are read in this order so that a reconcile running meanwhile adds to the
    // reconciles (read last) no later than to the GETs.
    const gets = (name: string) => proxy.requests.filter((r) => r === `GET /api/v1/namespaces/${ns.name}/secrets/${name}`).length;
    const perSecret = Object.fromEntries(REFERENCED.map((name) => [name, gets(name)]));
    const reconciles = metricValue(await op.metrics(), 'imanage_operator_reconcile_total', { kind: 'IManageConnection' });
    expect(reconciles).toBeGreaterThanOrEqual(CONNECTIONS.length);
    for (const name of REFERENCED) expect(perSecret[name], `GETs of Secret '${name}'`).toBeLessThanOrEqual(reconciles);
    const total = REFERENCED.reduce((sum, name) => sum + perSecret[name]!, 0);
    expect(total).toBeLessThanOrEqual(reconciles * REFERENCED.length);
  });

  it("reads no Secret for a repository: it trusts the CA bundle its connection's reconcile read", async () => {
    for (const { name } of REPOSITORIES) await waitForObject(ns.name, 'wsr', name, 'a resolution in status', resolved);
    const caGets = proxy.requests.filter((r) => r === `GET /api/v1/namespaces/${ns.name}/secrets/imanage-ca`).length;
    const reconciles = metricValue(await op.metrics(), 'imanage_operator_reconcile_total', { kind: 'IManageConnection' });
    const repositoryReconciles = metricValue(await op.metrics(), 'imanage_operator_reconcile_total', { kind: 'WorkspaceRepository' });
    expect(repositoryReconciles).toBeGreaterThanOrEqual(REPOSITORIES.length);
    expect(caGets, 'GETs of the CA bundle Secret').toBeLessThanOrEqual(reconciles);
    // No other Secret either: every GET is of one a connection names, or a connection's token Secret.
    const named = new Set([...REFERENCED, ...CONNECTIONS.map((c) => `${c}-tokens`)]);
    const others = proxy.requests.filter((r) => r.startsWith(`GET /api/v1/namespaces/${ns.name}/secrets/`))
      .map((r) => r.slice(r.lastIndexOf('/') + 1)).filter((name) => !named.has(name));
    expect(others).toEqual([]);
  });

  it('keeps every repository status through a restart: no flap to WaitingForAccessToken and back', async () => {
    for (const { name } of REPOSITORIES) await waitForObject(ns.name, 'wsr', name, 'a resolution in status', resolved);
    const versions = async () =>
      Promise.all(REPOSITORIES.map(async ({ name }) => (await getObject<KubeJson>(ns.name, 'wsr', name))?.metadata.resourceVersion));
    const before = await versions();
    await op.stop();
    await proxy.close();
    // The new process holds no token until it has reconciled each connection; its repositories
    // are queued beside them, and one reconciled first must not report the token missing.
    ({ proxy, op } = await startOperatorThroughProxy(ns.name, sim, HOST));
    const count = async (kind: string, name = 'imanage_operator_reconcile_total') =>
      metricValue(await op.metrics(), name, { kind });
    await waitFor(async () => (await count('IManageConnection')) >= CONNECTIONS.length, 60_000, 200, 'every connection reconciled');
    await waitFor(async () => (await count('WorkspaceRepository')) >= REPOSITORIES.length, 60_000, 200, 'every repository reconciled');
    for (const { name } of REPOSITORIES) await waitForObject(ns.name, 'wsr', name, 'a resolution in status', resolved);
    expect(await count('WorkspaceRepository', 'imanage_operator_status_writes_total')).toBe(0);
    expect(await versions()).toEqual(before);
  });
});
