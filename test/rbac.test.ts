// The chart's RBAC (generated from the declarations beside the code) is all the operator needs:
// it runs as the chart's ServiceAccount, with a token from the TokenRequest API, and works.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { dump, load } from 'js-yaml';
import { useTestNamespace } from './harness/namespace.ts';
import { getObject, startOperator, waitFor } from './harness/operator.ts';

const root = join(import.meta.dirname, '..');
const ns = useTestNamespace('rbac');

async function renderChart(release: string, namespace: string): Promise<string> {
  const helm = join(inject('binDir'), 'helm');
  const { stdout } = await promisify(execFile)(helm, ['template', release, join(root, 'charts', 'imanage-operator'), '--namespace', namespace]);
  return stdout;
}

/** A kubeconfig for the ServiceAccount: the admin one's cluster, with the SA's token. */
async function serviceAccountKubeconfig(token: string): Promise<string> {
  const admin = load(await readFile(inject('kubeconfigPath'), 'utf8')) as { users: { user: Record<string, unknown> }[] };
  admin.users[0]!.user = { token };
  const path = join(tmpdir(), `kubeconfig-${ns.name}`);
  await writeFile(path, dump(admin), { mode: 0o600 });
  return path;
}

describe('the operator with only the chart RBAC', () => {
  it('reconciles, writes status and Events, and may not do more', async () => {
    const release = `op-${ns.name}`.slice(0, 50);
    await ns.apply(await renderChart(release, ns.name));
    const token = (await ns.kubectl(['create', 'token', release, '--duration', '1h'])).stdout.trim();
    expect(token.length).toBeGreaterThan(100);

    const op = await startOperator({ namespace: ns.name, extraArgs: ['--kubeconfig', await serviceAccountKubeconfig(token), '--leader-election-id', release] });
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

    const as = `system:serviceaccount:${ns.name}:${release}`;
    const can = async (...args: string[]) => (await ns.kubectl(['auth', 'can-i', ...args, '--as', as])).stdout.trim();
    expect(await can('get', 'secrets')).toBe('yes');
    expect(await can('list', 'secrets')).toBe('no');
    expect(await can('watch', 'secrets')).toBe('no');
    expect(await can('delete', 'imanageconnections.imanage.operator.dev')).toBe('no');
    expect(await can('update', 'imanageconnections.imanage.operator.dev')).toBe('no');
    expect(await can('update', 'imanageconnections.imanage.operator.dev', '--subresource', 'status')).toBe('yes');
    expect(await can('create', 'leases.coordination.k8s.io', '-n', 'default')).toBe('no');
    await op.stop();
  }, 120_000);
});
