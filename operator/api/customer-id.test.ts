import { describe, expect, it } from 'vitest';
import { specCustomerId } from './customer-id.ts';

describe('specCustomerId', () => {
  it.each([
    [4021, '4021'],
    ['4021', '4021'],
    [0, '0'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ['acme_01', 'acme_01'],
    [undefined, undefined],
  ])('reads %j as %j', (customerId, text) => {
    expect(specCustomerId(customerId === undefined ? {} : { customerId })).toBe(text);
  });
});
