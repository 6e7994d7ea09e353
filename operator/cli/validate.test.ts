// The validate command as users run it: a real process, real files, real exit codes.

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const main = join(import.meta.dirname, 'main.ts');
const exec = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [main, ...args], { cwd: repo });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const invalidDir = join(repo, 'examples', 'invalid');
const invalidFiles = (await readdir(invalidDir)).filter((f) => f.endsWith('.yaml')).sort();

/** Each invalid example names the field it breaks: `# expect: <path> — <what>`. */
async function expectedPath(file: string): Promise<string> {
  const text = await readFile(join(invalidDir, file), 'utf8');
  const match = /^# expect: (\S+) — /m.exec(text);
  if (!match) throw new Error(`${file} has no '# expect: <path> — <message>' line`);
  return match[1]!;
}

describe('imanage-operator validate', () => {
  it('accepts every example', async () => {
    const folders = (await readdir(join(repo, 'examples'), { withFileTypes: true })).filter(
      (e) => e.isDirectory() && e.name !== 'invalid',
    );
    const result = await cli('validate', ...folders.map((f) => join('examples', f.name)));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/all valid/);
  });

  it('covers every mistake the seeds warn about', () => {
    expect(invalidFiles).toEqual(
      expect.arrayContaining([
        'http-url.yaml',
        'redirect-trailing-slash.yaml',
        'redirect-upper-case-host.yaml',
        'port-without-opt-in.yaml',
        'userinfo-in-url.yaml',
        'cloud-without-customer-id.yaml',
        'resolver-unclosed-bracket.yaml',
        'resolver-unknown-workitem-path.yaml',
        'resolver-unknown-field.yaml',
        'duplicate-environment-names.yaml',
        'duplicate-redirect-uris.yaml',
        'unknown-area.yaml',
      ]),
    );
  });

  it.each(invalidFiles)('rejects examples/invalid/%s, naming the field path', async (file) => {
    const result = await cli('validate', join('examples', 'invalid', file));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`: ${await expectedPath(file)}: `);
    expect(result.stdout).toContain('examples/invalid/' + file + ':');
  });

  it('prints JSON with --output json', async () => {
    const result = await cli('validate', '--output', 'json', join('examples', 'invalid', 'http-url.yaml'));
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(false);
    expect(report.findings[0]).toMatchObject({ file: 'examples/invalid/http-url.yaml', document: 1, path: 'spec.url' });
    expect(report.findings[0].line).toBeGreaterThan(1);
  });

  it('ignores kinds it does not own and reads multi-document YAML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    const file = join(dir, 'mixed.yaml');
    await writeFile(
      file,
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}',
        'apiVersion: imanage.operator.dev/v1alpha1\nkind: WorkspaceRepository\nmetadata: {name: r}\nspec:\n  connectionRef: {name: c}\n  area: Matters\n  resolvers: [{workType: "*", resolver: "[workitem.title"}]',
      ].join('\n---\n'),
    );
    const result = await cli('validate', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('mixed.yaml:11 (document 2) WorkspaceRepository/r: spec.resolvers[0].resolver:');
    expect(result.stdout).toContain("column 1: '[' is never closed");
    expect(result.stderr).toMatch(/1 resources checked in 2 documents/);
  });

  it('reports YAML syntax errors as invalid, with the line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    await writeFile(join(dir, 'broken.yaml'), 'kind: [unclosed\n');
    const result = await cli('validate', dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/broken.yaml:\d+ \(document 1\): \(object\): not valid YAML/);
  });

  it.each([
    [['validate'], /needs at least one file/],
    [['validate', '--output', 'xml', 'examples'], /--output must be text or json/],
    [['validate', '--bogus', 'examples'], /Unknown option/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['validate', 'no/such/file.yaml'], /no such file or folder/],
  ])('exits 2 on %j', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
