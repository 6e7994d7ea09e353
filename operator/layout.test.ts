// The README's picture of the parts (a Mermaid block, text that GitHub renders) says which part of
// operator/ imports from which; the imports are the truth, so the picture is checked against them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const PARTS = ['api', 'runtime', 'controllers', 'tokens', 'imanage', 'cli'] as const;

/** `from → to` for every part that imports from another, tests and test helpers left out. */
function importedParts(): Set<string> {
  const edges = new Set<string>();
  for (const part of PARTS) {
    const files = readdirSync(join(here, part), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('-testing.ts'),
    );
    for (const file of files) {
      const text = readFileSync(join(here, part, file), 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const target = relative(here, resolve(join(here, part, dirname(file)), specifier!)).split('/')[0]!;
        if (target !== part && (PARTS as readonly string[]).includes(target)) edges.add(`${part} → ${target}`);
      }
    }
  }
  return edges;
}

function drawnParts(): Set<string> {
  const readme = readFileSync(join(here, '../README.md'), 'utf8');
  const block = /```mermaid\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  return new Set([...block.matchAll(/^\s*(\w+) --> (\w+)\s*$/gm)].map((m) => `${m[1]} → ${m[2]}`));
}

describe("the README's picture of the parts", () => {
  it('draws every part', () => {
    const readme = readFileSync(join(here, '../README.md'), 'utf8');
    for (const part of PARTS) expect(readme).toMatch(new RegExp(`${part}\\["${part}/:`));
  });

  it('draws exactly the imports between them', () => {
    expect([...drawnParts()].sort()).toEqual([...importedParts()].sort());
  });
});
