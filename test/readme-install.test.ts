// The README's Install section, run as written: every `sh` block in it, in order, by bash, in a
// release folder that `npm run release` built (tools/release/build.sh with DIST; its image and
// executables are cached per input hash, so the release test and this one build them once),
// against a control plane of its own started as `npm run controlplane -- --without-crds` starts it
// (no CRDs, as on a new cluster), with kubectl and helm on the PATH. There is no kubelet, so the
// pods never run; the test checks what the API server holds afterwards.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from './harness/controlplane.ts';
import { run } from './harness/exec.ts';

const root = join(import.meta.dirname, '..');

/** The `sh` blocks of the README section headed `heading`, in order. */
function shellBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) return [];
  const next = markdown.indexOf('\n## ', start + heading.length + 2);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

describe("the README's Install commands, as written", () => {
  let cp: ControlPlane;
  let home: string;
  let release: string;
  beforeAll(async () => {
    cp = await startControlPlane();
    home = await mkdtemp(join(tmpdir(), 'readme-install-'));
    release = join(home, 'release');
    const built = await run('bash', [join(root, 'tools', 'release', 'build.sh')], {
      env: { ...process.env, DIST: release },
      cwd: root,
    });
    if (built.code !== 0) throw new Error(`npm run release failed:\n${built.stderr.slice(-4000)}`);
  }, 1_200_000);
  afterAll(async () => {
    await cp?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('finds the install and the upgrade', async () => {
    const blocks = shellBlocks(await readFile(join(root, 'README.md'), 'utf8'), '## Install');
    expect(blocks.length).toBe(2);
    expect(blocks[0]).toMatch(/^helm install /m);
    expect(blocks[1]).toMatch(/^helm upgrade /m);
  });

  it('install the chart, CRDs included, and upgrade it', async () => {
    const blocks = shellBlocks(await readFile(join(root, 'README.md'), 'utf8'), '## Install');
    const env = {
      ...process.env,
      PATH: `${cp.binDir}:${process.env['PATH']}`,
      KUBECONFIG: cp.kubeconfigPath,
      HOME: home,
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_DATA_HOME: join(home, 'data'),
    };
    for (const block of blocks) {
      const result = await run('bash', ['-euo', 'pipefail', '-c', block], { env, cwd: release });
      expect(result.code, `${block}\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
    const crds = ['imanageconnections.imanage.operator.dev', 'workspacerepositories.imanage.operator.dev'];
    const established = await cp.kubectl([
      'wait',
      '--for=condition=established',
      '--timeout=60s',
      ...crds.map((c) => `crd/${c}`),
    ]);
    expect(established.code, established.stderr).toBe(0);
    const deployment = JSON.parse(
      (await cp.kubectl(['get', 'deployment', 'imanage-operator', '-n', 'imanage-system', '-o', 'json'])).stdout,
    );
    expect(deployment.spec.template.spec.containers[0].image).toBe('ghcr.io/imanage-operator/imanage-operator:0.1.0');
    const plugin = await run(join(home, '.local', 'bin', 'kubectl-imanage'), ['--version'], { env: { PATH: '' } });
    expect(plugin.code).toBe(0);
    const history = await cp.kubectl([
      'get',
      'secret',
      '-n',
      'imanage-system',
      '-l',
      'owner=helm,name=imanage-operator',
      '-o',
      'name',
    ]);
    expect(history.stdout.trim().split('\n')).toHaveLength(2);
  });
});
