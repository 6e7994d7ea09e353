import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from './files.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('generated files', async () => {
  const files = [...(await generatedFiles())];

  it.each(files)('%s is up to date (run `npm run generate` if this fails)', async (path, expected) => {
    const onDisk = await readFile(join(root, path), 'utf8');
    expect(onDisk).toBe(expected);
  });

  it.each(files)('%s carries the do-not-edit header', (_path, content) => {
    expect(content.split('\n')[0]).toMatch(/generated from .* do not edit/);
  });
});
