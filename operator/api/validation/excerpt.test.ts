import { describe, expect, it } from 'vitest';
import { EXCERPT_CHARS, boundText, excerpt, printable } from './problems.ts';

describe('excerpt', () => {
  const cyclic: unknown[] = [];
  cyclic.push(cyclic, 'x');
  let shared: unknown = ['lol'];
  for (let i = 0; i < 40; i++) shared = [shared, shared]; // 2^40 leaves once expanded

  it.each([
    ['a short string', 'production', '"production"'],
    ['an object', { name: 'p', port: 443 }, '{"name":"p","port":443}'],
    ['invisible characters', 'a\u202eb\u001b[2J', '"a\\u202eb\\u001b[2J"'],
  ])('quotes %s as JSON', (_what, value, expected) => {
    expect(excerpt(value)).toBe(expected);
  });

  it.each([
    ['a long string', 'x'.repeat(10_000_000)],
    ['a value that contains itself', cyclic],
    ['an alias ladder', shared],
  ])('cuts %s at the excerpt length without expanding it', (_what, value) => {
    const text = excerpt(value);
    expect(text.length).toBe(EXCERPT_CHARS);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('printable and boundText', () => {
  it('never splits a surrogate pair', () => {
    expect(boundText('ab😀cd', 4)).toBe('ab…');
    expect(boundText('abc', 3)).toBe('abc');
  });

  it('escapes what a terminal would hide or obey, then bounds', () => {
    expect(printable('ok\u0000\u202e', 100)).toBe('ok\\u0000\\u202e');
    expect(printable('y'.repeat(1_000), 10)).toBe(`${'y'.repeat(9)}…`);
  });
});
