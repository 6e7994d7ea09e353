import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './delays.ts';
import { excerpt, oauthErrorCode } from './excerpt.ts';
import { HostOverrides } from './network.ts';
import { classifyAuthorize, lintRedirectUri } from './registration.ts';

describe('lintRedirectUri', () => {
  it.each([
    ['https://acme.clioweb.com/externalServices/replyFrom', undefined],
    ['http://acme.clioweb.com/cb', 'does not start with https://'],
    ['https://Acme.clioweb.com/cb', 'has upper-case letters in its host'],
    ['https://acme.clioweb.com/Callback', undefined],
    ['https://acme.clioweb.com/cb/', "ends with '/'"],
    ['https://acme.clioweb.com/c b', 'contains whitespace'],
    [' https://acme.clioweb.com/cb', 'contains whitespace'],
    ['https://acme.clioweb.com/cb#x', 'has a fragment'],
  ])('%j → %j', (uri, problem) => expect(lintRedirectUri(uri)).toBe(problem));
});

describe('classifyAuthorize', () => {
  const uri = 'https://acme.clioweb.com/externalServices/replyFrom';
  it.each([
    [{ status: 302, location: 'https://acme.cloudimanage.com/auth/signin?x=1', body: '' }, 'Registered'],
    [{ status: 200, body: '<html><form method="post">Sign in</form></html>' }, 'Registered'],
    [{ status: 400, body: '{"error":"invalid_redirect_uri","error_description":"…"}' }, 'NotRegistered'],
    [{ status: 400, body: '<html>invalid_redirect_uri</html>' }, 'NotRegistered'],
    [{ status: 401, body: '{"error":"invalid_client"}' }, 'InvalidClient'],
    [{ status: 302, location: `${uri}?error=access_denied&state=s`, body: '' }, 'RedirectedWithError'],
    [{ status: 429, retryAfter: '5', body: '' }, 'RateLimited'],
    [{ status: 502, body: '<html>Bad gateway</html>' }, 'Unrecognised'],
    [{ status: 200, body: 'hello' }, 'Unrecognised'],
  ])('%j → %s', (res, kind) => expect(classifyAuthorize(res, uri).kind).toBe(kind));

  it('keeps a short, sanitised excerpt of a page it cannot tell', () => {
    expect(classifyAuthorize({ status: 502, body: '<h1>Bad   gateway</h1>' }, uri)).toEqual({
      kind: 'Unrecognised',
      httpStatus: 502,
      excerpt: '<h1>Bad gateway</h1>',
    });
  });

  it('repeats an error= value only when it is an OAuth error code', () => {
    const back = (error: string) =>
      classifyAuthorize({ status: 302, location: `${uri}?error=${error}`, body: '' }, uri);
    expect(back('access_denied')).toEqual({ kind: 'RedirectedWithError', error: 'access_denied' });
    expect(back(encodeURIComponent('Bearer CANARY-tok\u0000'))).toEqual({ kind: 'RedirectedWithError' });
  });

  it('bounds a Retry-After that setTimeout could not hold', () => {
    expect(classifyAuthorize({ status: 429, retryAfter: '99999999', body: '' }, uri)).toEqual({
      kind: 'RateLimited',
      retryAfterMs: 3_600_000,
    });
  });
});

describe('excerpt', () => {
  it.each([
    ['control characters and bidi overrides go', 'a\u0000b\u001b[31mc\u202Ed\u2066e\u200Bf', 'a b [31mc d e f'],
    ['a Bearer credential is masked', 'Authorization: Bearer abc.def-123', 'Authorization: [masked]'],
    ['client_secret= is masked', 'x=1&client_secret=s3cr3t&y=2', 'x=1&client_secret=[masked]&y=2'],
    [
      'token-ish JSON keys are masked',
      '{"access_token": "abc", "refresh_token":"def", "name":"n"}',
      '{"access_token": "[masked]", "refresh_token":"[masked]", "name":"n"}',
    ],
    ['a password is masked', 'password=hunter2', 'password=[masked]'],
    ['a JWT without a key is masked', 'got eyJhbGciOiJI.eyJzdWIiOiIxMjM0.sig', 'got [masked]'],
    ['a long opaque run is masked', `id ${'a1'.repeat(20)}`, 'id [masked]'],
    ['whitespace runs collapse', ' a \n\t b ', 'a b'],
  ])('%s', (_title, input, expected) => expect(excerpt(input)).toBe(expected));

  it('is bounded, and cut on a code point', () => {
    const cut = excerpt('😀'.repeat(200), 10);
    expect(Array.from(cut)).toHaveLength(10);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.isWellFormed()).toBe(true);
  });
});

describe('oauthErrorCode', () => {
  it.each([
    ['access_denied', 'access_denied'],
    ['server_error', 'server_error'],
    ['Bearer%20x', undefined],
    ['%E0%A4%A', undefined],
    ['a'.repeat(41), undefined],
    [undefined, undefined],
  ])('%j → %j', (value, code) => expect(oauthErrorCode(value)).toBe(code));
});

describe('retryAfterMs', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it.each([
    ['30', 30_000],
    [' 5 ', 5_000],
    ['Mon, 23 Nov 2026 12:01:00 GMT', 60_000],
    ['Mon, 23 Nov 2026 11:00:00 GMT', 0],
    ['99999999', 3_600_000],
    ['9'.repeat(400), 3_600_000],
    ['Fri, 31 Dec 9999 23:59:59 GMT', 3_600_000],
    ['soon', undefined],
    [undefined, undefined],
  ])('%j → %j', (value, ms) => expect(retryAfterMs(value, now)).toBe(ms));
});

describe('HostOverrides', () => {
  it('maps host:port to an address, host case-insensitively', () => {
    const o = new HostOverrides([
      'acme.cloudimanage.com:8443:127.0.0.1',
      'v6.example:443:[::1]',
      'cloudimanage.com:443:127.0.0.1:9443',
    ]);
    expect(o.get('ACME.cloudimanage.com', 8443)).toEqual({ address: '127.0.0.1', port: 8443 });
    expect(o.get('acme.cloudimanage.com', 443)).toBeUndefined();
    expect(o.get('v6.example', 443)).toEqual({ address: '::1', port: 443 });
    expect(o.get('cloudimanage.com', 443)).toEqual({ address: '127.0.0.1', port: 9443 });
  });

  it.each(['acme:443', 'acme:x:127.0.0.1', 'acme:443:not-an-ip'])('refuses %j', (entry) => {
    expect(() => new HostOverrides([entry])).toThrow(/host:port:address\[:port\]/);
  });
});
