// The chart's RBAC (generated from the declarations beside the code) is all the operator needs:
// it runs as the chart's ServiceAccount, with a token from the TokenRequest API, and works, both
// when it watches every namespace and when the chart is installed for some namespaces only (and
// under the chart's ValidatingAdmissionPolicy on its Secret writes, which both runs install).
// Then what the chart grants others: the aggregated view and edit roles, shown with
// `kubectl auth can-i`; and what the policy refuses the operator's ServiceAccount.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { dump, load, loadAll } from 'js-yaml';
import { baseConnection, baseRepository, mergePatch } from '../operator/api/validation/fixtures.ts';
import { LINK_KEY_SECRET } from '../operator/tokens/link-store.ts';
import { tokenSecret } from '../operator/tokens/format.ts';
import { KubectlError, runKubectl } from './harness/exec.ts';
import { useTestNamespace, type TestNamespace } from './harness/namespace.ts';
import { getObject, startOperator, waitFor, type OperatorProcess } from './harness/operator.ts';
import type { KubectlResult } from './harness/exec.ts';
import type { Scenario } from '../simulator/index.ts';
import {
  caSecret,
  connection,
  list,
  resolveToSimulator,
  secret,
  startFileSimulator,
  waitForCondition,
} from './probes/helpers.ts';

const root = join(import.meta.dirname, '..');
const ns = useTestNamespace('rbac');
/** A namespace the namespaced install does not watch, holding a Secret it must not read. */
const elsewhere = useTestNamespace('rbac-elsewhere');

interface Rendered {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly rules?: readonly { readonly resources: readonly string[]; readonly verbs: readonly string[] }[];
}

async function renderChart(release: string, namespace: string, values: readonly string[] = []): Promise<string> {
  const helm = join(inject('binDir'), 'helm');
  const chart = join(root, 'charts', 'imanage-operator');
  // RBAC only: the rest of the chart (CRDs, Deployment) is test/chart.test.ts's, and uninstall()
  // deletes what it applied, which must never be the CRDs every test file shares.
  const only = ['--show-only', 'templates/rbac.yaml'];
  const args = ['template', release, chart, '--namespace', namespace, ...only, ...values];
  const { stdout } = await promisify(execFile)(helm, args);
  return stdout;
}

/** A kubeconfig for the ServiceAccount: the admin one's cluster, with the SA's token. */
async function serviceAccountKubeconfig(release: string): Promise<string> {
  const token = (await ns.kubectl(['create', 'token', release, '--duration', '1h'])).stdout.trim();
  expect(token.length).toBeGreaterThan(100);
  type Kubeconfig = { users: { user: Record<string, unknown> }[] };
  const admin = load(await readFile(inject('kubeconfigPath'), 'utf8')) as Kubeconfig;
  admin.users[0]!.user = { token };
  const path = join(tmpdir(), `kubeconfig-${release}`);
  await writeFile(path, dump(admin), { mode: 0o600 });
  return path;
}

/** kubectl as admin without a default namespace: the chart's objects name theirs. */
function kubectlAnywhere(args: readonly string[], input: string) {
  return runKubectl(inject('binDir'), inject('kubeconfigPath'), args, { input });
}

/** A repository whose connection does not exist: its first status is a Warning. */
const ORPHAN = mergePatch(baseRepository('orphan'), { spec: { connectionRef: { name: 'absent' } } });

