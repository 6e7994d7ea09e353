import { describe, expect, it } from 'vitest';
import { BoundedSet } from './lifecycle.ts';

describe('BoundedSet (the uids whose tokens were revoked on deletion)', () => {
  it('remembers what was added, and forgets the oldest past its cap', () => {
    const set = new BoundedSet(2);
    set.add('a');
    set.add('b');
    expect([set.has('a'), set.has('b')]).toEqual([true, true]);
    set.add('c');
    expect([set.has('a'), set.has('b'), set.has('c')]).toEqual([false, true, true]);
  });
});
