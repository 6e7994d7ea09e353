// The layout's promises (CONTRIBUTING.md, "Layout and boundaries"), checked on every file, so that
// knowledge does not creep back into the wrong folder.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

function sources(folder: string): string[] {
  return readdirSync(join(here, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(folder, f));
}

/** Every relative import of a file, resolved to a path under operator/. */
function imports(file: string): string[] {
  const text = readFileSync(join(here, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(here, resolve(join(here, dirname(file)), s)));
}

describe('operator/ boundaries', () => {
  it('the runtime names no group and no kind of ours', () => {
    const offending = sources('runtime').filter((f) =>
      /imanage\.operator\.dev|IManageConnection|WorkspaceRepository|imanageconnections|workspacerepositories/.test(
        readFileSync(join(here, f), 'utf8'),
      ),
    );
    expect(offending).toEqual([]);
  });

  it('no controller imports another controller', () => {
    const controllers = readdirSync(join(here, 'controllers'), { withFileTypes: true }).filter((d) => d.isDirectory());
    const crossings = controllers.flatMap((c) =>
      sources(`controllers/${c.name}`).flatMap((f) =>
        imports(f)
          .filter((i) => i.startsWith('controllers/') && !i.startsWith(`controllers/${c.name}/`))
          .filter((i) => i.split('/').length > 2)
          .map((i) => `${f} → ${i}`),
      ),
    );
    expect(crossings).toEqual([]);
  });

  it.each([
    ['api', /^(runtime|controllers|imanage|cli|tokens)\//],
    ['runtime', /^(controllers|cli)\//],
    // Tokens are one part: the connection controller reads them, never the other way round (issue 20).
    ['tokens', /^(controllers|cli)\//],
  ])('%s/ imports nothing from %s', (folder, forbidden) => {
    const crossings = sources(folder).flatMap((f) =>
      imports(f)
        .filter((i) => forbidden.test(i))
        .map((i) => `${f} → ${i}`),
    );
    expect(crossings).toEqual([]);
  });

  it('controllers reach the token part only through its entry, operator/tokens/index.ts', () => {
    const code = sources('controllers').filter((f) => !f.endsWith('.test.ts'));
    const crossings = code.flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('tokens/') && i !== 'tokens/index.ts')
        .map((i) => `${f} → ${i}`),
    );
    expect(crossings).toEqual([]);
  });

  it('no operator code imports the simulator (its tests may run against it)', () => {
    const code = sources('.').filter((f) => !f.endsWith('.test.ts'));
    const crossings = code.flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith('../simulator'))
        .map((i) => `${f} → ${i}`),
    );
    expect(crossings).toEqual([]);
  });

  it('the runtime has no import cycle, type-only imports included', () => {
    const graph = new Map(sources('runtime').filter((f) => !f.endsWith('.test.ts')).map((f) => [f, imports(f)]));
    expect(importCycles(graph)).toEqual([]);
  });
});

/** Every cycle in an import graph, each as the files along it (depth-first, one report per cycle's entry). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}