/** Installs the rendered chart, runs the operator as its ServiceAccount, and waits for Ready. */
async function runAsChart(release: string, manifest: string): Promise<{ op: OperatorProcess; kubeconfig: string }> {
  const installed = await kubectlAnywhere(['apply', '-f', '-'], manifest);
  if (installed.code !== 0) throw new KubectlError(['apply', '-f', '-'], installed);
  const kubeconfig = await serviceAccountKubeconfig(release);
  const op = await startOperator({ namespace: ns.name, kubeconfigPath: kubeconfig, leaderElectionId: release });
  const applied = await ns.kubectl(['apply', '-f', join(root, 'examples', 'clio-operate-cloud')]);
  expect(applied.code, applied.stderr).toBe(0);
  const ready = await waitFor(async () => {
    const conn = await getObject(ns.name, 'imanageconnection', 'clio-operate-cloud');
    return conn?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? conn : undefined;
  }, 60_000);
  expect(ready.status?.observedGeneration).toBe(ready.metadata.generation);
  // An object created healthy records no Event; one created failing records a Warning, which the
  // chart's RBAC must let the operator write.
  const orphan = await ns.apply(JSON.stringify(ORPHAN));
  expect(orphan.code, orphan.stderr).toBe(0);
  await waitFor(async () => {
    const events = await ns.kubectl(['get', 'events.events.k8s.io', '-o', 'jsonpath={.items[*].reason}']);
    return events.stdout.includes('ConnectionNotFound') || undefined;
  }, 60_000, 250, 'a Warning Event ConnectionNotFound about the orphan repository');
  expect(op.logs().join('\n')).not.toMatch(/Forbidden/);
  return { op, kubeconfig };
}

function canI(namespace: TestNamespace, release: string) {
  const as = `system:serviceaccount:${ns.name}:${release}`;
  return async (...args: string[]) => (await namespace.kubectl(['auth', 'can-i', ...args, '--as', as])).stdout.trim();
}

/**
 * Removes the example objects and their Events, so the next run must make them Ready itself, and
 * the release, whose cluster-scoped objects deleting the test namespace would leave behind.
 */
async function uninstall(manifest: string): Promise<void> {
  const examples = await ns.kubectl(['delete', '--wait=true', '-f', join(root, 'examples', 'clio-operate-cloud')]);
  expect(examples.code, examples.stderr).toBe(0);
  await ns.kubectl(['delete', '--ignore-not-found', '--wait=true', 'workspacerepository', 'orphan']);
  await ns.kubectl(['delete', 'events.events.k8s.io', '--all']);
  await kubectlAnywhere(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], manifest);
}

describe('the operator with only the chart RBAC', () => {
  it('reconciles, writes status and Events, and may not do more (every namespace)', async () => {
    // Release names holding the chart's name name the objects themselves (the fullname helper).
    const release = `imanage-operator-${ns.name}`.slice(0, 50);
    const manifest = await renderChart(release, ns.name);
    const { op } = await runAsChart(release, manifest);

    const can = canI(ns, release);
    expect(await can('get', 'secrets')).toBe('yes');
    expect(await can('list', 'secrets')).toBe('no');
    expect(await can('watch', 'secrets')).toBe('no');
    expect(await can('delete', 'imanageconnections.imanage.operator.dev')).toBe('no');
    expect(await can('update', 'imanageconnections.imanage.operator.dev')).toBe('no');
    expect(await can('update', 'imanageconnections.imanage.operator.dev', '--subresource', 'status')).toBe('yes');
    expect(await can('create', 'leases.coordination.k8s.io', '-n', 'default')).toBe('no');
    // The examples go while the operator runs: it drops the revoke finalizer admission added.
    await uninstall(manifest);
    await op.stop();
  }, 120_000);

  it('works in its namespaces with Roles only, and cannot read a Secret elsewhere (watchNamespaces)', async () => {
    const release = `imanage-operator-n-${ns.name}`.slice(0, 50);
    const defaultClientSecret = `${elsewhere.name}/app-default`;
    const values = ['--set', `watchNamespaces={${ns.name}}`, '--set', `defaultClientSecret=${defaultClientSecret}`];
    const manifest = await renderChart(release, ns.name, values);
    const documents = loadAll(manifest).filter(Boolean) as Rendered[];
    const clusterRoles = documents.filter((d) => d.kind === 'ClusterRole');
    expect(clusterRoles.flatMap((r) => r.rules ?? []).flatMap((rule) => rule.resources)).not.toContain('secrets');
    expect(documents.find((d) => d.kind === 'Role' && d.metadata.name === release)?.metadata.namespace).toBe(ns.name);

    const notYours = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'not-yours' }, stringData: { x: 'CANARY' } };
    await elsewhere.apply(dump(notYours));
    const { op, kubeconfig } = await runAsChart(release, manifest);

    const can = canI(ns, release);
    expect(await can('get', 'secrets')).toBe('yes');
    expect(await can('list', 'secrets')).toBe('no');
    expect(await can('get', 'secrets', '-n', elsewhere.name)).toBe('no');
    expect(await can('get', 'secrets/not-yours', '-n', elsewhere.name)).toBe('no');
    expect(await can('get', 'secrets/app-default', '-n', elsewhere.name)).toBe('yes');
    expect(await can('get', 'secrets', '--all-namespaces')).toBe('no');
    expect(await can('list', 'imanageconnections.imanage.operator.dev', '-n', elsewhere.name)).toBe('no');
    const read = await elsewhere.kubectl(['get', 'secret', 'not-yours', '-o', 'yaml', '--kubeconfig', kubeconfig]);
    expect(read.code).not.toBe(0);
    expect(read.stderr).toMatch(/forbidden/i);
    expect(read.stdout).not.toContain('CANARY');
    // The examples go while the operator runs: it drops the revoke finalizer admission added.
    await uninstall(manifest);
    await op.stop();
  }, 120_000);
});

