import { describe, expect, it } from 'vitest';
import { byteLength, ELLIPSIS, truncateUtf8 } from './truncate.ts';

const EMOJI = '😀'; // 2 UTF-16 units, 4 bytes
const HAN = '語'; // 1 unit, 3 bytes

const isWellFormed = (text: string): boolean => text.isWellFormed();

describe('truncateUtf8', () => {
  it.each<[string, string, number, string]>([
    ['short ASCII unchanged', 'hello', 10, 'hello'],
    ['ASCII exactly at the limit unchanged', 'x'.repeat(10), 10, 'x'.repeat(10)],
    ['ASCII one over: cut with the ellipsis inside the limit', 'x'.repeat(11), 10, `${'x'.repeat(7)}${ELLIPSIS}`],
    ['multi-byte exactly at the limit unchanged', HAN.repeat(4), 12, HAN.repeat(4)],
    ['multi-byte cut by bytes, not units', HAN.repeat(10), 12, `${HAN.repeat(3)}${ELLIPSIS}`],
    ['an emoji that would be split is left out whole', `xxxxx${EMOJI}${'x'.repeat(10)}`, 10, `xxxxx${ELLIPSIS}`],
    ['a lone surrogate becomes U+FFFD', 'a\uD83Db', 10, 'a\uFFFDb'],
  ])('%s', (_name, text, maxBytes, expected) => {
    const cut = truncateUtf8(text, maxBytes);
    expect(cut).toBe(expected);
    expect(byteLength(cut)).toBeLessThanOrEqual(maxBytes);
  });

  it.each([1024, 32_768])('never exceeds %i bytes and never splits a code point, whatever the text', (maxBytes) => {
    const alphabet = ['a', 'é', HAN, EMOJI, '\u202E', '\uD800'];
    for (let seed = 1; seed <= 200; seed++) {
      let text = '';
      for (let i = 0, x = seed; i < ((seed * 37) % (maxBytes / 2)) + maxBytes / 4; i++) {
        x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
        text += alphabet[x % alphabet.length];
      }
      const cut = truncateUtf8(text, maxBytes);
      expect(byteLength(cut)).toBeLessThanOrEqual(maxBytes);
      expect(isWellFormed(cut)).toBe(true);
      if (cut !== text.toWellFormed()) expect(cut.endsWith(ELLIPSIS)).toBe(true);
    }
  });
});
