import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { MAX_LIMIT, queryKeyOf, readPageRequest, takePage } from './paging.ts';

const items = Array.from({ length: 7 }, (_, i) => i);
const KEY = queryKeyOf('/w', new URLSearchParams('name=x'));

function pageOf(query: string, key = KEY) {
  return takePage(items, readPageRequest(new URLSearchParams(query), key), key);
}

describe('paging', () => {
  it.each([
    ['', { items, totalCount: undefined, more: false }],
    ['limit=3', { items: [0, 1, 2], totalCount: undefined, more: true }],
    ['limit=3&offset=3&total=true', { items: [3, 4, 5], totalCount: 7, more: true }],
    ['limit=3&offset=6', { items: [6], totalCount: undefined, more: false }],
    ['offset=7', { items: [], totalCount: undefined, more: false }],
    ['offset=700&total=true', { items: [], totalCount: 7, more: false }],
    ['limit=3&total=true&paging_mode=standard_cursor', { items: [0, 1, 2], totalCount: undefined, more: true }],
  ])('%j', (query, expected) => {
    const page = pageOf(query);
    expect(page.items).toEqual(expected.items);
    expect(page.totalCount).toBe(expected.totalCount);
    expect(page.nextCursor !== undefined).toBe(expected.more);
  });

  it('continues from a cursor and ignores offset in cursor mode', () => {
    const first = pageOf('limit=3&paging_mode=standard_cursor');
    const second = pageOf(`limit=3&offset=0&paging_mode=standard_cursor&cursor=${first.nextCursor}`);
    expect(second.items).toEqual([3, 4, 5]);
  });

  it('ignores a cursor in standard mode', () => {
    const first = pageOf('limit=3&paging_mode=standard_cursor');
    expect(pageOf(`limit=3&cursor=${first.nextCursor}`).items).toEqual([0, 1, 2]);
  });

  it('cuts an oversized limit to the maximum', () => {
    expect(readPageRequest(new URLSearchParams('limit=100000'), KEY).limit).toBe(MAX_LIMIT);
  });

  it.each([
    'limit=0',
    'limit=-1',
    'limit=ten',
    'offset=-1',
    'total=yes',
    'paging_mode=fast',
    'paging_mode=standard_cursor&cursor=garbage',
  ])('refuses %j', (query) => {
    expect(() => readPageRequest(new URLSearchParams(query), KEY)).toThrow(ApiError);
  });

  it('refuses a cursor issued for another query', () => {
    const first = pageOf('limit=3&paging_mode=standard_cursor');
    const otherKey = queryKeyOf('/w', new URLSearchParams('name=y'));
    expect(() => pageOf(`paging_mode=standard_cursor&cursor=${first.nextCursor}`, otherKey)).toThrow(ApiError);
  });

  it('identifies a query by its filters, whatever their order, without the paging parameters', () => {
    expect(queryKeyOf('/w', new URLSearchParams('b=2&a=1&limit=5&cursor=x'))).toBe(
      queryKeyOf('/w', new URLSearchParams('a=1&b=2')),
    );
  });
});
