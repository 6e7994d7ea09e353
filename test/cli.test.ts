// The command line against a real API server: status (and the same binary as `kubectl imanage`),
// and app-package storing its key and secret in the connection's client Secret.

import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, inject, it } from 'vitest';
import { run } from './harness/exec.ts';
import { useTestNamespace } from './harness/namespace.ts';

const root = join(import.meta.dirname, '..');
const main = join(root, 'operator', 'cli', 'main.ts');
const ns = useTestNamespace('cli');
const cli = (...args: string[]) =>
  run(process.execPath, [main, ...args, '--kubeconfig', inject('kubeconfigPath')], { cwd: tmpdir() });

async function markReady(kind: string, name: string): Promise<void> {
  const status = {
    status: {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'ready',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  };
  const result = await ns.kubectl([
    'patch',
    kind,
    name,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify(status),
  ]);
  expect(result.code, result.stderr).toBe(0);
}

describe('status', () => {
  it('lists each object with what to do next, and exits 1 until every one is Ready', async () => {
    await ns.kubectl(['apply', '-f', join(root, 'examples', 'legatics')]);
    const waiting = await cli('status', '-n', ns.name);
    expect(waiting.code).toBe(1);
    expect(waiting.stdout.split('\n')[0]).toMatch(/^KIND\s+NAME\s+READY\s+REASON\s+MESSAGE$/);
    expect(waiting.stdout).toMatch(/IManageConnection\s+legatics-cloud\s+-\s+NotObserved\s+the operator has not acted/);
    expect(waiting.stderr).toBe('2 of 2 not Ready\n');

    await markReady('imc', 'legatics-cloud');
    await markReady('imc', 'legatics-onprem');
    const ready = await cli('status', '-n', ns.name, '-o', 'wide');
    expect(ready.code, ready.stdout).toBe(0);
    expect(ready.stdout).toMatch(/legatics-onprem\s+True\s+Ready\s+1\/1\s+https:\/\/imanage\.firm\.example\s+ready/);

    const json = JSON.parse((await cli('status', '-n', ns.name, '-o', 'json')).stdout);
    expect(json.items.map((i: { name: string; ready: string }) => [i.name, i.ready])).toEqual([
      ['legatics-cloud', 'True'],
      ['legatics-onprem', 'True'],
    ]);
    const all = await cli('status', '-A', '-o', 'yaml');
    expect((load(all.stdout) as { items: { namespace: string }[] }).items.some((i) => i.namespace === ns.name)).toBe(
      true,
    );
  });

  it('-l lists only the objects whose labels match', async () => {
    await ns.kubectl(['apply', '-f', join(root, 'examples', 'legatics')]);
    const labelled = await ns.kubectl(['label', 'imc', 'legatics-cloud', 'tenant=acme', '--overwrite']);
    expect(labelled.code, labelled.stderr).toBe(0);
    const json = JSON.parse((await cli('status', '-n', ns.name, '-l', 'tenant=acme', '-o', 'json')).stdout);
    expect(json.items.map((i: { name: string }) => i.name)).toEqual(['legatics-cloud']);
    const none = await cli('status', '-n', ns.name, '--selector', 'tenant=nobody');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`No connections or repositories found in ${ns.name} namespace with labels tenant=nobody.\n`);
    const bad = await cli('status', '-n', ns.name, '-l', 'tenant==(x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^imanage-operator: --selector must be a label selector .*\nrun 'imanage-operator help status' for usage\n$/);
  });

  it('works as `kubectl imanage status`, reading KUBECONFIG as kubectl plugins do', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'plugin-'));
    await symlink(main, join(bin, 'kubectl-imanage'));
    const env = {
      ...process.env,
      KUBECONFIG: inject('kubeconfigPath'),
      PATH: [bin, inject('binDir'), dirname(process.execPath), process.env['PATH']].join(':'),
    };
    const plugin = await run(join(inject('binDir'), 'kubectl'), ['imanage', 'status', '-n', ns.name], { env });
    const direct = await cli('status', '-n', ns.name);
    expect(plugin.stderr).toBe(direct.stderr);
    expect(plugin.stdout).toBe(direct.stdout);
    const help = await run(join(inject('binDir'), 'kubectl'), ['imanage', '--help'], { env });
    expect(help.stdout).toMatch(/^usage: kubectl imanage/);
  });
});

describe('app-package from the cluster', () => {
  it("stores the key and secret in the connection's client Secret, only when asked to", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-package-'));
    const zip = join(dir, 'm.zip');
    const refused = await cli('app-package', 'legatics-onprem', '-n', ns.name, '--out', zip);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds a clientId; pass --replace-credentials/);

    await ns.kubectl(['delete', 'secret', 'legatics-onprem-application']);
    const missing = await cli('app-package', 'legatics-onprem', '-n', ns.name, '--out', zip);
    expect(missing.stderr).toMatch(/does not exist; pass --create-secret/);

    const created = await cli(
      'app-package',
      'legatics-onprem',
      '-n',
      ns.name,
      '--out',
      zip,
      '--create-secret',
      '-o',
      'json',
    );
    expect(created.code, created.stderr).toBe(0);
    const report = JSON.parse(created.stdout);
    const manifest = load((await run('unzip', ['-p', zip, 'manifest.yaml'])).stdout) as Record<string, string>;
    const secret = JSON.parse(
      (await ns.kubectl(['get', 'secret', 'legatics-onprem-application', '-o', 'json'])).stdout,
    );
    const decoded = (key: string) => Buffer.from(secret.data[key], 'base64').toString();
    expect(decoded('clientId')).toBe(manifest['api_key']);
    expect(decoded('clientSecret')).toBe(manifest['api_secret']);
    expect(report.manifest.api_key).toBe(manifest['api_key']);
    expect(created.stdout).not.toContain(manifest['api_secret']);
  });
});
