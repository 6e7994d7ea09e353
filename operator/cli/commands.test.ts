// The command line's conventions, as a real process: help on every command exits 0, --version,
// the plugin name, and completion scripts that bash accepts and that complete.

import { execFile } from 'node:child_process';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commandWords } from './completion.ts';
import { programName } from './commands.ts';
import { COMMANDS } from './registry.ts';

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
const commands = Object.keys(COMMANDS);

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

  it('a bad flag is a usage error (exit 2): one line and a hint, not the whole help', async () => {
    const result = await cli('status', '--output', 'xml');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "imanage-operator: --output must be one of table, wide, json, yaml, not 'xml'\n" +
        "run 'imanage-operator help status' for usage\n",
    );
    expect(result.stdout).toBe('');
  });

  it.each([
    [['stauts'], "imanage-operator: unknown command 'stauts'\nrun 'imanage-operator help' for usage\n"],
    [['help', 'stauts'], "imanage-operator: unknown command 'stauts'\nrun 'imanage-operator help' for usage\n"],
    [
      ['run', '--concurency', '4'],
      /^imanage-operator: Unknown option '--concurency'.*\nrun 'imanage-operator help run' for usage\n$/,
    ],
  ])('%j is a usage error in two lines', async (args, expected) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    if (typeof expected === 'string') expect(result.stderr).toBe(expected);
    else expect(result.stderr).toMatch(expected);
  });

  it('help <command> prints that command only; help lists the exit codes', async () => {
    const one = await cli('help', 'preview');
    expect(one.stdout).toBe(`usage: imanage-operator\n${COMMANDS['preview']!.usage}`);
    const all = await cli('help');
    expect(all.stdout).toMatch(
      /exit status:\n {2}0 .*\n {2}1 .*\n {2}2 +usage error.*\n {2}3 +preview.*\n {2}4 +cannot reach the cluster/,
    );
  });

  it('a kubeconfig it cannot read is not a usage error: exit 4, one line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    await writeFile(join(dir, 'broken'), 'clusters: [\n  token: secret-in-broken-yaml\n');
    const result = await cli('status', '--kubeconfig', join(dir, 'broken'));
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^imanage-operator: .*broken is not valid YAML.*check --kubeconfig.*\n$/);
    expect(result.stderr).not.toContain('secret-in-broken-yaml');
  });

  it('an API server that does not answer is exit 4 too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    };
    await writeFile(join(dir, 'config'), JSON.stringify(config));
    const result = await cli('status', '--kubeconfig', join(dir, 'config'));
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^imanage-operator: .*network error.*\n$/);
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
    ['imanage-operator pr', 'preview'],
    ['imanage-operator help pre', 'preview'],
    ['imanage-operator preview --on-multiple-matches ', 'First Fail'],
    ['imanage-operator status --sel', '--selector'],
    ['imanage-operator run --https', '--https-proxy'],
    ['imanage-operator run --probes ', 'true false'],
    ['imanage-operator app-package -o ', 'text json'],
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

  it.each(commands)('completes every flag that help shows for %s, and no other word', (name) => {
    const { flags, words } = commandWords(name, COMMANDS[name]!);
    const shown = COMMANDS[name]!.usage;
    for (const flag of flags.filter((f) => f !== '-h' && f !== '--help')) expect(shown).toContain(flag);
    expect(flags.length + words.length).toBeGreaterThan(2);
  });

  it('refuses another shell', async () => {
    const result = await cli('completion', 'fish');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bash or zsh/);
  });
});
