import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import type { Workspace } from '../state/model.ts';
import { hasWords, matchesAll, wildcardMatch, workspaceFilters } from './search.ts';

function workspace(fields: Partial<Workspace>): Workspace {
  return {
    kind: 'workspace',
    id: 'LIB!1',
    library: 'LIB',
    name: 'Smith v Jones',
    description: 'Contract litigation for Enron',
    owner: 'ACASE',
    defaultSecurity: 'inherit',
    custom: {
      custom1: { alias: 'Abc-1', description: 'Client' },
      custom13: { alias: 'Text Value' },
      custom17: 42,
      custom21: { date: '2024-03-01T00:00:00.000Z' },
      custom25: true,
    },
    createDate: new Date(0),
    editDate: new Date(0),
    folderIds: [],
    ...fields,
  };
}

const matches = (query: string): boolean => matchesAll(workspace({}), workspaceFilters(new URLSearchParams(query)));

describe('workspace filters', () => {
  it.each([
    ['name=Smith v Jones', true],
    ['name=smith V JONES', true],
    ['name=Smith', false],
    ['name=Smith*', false],
    ['name=Smith v Jones Appeal', false],
    ['custom1=abc-1', true],
    ['custom1=Abc', false],
    ['custom13=text value', true],
    ['custom17=42', true],
    ['custom17=42.0', true],
    ['custom17=41', false],
    ['custom25=true', true],
    ['custom25=false', false],
    ['custom21_from=2024-01-01T00:00:00Z', true],
    ['custom21_to=2024-01-01T00:00:00Z', false],
    ['custom21_from=not-a-date', true],
    ['description=litigation', true],
    ['description=litiga', false],
    ['description=ENRON contract', true],
    ['description="litigation for"', true],
    ['description="for litigation"', false],
    ['owner=acase', true],
    ['owner=*C*s*', true],
    ['owner=ac', false],
    ['name_or_description=smith*', true],
    ['name_or_description=*enron', true],
    ['include_ids=lib!1,lib!2', true],
    ['include_ids=LIB!2', false],
    ['name=Smith v Jones&custom1=abc-1', true],
    ['name=Smith v Jones&custom1=other', false],
    ['limit=5&offset=0&total=true&timezone_offset=60', true],
  ])('%s → %s', (query, expected) => {
    expect(matches(query)).toBe(expected);
  });

  it.each([
    ['Custom1=abc-1', 'Custom1'],
    ['custom31=x', 'custom31'],
    ['custom21=2024-01-01', 'custom21'],
    ['anywhere=smith', 'anywhere'],
    ['name=', 'name'],
    ['name=a&name=b', 'name'],
    ['custom25=yes', 'custom25'],
    ['custom17=many', 'custom17'],
  ])('refuses %s, naming %s', (query, field) => {
    let error: unknown;
    try {
      workspaceFilters(new URLSearchParams(query));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).messages[0]?.field).toBe(field);
  });

  it('lets an endpoint allow its own parameters', () => {
    expect(workspaceFilters(new URLSearchParams('libraries=A,B'), ['libraries'])).toEqual([]);
  });
});

describe('text matching helpers', () => {
  it.each([
    ['Litigation_Enron', 'enron', true],
    ['Enron Completion', 'Enron_Completion', true],
    ['Enronia', 'enron', false],
  ])('hasWords(%j, %j) = %s', (text, query, expected) => {
    expect(hasWords(text, query)).toBe(expected);
  });

  it.each([
    ['Smith (2019)', 'smith (2019)', true],
    ['a.b', 'a?b', false],
    ['abc', 'a*', true],
    ['abc', '*b', false],
  ])('wildcardMatch(%j, %j) = %s', (text, pattern, expected) => {
    expect(wildcardMatch(text, pattern)).toBe(expected);
  });
});
