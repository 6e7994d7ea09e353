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
});
