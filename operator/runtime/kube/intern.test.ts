import { describe, expect, it } from 'vitest';
import { internStrings, StringTable } from './intern.ts';

describe('StringTable', () => {
  it('keeps the first copy of a short value and hands it back', () => {
    const table = new StringTable(4, 8);
    expect(table.intern('Ready')).toBe('Ready');
    expect(table.intern(['Re', 'ady'].join(''))).toBe('Ready');
    expect(table.size).toBe(1);
  });

  it.each([
    ['at the length limit', '12345678', true],
    ['over the length limit', '123456789', false],
    ['empty', '', true],
  ])('%s: kept %s', (_case, value, kept) => {
    const table = new StringTable(4, 8);
    expect(table.intern(value)).toBe(value);
    expect(table.has(value)).toBe(kept);
  });

  it('never holds more than its bound: the oldest entry goes first', () => {
    const table = new StringTable(3, 8);
    for (const value of ['a', 'b', 'c', 'd']) table.intern(value);
    expect(table.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((v) => table.has(v))).toEqual([false, true, true, true]);
  });
});

describe('internStrings', () => {
  const object = () => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'a', namespace: 'ns', uid: 'u-1', resourceVersion: '42', generation: 3, labels: { tier: 'x' } },
    spec: { resolvers: [{ workType: '*', folder: 'Shared Folder' }], enabled: true, note: null },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Found' }] },
  });

  it('changes no value', () => {
    const table = new StringTable();
    expect(internStrings(object(), table)).toEqual(object());
  });

  it('interns the repeated values, not uid or resourceVersion', () => {
    const table = new StringTable();
    internStrings(object(), table);
    for (const value of ['example.com/v1', 'ns', 'x', 'Shared Folder', 'Ready', 'True', 'a', '*']) {
      expect(table.has(value)).toBe(true);
    }
    expect(table.has('u-1')).toBe(false);
    expect(table.has('42')).toBe(false);
  });

  it("never keeps a Secret's or ConfigMap's payload", () => {
    const table = new StringTable();
    const secret = {
      kind: 'Secret',
      metadata: { name: 's' },
      data: { password: 'c2VjcmV0' },
      stringData: { token: 'plain' },
      binaryData: { blob: 'AAEC' },
    };
    expect(internStrings(structuredClone(secret), table)).toEqual(secret);
    for (const value of ['c2VjcmV0', 'plain', 'AAEC']) expect(table.has(value)).toBe(false);
    expect(table.has('Secret')).toBe(true);
  });
});
