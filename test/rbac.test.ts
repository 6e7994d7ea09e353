// The chart's RBAC (generated from the declarations beside the code) is all the operator needs:
// it runs as the chart's ServiceAccount, with a token from the TokenRequest API, and works, both
// when it watches every namespace and when the chart is installed for some namespaces only.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { dump, load, loadAll } from 'js-yaml';
import { KubectlError, runKubectl } from './harness/exec.ts';
import { useTestNamespace, type TestNamespace } from './harness/namespace.ts';
import { getObject, startOperator, waitFor, type OperatorProcess } from './harness/operator.ts';

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
  const events = await ns.kubectl(['get', 'events.events.k8s.io', '-o', 'jsonpath={.items[*].reason}']);
  expect(events.stdout).toContain('Configured');
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
  await ns.kubectl(['delete', 'events.events.k8s.io', '--all']);
  await kubectlAnywhere(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], manifest);
}

describe('the operator with only the chart RBAC', () => {
  it('reconciles, writes status and Events, and may not do more (every namespace)', async () => {
    const release = `op-${ns.name}`.slice(0, 50);
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
    await op.stop();
    await uninstall(manifest);
  }, 120_000);

  it('works in its namespaces with Roles only, and cannot read a Secret elsewhere (watchNamespaces)', async () => {
    const release = `opn-${ns.name}`.slice(0, 50);
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
    await op.stop();
    await uninstall(manifest);
  }, 120_000);
});
