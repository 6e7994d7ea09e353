import { describe, expect, it } from 'vitest';
import { InvalidSearchValue, workspaceSearchParams } from './search-request.ts';

describe('workspaceSearchParams', () => {
  it.each([
    [{ name: 'Clio Operate Instructions' }, 'name=Clio+Operate+Instructions'],
    [{ custom1: '12345', custom2: '00001' }, 'custom1=12345&custom2=00001'],
    [{ custom13: ' Text ' }, 'custom13=Text'],
    [{ custom17: '42' }, 'custom17=42'],
    [
      { custom21: '2024-03-01T00:00:00Z' },
      'custom21_from=2024-03-01T00%3A00%3A00Z&custom21_to=2024-03-01T00%3A00%3A00Z',
    ],
    [{ custom25: 'TRUE' }, 'custom25=true'],
    [{ custom30: 'x' }, 'custom30=x'],
  ])('%j → %s', (query, expected) => {
    expect(workspaceSearchParams(query).toString()).toBe(expected);
  });

  it.each([
    [{ custom17: 'many' }, 'custom17'],
    [{ custom22: 'yesterday' }, 'custom22'],
    [{ custom26: 'yes' }, 'custom26'],
  ])('refuses %j, naming %s and the fix', (query, field) => {
    let error: unknown;
    try {
      workspaceSearchParams(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidSearchValue);
    expect(error).toMatchObject({ field, fix: expect.stringContaining(field) });
  });
});
