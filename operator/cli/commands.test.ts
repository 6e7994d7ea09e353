// The command line's conventions, as a real process: help on every command exits 0, --version,
// the plugin name, and completion scripts that bash accepts and that complete.

import { execFile } from 'node:child_process';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMPLETIONS } from './completion.ts';
import { programName } from './commands.ts';

const exec = promisify(execFile);
const main = join(import.meta.dirname, 'main.ts');

async function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await exec(file, args, { env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
const cli = (...args: string[]) => run(process.execPath, [main, ...args]);
const commands = Object.keys(COMPLETIONS);

describe('help and version', () => {
  it.each(
    commands.flatMap((c) => [
      [c, '--help'],
      [c, '-h'],
    ]),
  )('%s %s prints its usage and exits 0', async (command, flag) => {
    const result = await cli(command, flag);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`  ${command}`);
    expect(result.stderr).toBe('');
  });

  it.each([['--help'], ['-h'], ['help']])('%s lists every command and exits 0', async (flag) => {
    const result = await cli(flag);
    expect(result.code).toBe(0);
    for (const command of commands) expect(result.stdout).toContain(`\n  ${command}`);
  });

  it('--version prints the package version', async () => {
    const result = await cli('--version');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^imanage-operator \d+\.\d+\.\d+\n$/);
  });

  it("a bad flag is a usage error (exit 2) with that command's usage", async () => {
    const result = await cli('status', '--output', 'xml');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--output must be one of table, wide, json, yaml/);
    expect(result.stderr).toContain('  status [-n ns | -A]');
  });
});

describe('as a kubectl plugin', () => {
  it.each([
    ['/usr/local/bin/kubectl-imanage', 'kubectl imanage'],
    ['/work/operator/cli/main.ts', 'imanage-operator'],
  ])('%s calls itself %s', (path, name) => {
    expect(programName(path)).toBe(name);
  });

  it('started through a file named kubectl-imanage, it names itself kubectl imanage', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'plugin-'));
    await symlink(main, join(bin, 'kubectl-imanage'));
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH']}` };
    const result = await run(join(bin, 'kubectl-imanage'), ['--help'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: kubectl imanage <command>/);
  });
});

describe('completion', () => {
  it.each([['bash'], ['zsh']])('%s: a script bash parses', async (shell) => {
    const result = await cli('completion', shell);
    expect(result.code).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), 'completion-'));
    await writeFile(join(dir, 'c.sh'), result.stdout);
    expect((await run('bash', ['-n', join(dir, 'c.sh')])).code).toBe(0);
  });

  it.each([
    ['imanage-operator st', 'status'],
    ['imanage-operator status -o ', 'wide json yaml'],
    ['imanage-operator app-package --cr', '--create-secret'],
    ['imanage-operator completion ', 'bash zsh -h --help'],
  ])('bash completes "%s" with %s', async (line, expected) => {
    const script = (await cli('completion', 'bash')).stdout;
    const dir = await mkdtemp(join(tmpdir(), 'completion-'));
    const words = line.split(' ');
    await writeFile(
      join(dir, 't.sh'),
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}\n` +
        '_imanage_operator; echo "${COMPREPLY[*]}"\n',
    );
    const result = await run('bash', [join(dir, 't.sh')]);
    expect(result.stdout.trim()).toBe(expected);
  });

  it('refuses another shell', async () => {
    const result = await cli('completion', 'fish');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bash or zsh/);
  });
});
