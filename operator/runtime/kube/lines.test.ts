import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.ts';

/** Every line the splitter hands out for these chunks, in order. */
function linesOf(chunks: readonly Buffer[]): string[] {
  const splitter = new LineSplitter();
  const lines: string[] = [];
  for (const chunk of chunks) splitter.push(chunk, (line) => lines.push(line));
  return lines;
}

describe('LineSplitter', () => {
  it('hands out each whole line of a chunk, trimmed, and leaves blank lines out', () => {
    expect(linesOf([Buffer.from('{"a":1}\n\n  {"b":2}\r\n \n')])).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('joins a line that spans chunks, and keeps what follows the last newline for the next chunk', () => {
    const chunks = ['{"type":"ADD', 'ED","n":1}\n{"type":', '"MODIFIED"', ',"n":2}\n{"n":3'].map((s) => Buffer.from(s));
    expect(linesOf(chunks)).toEqual(['{"type":"ADDED","n":1}', '{"type":"MODIFIED","n":2}']);
    expect(linesOf([...chunks, Buffer.from('}\n')])).toEqual([
      '{"type":"ADDED","n":1}',
      '{"type":"MODIFIED","n":2}',
      '{"n":3}',
    ]);
  });

  it('decodes a character whose bytes are split between chunks', () => {
    const bytes = Buffer.from('{"message":"Templates → Shared / Documents"}\n');
    const arrow = bytes.indexOf(Buffer.from('→'));
    for (const cut of [arrow, arrow + 1, arrow + 2]) {
      expect(linesOf([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([
        '{"message":"Templates → Shared / Documents"}',
      ]);
    }
  });

  it('joins a long line sent one byte at a time, and a newline that arrives alone', () => {
    const line = JSON.stringify({ data: 'x'.repeat(5_000) });
    const bytes = Buffer.from(`${line}\n`);
    const chunks = Array.from(bytes, (byte) => Buffer.from([byte]));
    expect(linesOf(chunks)).toEqual([line]);
    expect(linesOf([Buffer.from('{"a":1}'), Buffer.from('\n'), Buffer.from('\n{"b":2}\n')])).toEqual([
      '{"a":1}',
      '{"b":2}',
    ]);
  });

  it('lets an error of the handler through, and hands out nothing after it in that chunk', () => {
    const splitter = new LineSplitter();
    const seen: string[] = [];
    const onLine = (line: string): void => {
      seen.push(line);
      if (line === 'bad') throw new Error('refused');
    };
    expect(() => splitter.push(Buffer.from('ok\nbad\nnever\n'), onLine)).toThrow('refused');
    expect(seen).toEqual(['ok', 'bad']);
  });
});