/**
 * What kube-controller-manager's ClusterRole aggregation controller does, which this control
 * plane (kube-apiserver and etcd, no controller manager) does not run: the rules of every
 * ClusterRole matching `role`'s aggregationRule become `role`'s rules. The API server then
 * authorizes with them, as in a cluster.
 */
async function aggregate(role: string): Promise<void> {
  const admin = (args: readonly string[], input?: string) =>
    runKubectl(inject('binDir'), inject('kubeconfigPath'), args, input === undefined ? {} : { input });
  const target = JSON.parse((await admin(['get', 'clusterrole', role, '-o', 'json'])).stdout);
  const rules: unknown[] = [];
  for (const selector of target.aggregationRule.clusterRoleSelectors) {
    const labels = Object.entries(selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`);
    const matched = JSON.parse((await admin(['get', 'clusterroles', '-l', labels.join(','), '-o', 'json'])).stdout);
    for (const item of matched.items) rules.push(...(item.rules ?? []));
  }
  const replaced = await admin(['replace', '-f', '-'], JSON.stringify({ ...target, rules }));
  if (replaced.code !== 0) throw new KubectlError(['replace', 'clusterrole', role], replaced);
}

describe('the aggregated view and edit roles', () => {
  const connections = 'imanageconnections.imanage.operator.dev';
  const repositories = 'workspacerepositories.imanage.operator.dev';
  const as =
    (user: string) =>
    async (...args: string[]) =>
      (await ns.kubectl(['auth', 'can-i', ...args, '--as', user])).stdout.trim();

  it('let a view user read the two kinds, and an edit user write them', async () => {
    const release = `imanage-operator-agg-${ns.name}`.slice(0, 50);
    const manifest = await renderChart(release, ns.name);
    const viewer = as(`viewer-${ns.name}`);
    const editor = as(`editor-${ns.name}`);
    await ns.kubectl(['create', 'rolebinding', 'viewers', '--clusterrole=view', `--user=viewer-${ns.name}`]);
    await ns.kubectl(['create', 'rolebinding', 'editors', '--clusterrole=edit', `--user=editor-${ns.name}`]);
    // Without the chart's roles, `view` does not cover the two kinds.
    expect(await viewer('list', connections)).toBe('no');

    const installed = await kubectlAnywhere(['apply', '-f', '-'], manifest);
    expect(installed.code, installed.stderr).toBe(0);
    for (const role of ['view', 'edit', 'admin']) await aggregate(role);

    for (const verb of ['get', 'list', 'watch']) {
      expect(await viewer(verb, connections)).toBe('yes');
      expect(await viewer(verb, repositories)).toBe('yes');
    }
    for (const verb of ['create', 'update', 'patch', 'delete']) {
      expect(await viewer(verb, connections)).toBe('no');
      expect(await viewer(verb, repositories)).toBe('no');
      expect(await editor(verb, connections)).toBe('yes');
      expect(await editor(verb, repositories)).toBe('yes');
    }
    // The boundary: whoever may write a connection may read the namespace's Secrets already.
    expect(await editor('get', 'secrets')).toBe('yes');
    expect(await viewer('get', 'secrets')).toBe('no');
    expect(await viewer('list', connections, '-n', elsewhere.name)).toBe('no');
    await kubectlAnywhere(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], manifest);
  }, 120_000);
});

const refusedByPolicy = (result: KubectlResult) =>
  result.code !== 0 && /may write only its own Secrets/.test(result.stderr);

/** The policy takes effect once the API server has loaded it: waits until it refuses the ServiceAccount a write. */
async function policyEnforced(kubeconfig: string): Promise<void> {
  let attempt = 0;
  await waitFor(
    async () => {
      const name = `policy-probe-${attempt++}`;
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { x: 'y' } };
      const args = ['create', '-f', '-', '--kubeconfig', kubeconfig];
      return refusedByPolicy(await ns.kubectl(args, { input: JSON.stringify(secret) }));
    },
    60_000,
    500,
  );
}

describe("the policy on the operator's Secret writes", () => {
  it('lets its ServiceAccount write only labelled Secrets an IManageConnection controls, and its sign-in key', async () => {
    const release = `imanage-operator-vap-${ns.name}`.slice(0, 50);
    const manifest = await renderChart(release, ns.name);
    const installed = await kubectlAnywhere(['apply', '-f', '-'], manifest);
    expect(installed.code, installed.stderr).toBe(0);
    const kubeconfig = await serviceAccountKubeconfig(release);
    const asOperator = (verb: 'create' | 'replace', secret: object, namespace = ns.name) =>
      ns.kubectl([verb, '-f', '-', '-n', namespace, '--kubeconfig', kubeconfig], { input: JSON.stringify(secret) });
    const refused = refusedByPolicy;

    const conn = {
      ...baseConnection(`owner-${ns.name}`.slice(0, 50)),
      metadata: { name: 'owner', namespace: ns.name },
    };
    await ns.apply(JSON.stringify(conn));
    const uid = (await getObject(ns.name, 'imanageconnection', 'owner'))!.metadata.uid!;
    const owner = { apiVersion: conn.apiVersion!, kind: conn.kind!, name: 'owner', uid };
    const sealed = { tokens: new Uint8Array([1]), key: new Uint8Array([2]), fingerprint: 'f' };
    const own = tokenSecret(ns.name, 'owner-tokens', owner, sealed as never);
    const plain = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      stringData: { x: 'CANARY' },
    });

    await policyEnforced(kubeconfig);
    const created = await asOperator('create', own);
    expect(created.code, created.stderr).toBe(0);
    const updated = await asOperator('replace', { ...own, data: { ...own.data, tokens: 'AQID' } });
    expect(updated.code, updated.stderr).toBe(0);

    const unlabelled = await asOperator('create', plain('unlabelled'));
    expect(refused(unlabelled), unlabelled.stderr).toBe(true);
    const { ownerReferences: _o, ...unowned } = own.metadata;
    expect(refused(await asOperator('create', { ...own, metadata: { ...unowned, name: 'unowned' } }))).toBe(true);
    const otherOwner = [{ ...own.metadata.ownerReferences[0]!, name: 'someone-else' }];
    const mislabelled = { ...own, metadata: { ...own.metadata, name: 'mislabelled', ownerReferences: otherOwner } };
    expect(refused(await asOperator('create', mislabelled))).toBe(true);

    // A Secret the operator did not make cannot be taken over by labelling and owning it in one update.
    await ns.apply(JSON.stringify(plain('victim')));
    const victim = JSON.parse((await ns.kubectl(['get', 'secret', 'victim', '-o', 'json'])).stdout);
    const takeover = {
      ...own,
      metadata: { ...own.metadata, name: 'victim', resourceVersion: victim.metadata.resourceVersion },
    };
    expect(refused(await asOperator('replace', takeover))).toBe(true);
    expect((await ns.kubectl(['get', 'secret', 'victim', '-o', 'jsonpath={.data.x}'])).stdout).toBe(
      Buffer.from('CANARY').toString('base64'),
    );

    // A Secret whose owner annotated it for this connection (imanage.operator.dev/adopt-by) may be
    // taken over; one annotated for another connection may not.
    for (const [name, adoptBy, allowed] of [
      ['adoptable', 'owner', true],
      ['for-another', 'other', false],
    ] as const) {
      const annotated = {
        ...plain(name),
        metadata: { name, annotations: { 'imanage.operator.dev/adopt-by': adoptBy } },
      };
      await ns.apply(JSON.stringify(annotated));
      const before = JSON.parse((await ns.kubectl(['get', 'secret', name, '-o', 'json'])).stdout);
      const metadata = { ...own.metadata, name, resourceVersion: before.metadata.resourceVersion };
      const adopted = await asOperator('replace', { ...own, metadata });
      expect(adopted.code === 0, adopted.stderr).toBe(allowed);
      if (!allowed) expect(refused(adopted), adopted.stderr).toBe(true);
    }

    // The sign-in key: in the release's namespace only.
    const key = { apiVersion: 'v1', kind: 'Secret', metadata: { name: LINK_KEY_SECRET }, data: { hmacKey: 'AAAA' } };
    const keyCreated = await asOperator('create', key);
    expect(keyCreated.code, keyCreated.stderr).toBe(0);
    expect(refused(await asOperator('create', key, elsewhere.name))).toBe(true);
    // Nobody else is held to it.
    expect((await ns.kubectl(['create', 'secret', 'generic', 'by-admin', '--from-literal=x=y'])).code).toBe(0);
    await kubectlAnywhere(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], manifest);
  }, 120_000);
});

describe('the operator under the policy, with tokens on', () => {
  const HOST = 'vap.example';
  const scenario = {
    hosts: [{ name: HOST, customers: ['100'] }],
    customers: [
      {
        id: '100',
        libraries: [{ id: 'ACTIVE_US' }],
        users: [{ username: 'jsmith', password: 'jsmith-pass' }],
        applications: [{ clientId: 'own', clientSecret: 'own-secret', allowRefreshToken: true, redirectUris: [] }],
      },
    ],
  } as Scenario;

  it("stores a connection's tokens in the Secret it owns, as its ServiceAccount", async () => {
    const release = `imanage-operator-tok-${ns.name}`.slice(0, 50);
    const manifest = await renderChart(release, ns.name);
    const installed = await kubectlAnywhere(['apply', '-f', '-'], manifest);
    expect(installed.code, installed.stderr).toBe(0);
    const kubeconfig = await serviceAccountKubeconfig(release);
    await policyEnforced(kubeconfig);
    const sim = await startFileSimulator(scenario);
    await ns.apply(
      list(
        secret('vap-own', { clientId: 'own', clientSecret: 'own-secret' }),
        secret('vap-jsmith', { username: 'jsmith', password: 'jsmith-pass' }),
        caSecret('vap-ca', sim),
        connection('vap-tokens', `https://${HOST}`, {
          clientSecretRef: 'vap-own',
          caSecret: 'vap-ca',
          extraSpec: {
            library: 'ACTIVE_US',
            auth: { grant: 'Password', credentialsSecretRef: { name: 'vap-jsmith' } },
          },
        }),
      ),
    );
    const op = await startOperator({
      namespace: ns.name,
      kubeconfigPath: kubeconfig,
      leaderElectionId: release,
      probes: true,
      tokens: true,
      extraArgs: ['--allow-loopback-probes', 'true', '--resolve', resolveToSimulator(sim, [HOST]).join(',')],
    });
    try {
      await waitForCondition(ns.name, 'imc', 'vap-tokens', 'TokensReady', 'True', 'Linked');
      const stored = await getObject<{ metadata: { labels: Record<string, string> } }>(
        ns.name,
        'secret',
        'vap-tokens-tokens',
      );
      expect(stored?.metadata.labels).toMatchObject({ 'imanage.operator.dev/connection': 'vap-tokens' });
      expect(op.logs().join('\n')).not.toMatch(/may write only its own Secrets/);
      const deleted = await ns.kubectl(['delete', 'imc', 'vap-tokens', '--wait=true', '--timeout=60s']);
      expect(deleted.code, deleted.stderr).toBe(0);
    } finally {
      await op.stop();
      await sim.stop();
      await kubectlAnywhere(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], manifest);
    }
  }, 180_000);
});
