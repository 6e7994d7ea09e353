// Issue 18, finding 12: the CLI prints text a tenant or a server chose; no byte of it may drive
// the reader's terminal. As a real process: what it prints about an argument full of escapes.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from './terminal.ts';

const exec = promisify(execFile);
const main = join(import.meta.dirname, 'main.ts');

const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminalSafe', () => {
  it.each([
    ['clear screen', 'a\u001b[2Jb', 'a[2Jb'],
    ['set the title, ring the bell', '\u001b]0;pwned\u0007x', ']0;pwnedx'],
    ['a C1 CSI and a carriage return', 'a\u009b31mb\rc', 'a31mbc'],
    ['a bidi override', 'abc\u202edcba', 'abcdcba'],
    ['tabs and newlines stay', 'a\tb\nc', 'a\tb\nc'],
    ['letters stay', 'Müller — 日本', 'Müller — 日本'],
  ])('%s', (_t, input, expected) => expect(terminalSafe(input)).toBe(expected));
});

describe('the CLI as a process', () => {
  it('prints an unknown command full of escapes without them', async () => {
    const error = await exec(process.execPath, [main, 'x\u001b]0;pwned\u0007\u001b[2J\u009b1m']).catch(
      (e: unknown) => e,
    );
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    expect(stderr).toContain("unknown command 'x]0;pwned[2J1m'");
    expect(stderr).not.toMatch(CONTROLS);
    expect(stdout).not.toMatch(CONTROLS);
  });

  it('prints a file name full of escapes without them', async () => {
    const error = await exec(process.execPath, [main, 'validate', '/nonexistent/\u001b[2Jx.yaml']).catch(
      (e: unknown) => e,
    );
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    expect(`${stdout}${stderr}`).toContain('[2Jx.yaml');
    expect(`${stdout}${stderr}`).not.toMatch(CONTROLS);
  });
});
