// iManage's token-endpoint error shapes → RFC 6749 bodies, and the codes they name (issue 19).
import { describe, expect, it } from 'vitest';
import { asRfc6749Error, normalizedOAuthCode } from './oauth-errors.ts';

describe('normalizedOAuthCode', () => {
  it.each([
    ['invalid_grant', 'invalid_grant'],
    ['INVALID_GRANT', 'invalid_grant'],
    ['invalidGrant', 'invalid_grant'],
    ['Invalid-Grant', 'invalid_grant'],
    ['NRC_INVALID_PROFILE', 'nrc_invalid_profile'],
    ['', undefined],
    ['x'.repeat(41), undefined],
    ['invalid grant; drop table', undefined],
    [42, undefined],
  ])('%j → %j', (raw, expected) => {
    expect(normalizedOAuthCode(raw)).toBe(expected);
  });
});

describe('asRfc6749Error', () => {
  it.each([
    ['RFC 6749 already', { error: 'invalid_grant', error_description: 'x' }, undefined],
    [
      "iManage's object",
      { error: { code: 'INVALID_GRANT', code_message: 'token expired', messages: [] } },
      { error: 'invalid_grant', error_description: 'token expired' },
    ],
    [
      'a generic code with the OAuth one in messages',
      {
        error: {
          code: 'UNAUTHORIZED',
          code_message: 'no',
          messages: [{ field: 'refresh_token', code: 'invalid_grant' }],
        },
      },
      { error: 'invalid_grant', error_description: 'no' },
    ],
    ['an unknown code, kept', { error: { code: 'NRC_SOMETHING' } }, { error: 'nrc_something' }],
    [
      'an array of objects',
      { error: [{ code: 'invalid_client', code_message: 'who?' }] },
      { error: 'invalid_client', error_description: 'who?' },
    ],
    ['an array of strings', { error: ['unsupported_grant_type', 'not allowed'] }, { error: 'unsupported_grant_type' }],
    ['no code anywhere', { error: { code_message: 'something' } }, undefined],
    ['not an object', 'invalid_grant', undefined],
  ])('%s', (_what, body, expected) => {
    expect(asRfc6749Error(body)).toEqual(expected);
  });
});
