import { describe, expect, it } from 'vitest';
import { fieldPath, formatProblem, joinPath } from './problems.ts';

describe('fieldPath', () => {
  it.each([
    ['', ''],
    ['/spec', 'spec'],
    ['/spec/environments/1/redirectUri', 'spec.environments[1].redirectUri'],
    ['/spec/resolvers/0/fallbacks/2', 'spec.resolvers[0].fallbacks[2]'],
    ['/metadata/annotations/a~1b', 'metadata.annotations.a/b'],
  ])('%j → %j', (pointer, expected) => {
    expect(fieldPath(pointer)).toBe(expected);
  });
});

describe('joinPath', () => {
  it.each([
    ['spec', 'url', 'spec.url'],
    ['spec.environments', '[0]', 'spec.environments[0]'],
    ['', 'spec', 'spec'],
    ['spec', '', 'spec'],
  ])('%j + %j → %j', (base, child, expected) => {
    expect(joinPath(base, child)).toBe(expected);
  });
});

describe('formatProblem', () => {
  it('puts the path first and the fix last', () => {
    expect(
      formatProblem({ path: 'spec.url', message: 'must start with https://', fix: 'use https', code: 'Invalid' }),
    ).toBe('spec.url: must start with https:// — fix: use https');
  });
});
