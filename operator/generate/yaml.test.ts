import { CORE_SCHEMA, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { toYaml } from './yaml.ts';

const LONG = 'A description longer than eighty characters, which js-yaml would fold into a >- block by default.';

describe('toYaml', () => {
  it.each([
    ['a Helm action in double quotes', { name: '{{ $.Release.Name }}' }, 'name: "{{ $.Release.Name }}"\n'],
    [
      'an action holding double quotes in single quotes',
      { namespace: '{{ index (splitList "/" .) 0 }}' },
      `namespace: '{{ index (splitList "/" .) 0 }}'\n`,
    ],
    ['a string holding both quotes escaped', { m: `': "x" 'y'` }, `m: "': \\"x\\" 'y'"\n`],
    ['a string YAML 1.1 reads as a boolean, quoted', { enabled: 'yes' }, 'enabled: "yes"\n'],
    ['a timestamp-like string, quoted', { at: '2026-01-01T00:00:00Z' }, 'at: "2026-01-01T00:00:00Z"\n'],
    ['a long string on one line', { description: LONG }, `description: ${LONG}\n`],
    ['a list indented under its key', { verbs: ['get', 'list'] }, 'verbs:\n  - get\n  - list\n'],
    ['empty collections in flow style', { a: {}, b: [] }, 'a: {}\nb: []\n'],
  ])('writes %s', (_title, value, expected) => {
    expect(toYaml(value)).toBe(expected);
    expect(load(toYaml(value))).toEqual(value);
  });

  it('writes an object used twice in full, with no anchor or alias', () => {
    const subject = { kind: 'ServiceAccount', name: 'op' };
    expect(toYaml({ a: subject, b: subject })).toBe(
      'a:\n  kind: ServiceAccount\n  name: op\nb:\n  kind: ServiceAccount\n  name: op\n',
    );
  });

  it('quotes only what YAML 1.2 needs with CORE_SCHEMA, as the health testdata has it', () => {
    expect(toYaml({ at: '2026-01-01T00:00:00Z', enabled: 'yes', n: '1' }, { schema: CORE_SCHEMA })).toBe(
      'at: 2026-01-01T00:00:00Z\nenabled: yes\nn: "1"\n',
    );
  });
});
