// app-package as users run it, without a cluster: the connection from a file, the Secret to a file.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { MANIFEST_FIELDS, manifestProblems } from './manifest.ts';

const exec = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const main = join(import.meta.dirname, 'main.ts');
const legatics = join(repo, 'examples', 'legatics', 'connection.yaml');

async function cli(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [main, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('app-package from a file', () => {
  it('writes a 0600 ZIP whose manifest unzip reads, and a 0600 Secret, never printing the secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-package-'));
    const result = await cli(
      dir,
      'app-package',
      'legatics-onprem',
      '-f',
      legatics,
      '--secret-out',
      'secret.yaml',
      '-n',
      'legatics',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await stat(join(dir, 'legatics-onprem-manifest.zip'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'secret.yaml'))).mode & 0o777).toBe(0o600);

    const { stdout: text } = await exec('unzip', ['-p', join(dir, 'legatics-onprem-manifest.zip'), 'manifest.yaml']);
    const manifest = load(text) as Record<string, string>;
    expect(manifestProblems(manifest)).toEqual([]);
    expect(manifest).toMatchObject({
      id: 'legaticsapp',
      name: 'Legatics 2',
      publisher: 'info@legatics.com',
      organization: 'Legatics Limited',
      version: '2',
      redirect_url: 'https://api.acmelaw.legatics.com/auth/v0/oauth2/authorized',
    });
    expect(text).toMatch(/^version: '2'$/m);
    expect(Object.keys(manifest)).toEqual([...MANIFEST_FIELDS]);

    const secret = load(await readFile(join(dir, 'secret.yaml'), 'utf8')) as {
      metadata: object;
      stringData: Record<string, string>;
    };
    expect(secret.metadata).toEqual({ namespace: 'legatics', name: 'legatics-onprem-application' });
    expect(secret.stringData).toEqual({ clientId: manifest['api_key'], clientSecret: manifest['api_secret'] });
    expect(result.stdout).toContain(manifest['api_key']);
    expect(result.stdout).not.toContain(manifest['api_secret']);
    expect(result.stdout).toMatch(/Upload package/);
  });

  it('generates new credentials every time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-package-'));
    const keys = new Set<string>();
    for (const out of ['a.zip', 'b.zip']) {
      await cli(dir, 'app-package', '-f', legatics, 'legatics-onprem', '--secret-out', `${out}.yaml`, '--out', out);
      keys.add((load(await readFile(join(dir, `${out}.yaml`), 'utf8')) as any).stringData.clientId);
    }
    expect(keys.size).toBe(2);
  });

  it.each([
    [
      'a Cloud connection',
      ['legatics-cloud', '-f', legatics],
      /only an on-premise iManage registers applications from a package/,
    ],
    [
      'Syncly, which ships its own package',
      ['-f', join(repo, 'examples', 'syncly', 'connection.yaml')],
      /Syncly publishes its own package/,
    ],
    ['an unknown environment', ['legatics-onprem', '-f', legatics, '--environment', 'uat'], /no environment named uat/],
  ])('refuses %s with exit 2', async (_title, args, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'app-package-'));
    const result = await cli(dir, 'app-package', ...args, '--secret-out', 's.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('asks a Generic connection for the fields its product would supply', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-package-'));
    const text = (await readFile(legatics, 'utf8')).replaceAll('profile: Legatics', 'profile: Generic');
    await writeFile(join(dir, 'c.yaml'), text);
    const missing = await cli(dir, 'app-package', 'legatics-onprem', '-f', 'c.yaml', '--secret-out', 's.yaml');
    expect(missing.stderr).toMatch(/give --id, --name, --publisher, --organization, --app-version/);
    const given = await cli(
      dir,
      'app-package',
      'legatics-onprem',
      '-f',
      'c.yaml',
      '--secret-out',
      's.yaml',
      '--id',
      'acmeapp',
      '--name',
      'Acme',
      '--publisher',
      'it@acme.example',
      '--organization',
      'Acme',
      '--app-version',
      '1',
    );
    expect(given.code, given.stderr).toBe(0);
  });
});

describe('app-package and the files it writes', () => {
  const args = ['app-package', 'legatics-onprem', '-f', legatics, '--secret-out', 's.yaml', '--out', 'p.zip'];

  it('refuses an existing --out without --force, before generating or storing anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-package-'));
    await writeFile(join(dir, 'p.zip'), 'kept');
    const refused = await cli(dir, ...args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/p\.zip exists; pass --force to overwrite it/);
    expect(await readFile(join(dir, 'p.zip'), 'utf8')).toBe('kept');
    expect((await readdir(dir)).sort()).toEqual(['p.zip']);
    const forced = await cli(dir, ...args, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(join(dir, 'p.zip'), 'utf8')).not.toBe('kept');
  });

  it('on a failed write leaves no temporary file (it holds api_secret) and prints one line, no stack', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-package-'));
    await mkdir(join(dir, 'p.zip'));
    const failed = await cli(dir, ...args, '--force');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^imanage-operator: cannot write p\.zip \(EISDIR\); nothing was written\n$/);
    expect((await readdir(dir)).sort()).toEqual(['p.zip', 's.yaml']);
  });
});

describe('manifestProblems', () => {
  const good = {
    id: 'legaticsapp',
    name: 'Legatics 2',
    api_key: 'a'.repeat(32),
    api_secret: 's',
    publisher: 'p',
    organization: 'o',
    version: '2',
    redirect_url: 'https://api.x.legatics.com/auth/v0/oauth2/authorized',
  };
  it.each([
    ['a short api_key', { ...good, api_key: 'abc' }, /api_key: must be 32/],
    ['a missing field', { ...good, publisher: undefined }, /publisher: is required/],
    ['a number for version', { ...good, version: 2 }, /version: is required, a non-empty string/],
    ['an undocumented field', { ...good, secret: 'x' }, /secret: is not a documented field/],
    ['an http redirect', { ...good, redirect_url: 'http://x' }, /redirect_url: must be https/],
  ])('%s', (_title, manifest, message) => {
    expect(manifestProblems(manifest).join('\n')).toMatch(message);
  });
  it('accepts the documented fields, and a list of redirect URIs', () => {
    expect(manifestProblems(good)).toEqual([]);
    expect(manifestProblems({ ...good, redirect_url: ['https://a', 'https://b'] })).toEqual([]);
  });
});
