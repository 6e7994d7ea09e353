import { describe, expect, it } from 'vitest';
import { GrantNotSupported, IManageOAuthError, InvalidGrant, RateLimited } from './oauth-errors.ts';
import { IManageError } from './typed-errors.ts';
import { LibraryNotFound, Unauthorized, WorkApiError } from './work-errors.ts';

describe('iManage error families', () => {
  it.each([
    [
      new InvalidGrant('refused', { serverCode: 'invalid_grant', httpStatus: 400 }),
      IManageOAuthError,
      'InvalidGrant',
      false,
    ],
    [new GrantNotSupported('no'), IManageOAuthError, 'GrantNotSupported', false],
    [new RateLimited('slow down', 5_000), IManageOAuthError, 'RateLimited', true],
    [new Unauthorized('expired', { httpStatus: 401 }), WorkApiError, 'Unauthorized', true],
    [new LibraryNotFound('no library'), WorkApiError, 'LibraryNotFound', false],
  ] as const)(
    '%s belongs to its family only, names its kind and says whether to retry',
    (error, family, failure, retryable) => {
      expect(error).toBeInstanceOf(family);
      expect(error).toBeInstanceOf(IManageError);
      expect(error).not.toBeInstanceOf(family === WorkApiError ? IManageOAuthError : WorkApiError);
      expect(error.name).toBe(failure);
      expect(error.failure).toBe(failure);
      expect(error.retryable).toBe(retryable);
    },
  );

  it('keeps what the server said in code form, and the cause', () => {
    const cause = new Error('socket hang up');
    const error = new InvalidGrant('refused', { serverCode: 'invalid_grant', httpStatus: 400, cause });
    expect(error).toMatchObject({ serverCode: 'invalid_grant', httpStatus: 400, cause });
  });
});
