import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ResolverSyntaxError,
  SEARCH_FIELDS,
  WORK_ITEM_PATHS,
  describeResolver,
  evaluateResolver,
  formatResolver,
  parseResolver,
  type ParsedResolver,
  type Template,
  type TemplatePart,
} from './index.ts';
import { ESCAPABLE, escapeText } from './tokenizer.ts';

const RUNS = { numRuns: 10_000 };

/** Single units that mix resolver syntax, likely words and any code point at all. */
const resolverishUnit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('[', ']', '=', ',', ' ', '.', '\\', '\t') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'workitem',
      '.title',
      '.client',
      '.reference',
      'custom1',
      'custom2',
      'name',
      '[workitem.title]',
    ),
  },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

const refArb: fc.Arbitrary<TemplatePart> = fc
  .constantFrom(...WORK_ITEM_PATHS.map((entry) => `workitem.${entry.path}`))
  .map((path) => ({ kind: 'ref', path, column: 0 }));
const textArb: fc.Arbitrary<TemplatePart> = fc
  .string({ unit: resolverishUnit, minLength: 1, maxLength: 6 })
  .map((text) => ({ kind: 'text', text }));
const templateArb = fc.array(fc.oneof(refArb, textArb), { minLength: 1, maxLength: 5 }).map(canonicalTemplate);

/** Any well-formed resolver structure (columns zeroed). */
const resolverArb: fc.Arbitrary<ParsedResolver> = fc
  .oneof(
    templateArb.map((name) => ({ mode: 'DefaultSearch' as const, name })),
    fc
      .uniqueArray(fc.constantFrom(...SEARCH_FIELDS), { minLength: 1, maxLength: 4 })
      .chain((fields) => fc.tuple(...fields.map((field) => templateArb.map((value) => ({ field, value })))))
      .map((criteria) => ({ mode: 'AdvancedSearch' as const, criteria })),
  )
  .filter((r) => (r.mode === 'DefaultSearch' ? [r.name] : r.criteria.map((c) => c.value)).every((t) => t.length > 0));

const anyValue = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

/** Work items that sometimes have the declared shape, so evaluation also succeeds. */
const workItemArb = fc.oneof(
  anyValue,
  fc.record(
    {
      id: fc.oneof(fc.string(), fc.integer(), anyValue),
      title: fc.oneof(fc.string(), anyValue),
      reference: fc.string(),
      fileReference: fc.string(),
      matterId: fc.oneof(fc.string(), fc.double()),
      matterType: fc.string(),
      client: fc.oneof(
        anyValue,
        fc.record({ id: fc.integer(), name: fc.string(), reference: fc.string() }, { requiredKeys: [] }),
      ),
      owner: fc.oneof(anyValue, fc.record({ name: fc.string() })),
    },
    { requiredKeys: [] },
  ),
);

describe('parseResolver on random strings', () => {
  it('returns a resolver or throws a ResolverSyntaxError pointing into the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: resolverishUnit, maxLength: 40 }), (input) => {
        let parsed: ParsedResolver;
        try {
          parsed = parseResolver(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ResolverSyntaxError);
          const { column, code, fix, message } = error as ResolverSyntaxError;
          expect(column).toBeGreaterThanOrEqual(1);
          expect(column).toBeLessThanOrEqual(Array.from(input).length + 1);
          expect(code).toMatch(/^[A-Z][A-Za-z]+$/);
          expect(message.startsWith(`column ${column}: `)).toBe(true);
          expect(message.endsWith(`; ${fix}`)).toBe(true);
          return;
        }
        expectRoundTrip(parsed);
      }),
      RUNS,
    );
  });
});

describe('formatResolver and describeResolver', () => {
  it('describe output re-parses to the structure it describes', () => {
    fc.assert(
      fc.property(resolverArb, (resolver) => {
        const described = describeResolver(resolver);
        expect(described.startsWith(`${resolver.mode} `)).toBe(true);
        expect(withoutColumns(parseResolver(described.slice(resolver.mode.length + 1)))).toEqual(resolver);
        expect(formatResolver(resolver)).toBe(described.slice(resolver.mode.length + 1));
      }),
      RUNS,
    );
  });
});

