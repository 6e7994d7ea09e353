import { describe, expect, it } from 'vitest';
import { recall, remember } from './lru.ts';

describe('remember and recall', () => {
  it('drop the entry used longest ago, counting a recall as a use', () => {
    const cache = new Map<string, number>();
    remember(cache, 'a', 1, 2);
    remember(cache, 'b', 2, 2);
    expect(recall(cache, 'a')).toBe(1);
    remember(cache, 'c', 3, 2);
    expect([...cache.keys()]).toEqual(['a', 'c']);
    expect(recall(cache, 'b')).toBeUndefined();
  });

  it('replace an entry in place of adding one', () => {
    const cache = new Map<string, number>();
    remember(cache, 'a', 1, 2);
    remember(cache, 'a', 2, 2);
    expect([...cache]).toEqual([['a', 2]]);
  });
});
