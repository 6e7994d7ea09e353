// 10,000 generated hostile YAML files through `validate`, in-process: aliases (ladders, cycles,
// aliases as keys), sizes, depth, document markers, and bytes that are not UTF-8. Every run must
// end with exit 0, 1 or 2, print no stack trace, and print a bounded amount per input byte.

import fc from 'fast-check';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { baseConnection, baseRepository } from '../api/validation/fixtures.ts';
import { STACK_TRACE_LINE, validate } from './testing.ts';

const HEAD = 'apiVersion: imanage.operator.dev/v1alpha1\nkind: IManageConnection\nmetadata: {name: p}\n';

const fragment = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  ', ',
  ': ',
  '- ',
  '? ',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '!!str ',
  '!!binary ',
  '!x ',
  '"',
  "'",
  '|',
  '>-',
  '\n',
  '  ',
  '# c',
  '---',
  '...',
  '%YAML 1.2',
  '<<: *a',
  'spec:',
  'environments:',
  'name: ',
  'x',
  '1',
  'null',
  '~',
  '\t',
  '\r\n',
  '\u202e',
  '\u0000',
  '\u001b[2J',
  'é',
  '😀',
  '\ud800',
  HEAD,
);
const tokenSoup = fc.array(fragment, { maxLength: 80 }).map((parts) => parts.join(''));

const placement = fc.constantFrom(
  (alias: string) =>
    `spec:\n  environments:\n  - {name: ${alias}, baseUrl: https://a.clioweb.com}\n  - {name: ${alias}}\n`,
  (alias: string) => `metadata: {name: ${alias}}\n`,
  (alias: string) => `spec: {url: ${alias}, connectionType: ${alias}}\n`,
  (alias: string) => `? ${alias}\n: 1\n`,
  (alias: string) => `extra: [${alias}, ${alias}, ${alias}]\n`,
);

const aliasLadder = fc
  .record({ levels: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 1, max: 12 }), place: placement })
  .map(({ levels, width, place }) => {
    const lines = [`l0: &l0 [${Array(width).fill('lol').join(',')}]`];
    for (let i = 1; i < levels; i++)
      lines.push(
        `l${i}: &l${i} [${Array(width)
          .fill(`*l${i - 1}`)
          .join(',')}]`,
      );
    return HEAD + lines.join('\n') + '\n' + place(`*l${levels - 1}`);
  });

const selfReference = fc
  .constantFrom('spec: &s {environments: [*s]}\n', 'spec: &s [*s]\n', 'x: &x {y: &y {z: *x}}\nspec: *y\n')
  .map((body) => HEAD + body);

const depth = fc
  .record({ levels: fc.integer({ min: 1, max: 400 }), flow: fc.boolean(), viaAliases: fc.integer({ min: 0, max: 40 }) })
  .map(({ levels, flow, viaAliases }) => {
    const nested = flow
      ? `${'['.repeat(levels)}1${']'.repeat(levels)}`
      : Array.from({ length: levels }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n') + '1';
    const chain = Array.from({ length: viaAliases }, (_, i) => `c${i + 1}: &c${i + 1} [[[[*c${i}]]]]`).join('\n');
    const spec = viaAliases > 0 ? `*c${viaAliases}` : '[]';
    return `${HEAD}c0: &c0 [1]\n${chain}\nspec: ${spec}\ndeep: ${flow ? nested : `\n${nested}`}\n`;
  });

const bigValue = fc
  .record({ size: fc.integer({ min: 0, max: 50_000 }), copies: fc.integer({ min: 0, max: 80 }), place: placement })
  .map(
    ({ size, copies, place }) =>
      `${HEAD}big: &big "${'x'.repeat(size)}"\nmore: [${Array(copies).fill('*big').join(', ')}]\n${place('*big')}`,
  );

const wellFormed = fc.constantFrom(baseConnection(), baseRepository()).map((doc) => dump(doc));

const document = fc.oneof(
  { arbitrary: tokenSoup, weight: 4 },
  { arbitrary: aliasLadder, weight: 3 },
  { arbitrary: selfReference, weight: 1 },
  { arbitrary: depth, weight: 2 },
  { arbitrary: bigValue, weight: 1 },
  { arbitrary: wellFormed, weight: 1 },
);
const separator = fc.constantFrom('---\n', '\n---\n', '...\n', '--- ', '');
const yamlText = fc
  .tuple(fc.array(fc.tuple(separator, document), { minLength: 1, maxLength: 4 }), separator)
  .map(([docs, last]) => docs.map(([sep, doc]) => sep + doc).join('') + last);

/** The text's bytes as UTF-8, or spoilt: Latin-1, byte order marks, stray and truncated bytes. */
const encoded = fc
  .tuple(
    yamlText,
    fc.constantFrom('utf8', 'utf8', 'utf8', 'latin1', 'bom', 'utf16', 'stray', 'truncated'),
    fc.uint8Array({ maxLength: 8 }),
  )
  .map(([text, encoding, stray]) => {
    const utf8 = Buffer.from(text, 'utf8');
    switch (encoding) {
      case 'latin1':
        return Buffer.from(text, 'latin1');
      case 'bom':
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
      case 'utf16':
        return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      case 'stray':
        return Buffer.concat([utf8.subarray(0, utf8.length >> 1), stray, utf8.subarray(utf8.length >> 1)]);
      case 'truncated':
        return Buffer.concat([utf8, Buffer.from([0xe2, 0x82])]);
      default:
        return utf8;
    }
  });

describe('validate on hostile YAML', () => {
  it('ends every run with exit 0, 1 or 2, a bounded output and no stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(encoded, fc.boolean(), async (bytes, json) => {
        const outcome = await validate(json ? ['--output', 'json', '-'] : ['-'], bytes);
        expect([0, 1, 2]).toContain(outcome.code);
        const printed = outcome.stdout + outcome.stderr;
        expect(printed).not.toMatch(STACK_TRACE_LINE);
        expect(printed.length).toBeLessThan(300 * bytes.length + 20_000);
        for (const line of printed.split('\n')) expect(line.length).toBeLessThan(2_000);
      }),
      { numRuns: 10_000 },
    );
  }, 300_000);
});