describe('escapeText', () => {
  const byCodePoint = (text: string): string =>
    Array.from(text, (ch) => ((ESCAPABLE as readonly string[]).includes(ch) ? `\\${ch}` : ch)).join('');
  const unit = fc.constantFrom(...ESCAPABLE, 'a', ' ', 'é', '😀', '\ud800', '\udc00', '[workitem');

  it('escapes as the code-point version did, whatever the text', () => {
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 60, size: 'max' }), (parts) => {
        const text = parts.join('');
        return escapeText(text) === byCodePoint(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('hands back text with nothing to escape as it is', () => {
    const text = 'Client Documents 😀';
    expect(escapeText(text)).toBe(text);
    expect(escapeText('a=b, [c]\\')).toBe('a\\=b\\, \\[c\\]\\\\');
  });
});

describe('evaluateResolver on random work items', () => {
  it('never throws on fc.anything()', () => {
    const resolvers = [
      'Clio Operate Document Templates',
      'Matter [workitem.reference] - archive',
      'custom1=[workitem.client.reference], custom2=[workitem.reference]',
    ].map(parseResolver);
    fc.assert(
      fc.property(fc.anything(), (workItem) => {
        for (const resolver of resolvers) expectWellFormedResult(resolver, evaluateResolver(resolver, workItem));
      }),
      RUNS,
    );
  });

  it('never throws, and fills every reference it can', () => {
    fc.assert(
      fc.property(resolverArb, workItemArb, (resolver, workItem) => {
        expectWellFormedResult(resolver, evaluateResolver(resolver, workItem));
      }),
      RUNS,
    );
  });

  it('substitutes every reference when the work item has them all', () => {
    const full = fc.record({
      id: fc.integer(),
      title: fc.string({ minLength: 1 }),
      reference: fc.string({ minLength: 1 }),
      fileReference: fc.string({ minLength: 1 }),
      matterId: fc.string({ minLength: 1 }),
      matterType: fc.string({ minLength: 1 }),
      client: fc.record({
        id: fc.integer(),
        name: fc.string({ minLength: 1 }),
        reference: fc.string({ minLength: 1 }),
      }),
      owner: fc.record({ name: fc.string({ minLength: 1 }) }),
    });
    fc.assert(
      fc.property(resolverArb, full, (resolver, workItem) => {
        const expected = Object.fromEntries(
          terms(resolver).map(({ field, value }) => [field, substitute(value, workItem)]),
        );
        expect(evaluateResolver(resolver, workItem)).toEqual({ ok: true, query: expected });
      }),
      { numRuns: 1_000 },
    );
  });
});

function expectRoundTrip(parsed: ParsedResolver): void {
  const described = describeResolver(parsed);
  expect(described.startsWith(`${parsed.mode} `)).toBe(true);
  expect(withoutColumns(parseResolver(described.slice(parsed.mode.length + 1)))).toEqual(withoutColumns(parsed));
}

function expectWellFormedResult(resolver: ParsedResolver, result: ReturnType<typeof evaluateResolver>): void {
  if (!result.ok) {
    expect(result.missingPath).toMatch(/^workitem\./);
    return;
  }
  expect(Object.keys(result.query)).toEqual(terms(resolver).map((term) => term.field));
  for (const value of Object.values(result.query)) expect(typeof value).toBe('string');
}

function terms(resolver: ParsedResolver): readonly { field: string; value: Template }[] {
  return resolver.mode === 'DefaultSearch' ? [{ field: 'name', value: resolver.name }] : resolver.criteria;
}

function substitute(template: Template, workItem: unknown): string {
  return template
    .map((part) => {
      if (part.kind === 'text') return part.text;
      const value = part.path
        .split('.')
        .slice(1)
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], workItem);
      return String(value);
    })
    .join('');
}

/** The shape the parser produces: adjacent text merged, no empty text, no whitespace at either end. */
function canonicalTemplate(parts: readonly TemplatePart[]): Template {
  const merged: TemplatePart[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if (part.kind === 'text' && last?.kind === 'text')
      merged[merged.length - 1] = { kind: 'text', text: last.text + part.text };
    else merged.push(part);
  }
  const first = merged[0];
  if (first?.kind === 'text') merged[0] = { kind: 'text', text: first.text.trimStart() };
  const last = merged.at(-1);
  if (last?.kind === 'text') merged[merged.length - 1] = { kind: 'text', text: last.text.trimEnd() };
  return merged.filter((part) => part.kind === 'ref' || part.text !== '');
}

function withoutColumns(resolver: ParsedResolver): ParsedResolver {
  const strip = (t: Template): Template => t.map((part) => (part.kind === 'ref' ? { ...part, column: 0 } : part));
  return resolver.mode === 'DefaultSearch'
    ? { mode: resolver.mode, name: strip(resolver.name) }
    : { mode: resolver.mode, criteria: resolver.criteria.map(({ field, value }) => ({ field, value: strip(value) })) };
}
