import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goDurationMs } from './duration.ts';

describe('goDurationMs', () => {
  it.each([
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['250ms', 250],
    ['0s', 0],
  ])('%s → %d ms', (input, ms) => expect(goDurationMs(input)).toBe(ms));

  it.each(['', '5', 'm5', '5 m', '5x', '-5s'])('%j is not a duration', (input) =>
    expect(goDurationMs(input)).toBeNaN(),
  );

  it('reads every text as the global-match version did', () => {
    // The former implementation: every match of the part pattern, which together must spell the text.
    const former = (value: string): number => {
      const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
      const parts = [...value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)];
      if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) return Number.NaN;
      return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
    };
    const pieces = ['0', '1', '5', '90', '.', '1.5', 'n', 'u', 'µ', 'm', 's', 'h', 'ms', 'x', ' ', '-'];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((p) => p.join(''));
    fc.assert(
      fc.property(text, (value) => {
        expect(Object.is(goDurationMs(value), former(value))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
