import { describe, expect, it } from 'vitest';
import type { ResolverEntry } from '../api/generated/types.ts';
import { decideMatch, isStatic, MAX_CANDIDATES, planResolution, type PlannedSearch } from './resolve-plan.ts';
import type { WorkspaceSummary } from './work.ts';

const ACTIONSTEP: ResolverEntry = {
  workType: '*',
  resolver: 'custom2=[workitem.id]',
  fallbacks: ['custom2=[workitem.fileReference]'],
  onMultipleMatches: 'Fail',
  folder: 'Actionstep Documents/Invoices',
};
const CLIO: ResolverEntry = {
  workType: '*',
  resolver: 'Clio Operate Document Templates',
  folder: 'Document Templates',
};

describe('isStatic', () => {
  it.each([
    [CLIO, true],
    [{ workType: '*', resolver: 'custom1=12345, custom2=00001' }, true],
    [ACTIONSTEP, false],
    [{ workType: '*', resolver: 'Fixed', fallbacks: ['[workitem.title]'] }, false],
  ])('%j → %s', (entry, expected) => {
    expect(isStatic(entry)).toBe(expected);
  });
});

describe('planResolution', () => {
  it.each([
    ['a static title', CLIO, undefined, [{ source: 'resolver', query: { name: 'Clio Operate Document Templates' } }]],
    [
      'Advanced Search on custom1 and custom2',
      { workType: '*', resolver: 'custom1=[workitem.client.reference], custom2=[workitem.reference]' },
      { reference: '00001', client: { reference: '12345' } },
      [{ source: 'resolver', query: { custom1: '12345', custom2: '00001' } }],
    ],
    [
      'the fallback chain in order',
      ACTIONSTEP,
      { id: '104977', fileReference: 'LEG-2019-0042' },
      [
        { source: 'resolver', query: { custom2: '104977' } },
        { source: 'fallbacks[0]', query: { custom2: 'LEG-2019-0042' } },
      ],
    ],
    [
      'a fallback without its value left out',
      ACTIONSTEP,
      { id: '104522' },
      [{ source: 'resolver', query: { custom2: '104522' } }],
    ],
  ])('%s', (_title, entry, workItem, expected) => {
    const plan = planResolution(entry, workItem);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.searches.map(({ source, query }) => ({ source, query }))).toEqual(expected);
    expect(plan.folderPath).toEqual((entry as ResolverEntry).folder?.split('/') ?? []);
  });

  it.each([
    ['a dynamic resolver without a work item', ACTIONSTEP, undefined, 'NeedsWorkItem'],
    ['a work item with none of the values', ACTIONSTEP, { title: 'x' }, 'IncompleteWorkItem'],
    ['a resolver that does not parse', { workType: '*', resolver: 'custom99=x' }, undefined, 'InvalidResolver'],
    ['a value its field cannot hold', { workType: '*', resolver: 'custom25=maybe' }, undefined, 'InvalidResolver'],
  ])('%s → %s', (_title, entry, workItem, reason) => {
    expect(planResolution(entry, workItem)).toMatchObject({ ok: false, reason, message: expect.any(String) });
  });

  it('records which resolvers were skipped for a missing value', () => {
    const plan = planResolution(ACTIONSTEP, { fileReference: 'LEG-1' });
    expect(plan).toMatchObject({ ok: true, skipped: [{ source: 'resolver', missingPath: 'workitem.id' }] });
  });
});

const ws = (n: number): WorkspaceSummary => ({ id: `LIB!${n}`, name: `W${n}`, library: 'LIB', custom: {} });
const search = (source: PlannedSearch['source']): PlannedSearch => ({
  source,
  resolver: 'AdvancedSearch custom2=[workitem.id]',
  query: {},
  params: new URLSearchParams(),
});
const found = (source: PlannedSearch['source'], count: number, total = count) => ({
  search: search(source),
  listing: { items: Array.from({ length: count }, (_, i) => ws(i + 1)), totalCount: total, complete: true },
});

describe('decideMatch', () => {
  it.each([
    ['nothing found', [found('resolver', 0), found('fallbacks[0]', 0)], 'First', { kind: 'NoMatch' }],
    ['one match', [found('resolver', 1)], 'Fail', { kind: 'Matched', matches: 1, matchedBy: 'resolver' }],
    [
      'the fallback matched',
      [found('resolver', 0), found('fallbacks[0]', 1)],
      'Fail',
      { kind: 'Matched', matchedBy: 'fallbacks[0]', workspace: ws(1) },
    ],
    ['several, First', [found('resolver', 3)], 'First', { kind: 'Matched', matches: 3, workspace: ws(1) }],
    ['several, Fail', [found('resolver', 3)], 'Fail', { kind: 'AmbiguousMatch', matches: 3, matchedBy: 'resolver' }],
    ['the count is the server total', [found('resolver', 2, 40)], 'Fail', { kind: 'AmbiguousMatch', matches: 40 }],
  ] as const)('%s', (_title, findings, policy, expected) => {
    expect(decideMatch(findings, policy)).toMatchObject(expected);
  });

  it(`reports at most ${MAX_CANDIDATES} candidates`, () => {
    const decision = decideMatch([found('resolver', 8)], 'Fail');
    expect(decision.kind === 'AmbiguousMatch' && decision.candidates.map((c) => c.id)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `LIB!${n}`),
    );
  });
});
