// Every function that runs a regular expression over text a remote server chose, with the most
// of that text any pattern in it may be handed. The property test (redos.property.test.ts) and
// bench/redos.ts go through this list: a new reader of server text joins it, and is then held to
// its bound by the test and timed by the bench.

import { ResponseBodyError } from 'openid-client';
import { retryAfterMs } from './delays.ts';
import { excerpt, MAX_SCANNED_CHARACTERS, oauthErrorCode } from './excerpt.ts';
import { toOAuthError } from './oauth-errors.ts';
import { classifyAuthorize, MAX_AUTHORIZE_BODY } from './registration.ts';
import { errorFromResponse } from './work-errors.ts';

/**
 * A name, a reader of one server text, the longest string any of its patterns may see, and how the
 * server's text is wrapped before it reaches the reader (a JSON body): done outside the timing.
 */
export type ServerTextReader = readonly [
  name: string,
  read: (input: string) => unknown,
  bound: number,
  prepare?: (text: string) => string,
];

const REDIRECT_URI = 'https://acme.example/cb';
const NOW = new Date('2026-11-23T12:00:00Z');
/** `location + ' ' + body`: what classifyAuthorize searches for OAuth error codes. */
const AUTHORIZE_BOUND = 8_192 + 1 + MAX_AUTHORIZE_BODY;

const oauthRefusal = (description: string) =>
  toOAuthError(
    new ResponseBodyError('refused', {
      cause: { error: description.slice(0, 64), error_description: description },
      response: new Response(null, { status: 400 }),
    }),
    'the refresh grant at acme.example',
  );

export const serverTextReaders: readonly ServerTextReader[] = [
  ['excerpt', (t) => excerpt(t), MAX_SCANNED_CHARACTERS],
  ['excerpt with the secrets the request sent', (t) => excerpt(t, 80, ['s3cr3t', 'hunter2']), MAX_SCANNED_CHARACTERS],
  ['oauthErrorCode (error= of a redirect)', (t) => oauthErrorCode(t), 120],
  ['an OAuth error_description', oauthRefusal, MAX_SCANNED_CHARACTERS],
  ['the authorize page', (t) => classifyAuthorize({ status: 200, body: t }, REDIRECT_URI), AUTHORIZE_BOUND],
  [
    'the authorize redirect',
    (t) => classifyAuthorize({ status: 302, location: `${REDIRECT_URI}?${t}`, body: t }, REDIRECT_URI),
    AUTHORIZE_BOUND,
  ],
  ['Retry-After', (t) => retryAfterMs(t, NOW), 64],
  [
    'a Work API error page',
    (t) => errorFromResponse(502, new Headers(), t, 'GET', 'object', NOW),
    MAX_SCANNED_CHARACTERS,
  ],
  [
    'a Work API error body',
    (body) => errorFromResponse(400, new Headers(), body, 'GET', 'object', NOW),
    MAX_SCANNED_CHARACTERS,
    // Within the 1 MiB a response may have: the code and the message share the server's text.
    (t) => JSON.stringify({ error: { code: t.slice(0, 1_000), code_message: t.slice(0, 1 << 19) } }),
  ],
];
