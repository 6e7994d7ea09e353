// The revoke-tokens finalizer comes from admission (issue 22, writes per object): the
// MutatingAdmissionPolicy of crds/admission/, installed with the CRDs as the chart installs it,
// adds it at create, so the operator makes no PATCH of the connection to add it. Counted through a
// proxy that records every request the operator sends. Deletion still revokes; and with tokens
// off, the operator still drops the finalizer, which the policy adds whatever the operator's flags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOKE_FINALIZER } from '../../operator/tokens/lifecycle.ts';
import type { RunningSimulator } from '../../simulator/index.ts';
import { scenario, SECRETS, VANITY } from '../../simulator/testing/fixture.ts';
import { getObject, type OperatorProcess, startOperator } from '../harness/operator.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import type { WatchFaultProxy } from '../kube/watch-fault-proxy.ts';
import { startOperatorThroughProxy } from './through-proxy.ts';
import { caSecret, connection, list, secret, startFileSimulator, waitForCondition } from '../probes/helpers.ts';

const HOST = VANITY;
const ns = useTestNamespace('finalizer-admission');
let sim: RunningSimulator;
let proxy: WatchFaultProxy;
let op: OperatorProcess | undefined;
/** The finalizers of `linked` as stored before any operator ran. */
let createdWith: readonly string[] | undefined;

const finalizersOf = async (name: string) =>
  (await getObject<{ metadata: { finalizers?: string[] } }>(ns.name, 'imc', name))?.metadata.finalizers;

beforeAll(async () => {
  sim = await startFileSimulator(scenario);
  await ns.apply(
    list(
      secret('app', { clientId: 'web-app', clientSecret: SECRETS.webApp }),
      secret('jsmith', { username: 'jsmith', password: SECRETS.jsmith }),
      caSecret('imanage-ca', sim),
      connection('linked', `https://${HOST}`, {
        clientSecretRef: 'app',
        caSecret: 'imanage-ca',
        extraSpec: { library: 'ACTIVE_US', auth: { grant: 'Password', credentialsSecretRef: { name: 'jsmith' } } },
      }),
    ),
  );
  createdWith = await finalizersOf('linked');
  ({ proxy, op } = await startOperatorThroughProxy(ns.name, sim, HOST));
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await proxy?.close();
  await sim?.stop();
});

describe('the revoke-tokens finalizer from admission', () => {
  it('is on a connection from its create, before any operator ran', () => {
    expect(createdWith).toEqual([REVOKE_FINALIZER]);
  });

  it('leaves the operator no PATCH of the connection on the way to Linked and Ready', async () => {
    await waitForCondition(ns.name, 'imc', 'linked', 'TokensReady', 'True', 'Linked');
    await waitForCondition(ns.name, 'imc', 'linked', 'Ready', 'True', 'Connected');
    const path = `/apis/imanage.operator.dev/v1alpha1/namespaces/${ns.name}/imanageconnections/linked`;
    const count = (request: string) => proxy.requests.filter((r) => r === request).length;
    // The status writes went through the proxy, so a PATCH would have been counted too.
    expect(count(`PUT ${path}/status`) + count(`PATCH ${path}/status`)).toBeGreaterThan(0);
    expect(count(`PATCH ${path}`)).toBe(0);
    expect(count(`PUT ${path}`)).toBe(0);
  });

  it('still revokes the tokens at iManage on deletion, and lets the connection go', async () => {
    const revokesBefore = sim.requestLog({ host: HOST, path: '/auth/oauth2/revoke-token' }).length;
    const deleted = await ns.kubectl(['delete', 'imc', 'linked', '--wait=true', '--timeout=30s']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await getObject(ns.name, 'imc', 'linked')).toBeUndefined();
    const revokes = sim.requestLog({ host: HOST, path: '/auth/oauth2/revoke-token' }).slice(revokesBefore);
    expect(revokes.map((r) => r.status)).toEqual([200, 200]);
  });

  it('is dropped on deletion by an operator with tokens off, which has nothing to revoke', async () => {
    await op?.stop();
    op = await startOperator({ namespace: ns.name, leaderElect: false });
    await ns.apply(list(connection('untokened', `https://${HOST}`, { clientSecretRef: 'app' })));
    expect(await finalizersOf('untokened')).toEqual([REVOKE_FINALIZER]);
    const deleted = await ns.kubectl(['delete', 'imc', 'untokened', '--wait=true', '--timeout=30s']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await getObject(ns.name, 'imc', 'untokened')).toBeUndefined();
  });
});
