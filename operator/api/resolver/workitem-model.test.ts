import { describe, expect, it } from 'vitest';
import { WORK_ITEM_PATHS, lookupWorkItemPath, parseResolver, suggestWorkItemPath } from './index.ts';

describe('WORK_ITEM_PATHS', () => {
  it('declares the paths resolvers rely on, each once and described', () => {
    const paths = WORK_ITEM_PATHS.map((entry) => entry.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'title',
        'reference',
        'client.reference',
        'client.name',
        'matterType',
        'fileReference',
        'id',
      ]),
    );
    expect(new Set(paths).size).toBe(paths.length);
    for (const entry of WORK_ITEM_PATHS) expect(entry.description).toMatch(/^[A-Z].*\.$/);
  });

  it.each(WORK_ITEM_PATHS.map((entry) => entry.path))('[workitem.%s] parses', (path) => {
    expect(parseResolver(`[workitem.${path}]`)).toEqual({
      mode: 'DefaultSearch',
      name: [{ kind: 'ref', path: `workitem.${path}`, column: 1 }],
    });
  });
});

describe('lookupWorkItemPath', () => {
  it.each<[string, boolean]>([
    ['client.reference', true],
    ['matterType', true],
    ['mattertype', false],
    ['workitem.title', false],
    ['client', false],
    ['', false],
  ])('%j found: %s', (path, found) => {
    expect(lookupWorkItemPath(path) !== undefined).toBe(found);
  });
});

describe('suggestWorkItemPath', () => {
  it.each<[string, string | undefined]>([
    ['client.refrence', 'client.reference'],
    ['Title', 'title'],
    ['mattertype', 'matterType'],
    ['clientName', 'client.name'],
    ['owner', 'owner.name'],
    ['client', 'client.reference'],
    ['xyzzy', undefined],
    ['', undefined],
  ])('%j → %j', (path, suggestion) => {
    expect(suggestWorkItemPath(path)).toBe(suggestion);
  });
});
