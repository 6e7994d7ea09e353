import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from './edit-distance.ts';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['kitten', 'sitting', 3],
    ['café', 'cafe', 1],
    ['😀a', 'a', 1],
  ])('%s → %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe('nearest', () => {
  const fields = ['connectionRef', 'library', 'resolvers', 'preview'];

  it.each([
    ['libary', 'library'],
    ['Preview', 'preview'],
    ['conectionRef', 'connectionRef'],
    ['xyz', undefined],
    // Far longer than every candidate: no suggestion, and no cell-by-cell comparison either.
    ['l'.repeat(100_000), undefined],
  ])('%s → %s', (wanted, expected) => {
    expect(nearest(wanted, fields)).toBe(expected);
  });
});
