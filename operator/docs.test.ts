// The README is a short front page, and every page under docs/ can be reached from it; every
// relative link in the README and docs/ points at a file that exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const docPages = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));

function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((target) => target !== '' && !/^[a-z]+:/i.test(target));
}

describe('the documentation', () => {
  it('keeps the README under 250 lines', () => {
    expect(readme.split('\n').length).toBeLessThan(250);
  });

  it.each(docPages)('links docs/%s from the README', (page) => {
    expect(relativeLinks(readme)).toContain(`docs/${page}`);
  });

  it.each(['README.md', ...docPages.map((p) => `docs/${p}`), 'SECURITY.md', 'CHANGELOG.md'])(
    'has no broken relative link in %s',
    (file) => {
      const text = readFileSync(join(root, file), 'utf8');
      const broken = relativeLinks(text).filter((target) => !existsSync(join(root, dirname(file), target)));
      expect(broken).toEqual([]);
    },
  );
});
