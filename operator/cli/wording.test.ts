// What a user reads never names one of our seed files ("seed 003"): a user has never seen them.
// It names the product's own guide instead (issue 19). Checked here: every string of the CRDs
// (kubectl explain descriptions and validation messages), the CLI's output on the examples
// (validate on every folder and every invalid example, app-package on the on-premise ones), its
// help, and the demo's deliberate-failure lines (the demo test checks its whole table).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliberateLines } from '../../test/demo/exceptions.ts';

const SEED_NUMBER = /seeds? \d{3}/i;
const repo = join(import.meta.dirname, '..', '..');
const main = join(import.meta.dirname, 'main.ts');

async function cli(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, ...args], { cwd: repo });
    return `${stdout}${stderr}`;
  } catch (e) {
    const err = e as { stdout: string; stderr: string };
    return `${err.stdout}${err.stderr}`;
  }
}

function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) yield* strings(v);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wording-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('no seed number in what users read', () => {
  it('in the CRDs (kubectl explain descriptions, validation messages)', async () => {
    const files = (await readdir(join(repo, 'crds'))).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const texts = [...strings(loadAll(await readFile(join(repo, 'crds', file), 'utf8')))];
      expect(
        texts.filter((t) => SEED_NUMBER.test(t)),
        file,
      ).toEqual([]);
    }
  });

  it("in the CLI's output on every example, valid and invalid, and in its help", async () => {
    const folders = (await readdir(join(repo, 'examples'), { withFileTypes: true })).filter((e) => e.isDirectory());
    const valid = folders.filter((f) => f.name !== 'invalid').map((f) => join('examples', f.name));
    const outputs = [
      await cli('validate', ...valid),
      await cli('validate', join('examples', 'invalid'), '--output', 'json'),
      await cli('help'),
    ];
    expect(outputs.join('\n')).toContain('profile ClioOperate (');
    for (const output of outputs) expect(output).not.toMatch(SEED_NUMBER);
  }, 180_000);

  it("in app-package's output for the on-premise examples", async () => {
    const legatics = await cli(
      'app-package',
      'legatics-onprem',
      '-f',
      'examples/legatics/connection.yaml',
      '--out',
      join(dir, 'legatics.zip'),
      '--secret-out',
      join(dir, 'secret.yaml'),
    );
    const syncly = await cli(
      'app-package',
      'syncly',
      '-f',
      'examples/syncly/connection.yaml',
      '--out',
      join(dir, 's.zip'),
      '--secret-out',
      join(dir, 's.yaml'),
    );
    expect(legatics).toContain("Legatics' iManage guide");
    expect(syncly).toContain("Syncly's iManage on-premise guide");
    expect(`${legatics}\n${syncly}`).not.toMatch(SEED_NUMBER);
  }, 120_000);

  it("in the demo's deliberate-failure lines", () => {
    expect(deliberateLines().join('\n')).not.toMatch(SEED_NUMBER);
  });
});
