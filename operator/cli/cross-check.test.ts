import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate } from './testing.ts';

const example = join(import.meta.dirname, '..', '..', 'examples', 'invalid', 'profile-actionstep-repository-area.yaml');
const text = await readFile(example, 'utf8');
const [connection, repository] = text.split('\n---\n') as [string, string];
const stdin = (yaml: string) => new TextEncoder().encode(yaml);

describe('validate: profile rules across a repository and its connection', () => {
  it('reports the repository, at its own line, when its connection is in the same input', async () => {
    const result = await validate(['-'], stdin(`${connection}\n---\n${repository}`));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^-:\d+ \(document 2\) WorkspaceRepository\/invalid-profile-actionstep-templates: spec\.area: profile Actionstep/,
    );
    const line = Number(/^-:(\d+)/.exec(result.stdout)?.[1]);
    expect(`${connection}\n---\n${repository}`.split('\n')[line - 1]).toMatch(/^\s*area: DocumentTemplates/);
  });

  it('pairs them in either order', async () => {
    const result = await validate(['-'], stdin(`${repository}\n---\n${connection}`));
    expect(result.stdout).toMatch(/spec\.area: profile Actionstep/);
  });

  it('says nothing of a repository whose connection is not in the input', async () => {
    const result = await validate(['-'], stdin(repository));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });

  it('pairs by namespace as well as name', async () => {
    const elsewhere = repository.replace('metadata:\n', 'metadata:\n  namespace: other\n');
    const result = await validate(['-'], stdin(`${connection}\n---\n${elsewhere}`));
    expect(result.code).toBe(0);
  });
});
