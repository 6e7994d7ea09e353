import { describe, expect, it } from 'vitest';
import { evaluateResolver, parseResolver, resolveTemplate } from './index.ts';

const matter = {
  id: 4711,
  title: 'Smith v Jones',
  reference: 'M-100',
  fileReference: '',
  client: { reference: 'C-7', name: 'Smith Ltd', id: Number.NaN },
  owner: null,
};

describe('evaluateResolver', () => {
  it.each<[string, unknown, Record<string, string>]>([
    ['Clio Operate Document Templates', matter, { name: 'Clio Operate Document Templates' }],
    ['Clio Operate Document Templates', undefined, { name: 'Clio Operate Document Templates' }],
    ['[workitem.title]', matter, { name: 'Smith v Jones' }],
    ['Matter [workitem.reference] - archive', matter, { name: 'Matter M-100 - archive' }],
    ['[workitem.id]', matter, { name: '4711' }],
    ['custom1=[workitem.client.reference], custom2=[workitem.reference]', matter, { custom1: 'C-7', custom2: 'M-100' }],
    ['name=[workitem.client.name] \\[[workitem.id]\\]', matter, { name: 'Smith Ltd [4711]' }],
  ])('%j → %j', (resolver, workItem, query) => {
    expect(evaluateResolver(parseResolver(resolver), workItem)).toEqual({ ok: true, query });
  });

  it.each<[string, unknown, string]>([
    ['[workitem.matterType]', matter, 'workitem.matterType'],
    ['[workitem.fileReference]', matter, 'workitem.fileReference'],
    ['[workitem.client.id]', matter, 'workitem.client.id'],
    ['[workitem.owner.name]', matter, 'workitem.owner.name'],
    ['[workitem.title]', null, 'workitem.title'],
    ['[workitem.title]', 'Smith v Jones', 'workitem.title'],
    ['[workitem.title]', [{ title: 'x' }], 'workitem.title'],
    ['[workitem.title]', { title: { text: 'x' } }, 'workitem.title'],
    ['[workitem.title]', { title: true }, 'workitem.title'],
    ['[workitem.title]', Object.create({ title: 'inherited' }), 'workitem.title'],
    ['custom1=[workitem.reference], custom2=[workitem.client.name]', { reference: 'M' }, 'workitem.client.name'],
  ])('%j with %j misses %s', (resolver, workItem, missingPath) => {
    expect(evaluateResolver(parseResolver(resolver), workItem)).toEqual({ ok: false, missingPath });
  });
});

describe('resolveTemplate', () => {
  it('reports the first missing reference', () => {
    const t = [
      { kind: 'ref', path: 'workitem.title', column: 1 },
      { kind: 'ref', path: 'workitem.reference', column: 20 },
    ] as const;
    expect(resolveTemplate(t, {})).toEqual({ ok: false, missingPath: 'workitem.title' });
    expect(resolveTemplate(t, { title: 'a', reference: 'b' })).toEqual({ ok: true, value: 'ab' });
  });
});
