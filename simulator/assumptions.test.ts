// The assumptions list is the one place choices are recorded: README.md must list every entry,
// and every entry must be cited by the code that implements it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ASSUMPTIONS } from './assumptions.ts';

const DIR = fileURLToPath(new URL('.', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'assumptions.ts')
    .map((e) => join(e.parentPath, e.name));
}

describe('assumptions', () => {
  it('have unique ids', () => {
    const ids = ASSUMPTIONS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(ASSUMPTIONS.map((a) => a.id))('%s is listed in README.md', async (id) => {
    expect(await readFile(join(DIR, 'README.md'), 'utf8')).toContain(`\`${id}\``);
  });

  it.each(ASSUMPTIONS.map((a) => a.id))('%s is cited in the code', async (id) => {
    const texts = await Promise.all((await sourceFiles(DIR)).map((f) => readFile(f, 'utf8')));
    const citation = new RegExp(`assumption: [^\\n]*\\b${id}\\b`);
    expect(texts.some((text) => citation.test(text))).toBe(true);
  });
});
