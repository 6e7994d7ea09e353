// Every example applies to the real API server.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestNamespace } from './harness/namespace.ts';

const root = join(import.meta.dirname, '..', 'examples');
const folders = readdirSync(root, { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== 'invalid')
  .map((e) => e.name);

const ns = useTestNamespace('examples');

describe('examples', () => {
  it('has one folder per seed system', () => {
    expect(folders).toEqual(expect.arrayContaining(['actionstep', 'clio-operate-cloud', 'clio-operate-hosted', 'legatics', 'syncly']));
  });

  it.each(folders)('%s applies with kubectl apply', async (folder) => {
    const result = await ns.kubectl(['apply', '-f', join(root, folder)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
