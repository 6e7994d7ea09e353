// Issue 18, finding 1: every pattern the operator runs over a server's text is handed a bounded
// input, whatever the server sends. Time is not asserted (tests never do; bench/redos.ts prints the
// figures): what is asserted is that no regular expression ever sees more than the bound, which is
// what keeps a backtracking pattern from turning 1 MiB of `token.` into minutes of CPU.

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { retryAfterMs } from './delays.ts';
import { excerpt, MAX_SCANNED_CHARACTERS, oauthErrorCode } from './excerpt.ts';
import { classifyAuthorize, MAX_AUTHORIZE_BODY } from './registration.ts';
import { errorFromResponse } from './work-errors.ts';
import { serverTextReaders } from './redos-inputs.ts';

const MIB = 1 << 20;

/** The longest string any RegExp was run over since the last reset (V8 calls `exec` for test/replace/matchAll once the prototype is patched). */
let longestSeen = 0;
const originalExec = RegExp.prototype.exec;

beforeEach(() => {
  longestSeen = 0;
  RegExp.prototype.exec = function (this: RegExp, input: string) {
    longestSeen = Math.max(longestSeen, String(input).length);
    return originalExec.call(this, input);
  };
});
afterEach(() => {
  RegExp.prototype.exec = originalExec;
});

const runs = ['token.', 'a.', 'a-', 'secret=', 'Bearer ', 'eyJ-', '"token": "', 'password: ', '=', ' '];

/** 1 MiB of one run or of a mix of runs, the shapes that made the former masks backtrack. */
const adversarial = fc.array(fc.constantFrom(...runs), { minLength: 1, maxLength: 4 }).map((parts) =>
  parts
    .join('')
    .repeat(Math.ceil(MIB / parts.join('').length))
    .slice(0, MIB),
);

describe('regular expressions over server text see a bounded input', () => {
  it('the spy sees what a pattern is handed (so the bound below is measured, not assumed)', () => {
    /a/.test('x'.repeat(5000));
    expect(longestSeen).toBe(5000);
  });

  it.each(serverTextReaders.map((reader) => [reader[0], reader] as const))('%s', (_title, reader) => {
    const [name, read, bound, prepare = (t: string) => t] = reader;
    let slowest = 0;
    let widest = 0;
    // fc.check, not fc.assert: a failure names the input's first characters, not all 1 MiB of them.
    const run = fc.check(
      fc.property(adversarial, (text) => {
        const input = prepare(text);
        longestSeen = 0;
        const started = performance.now();
        read(input);
        slowest = Math.max(slowest, performance.now() - started);
        widest = Math.max(widest, longestSeen);
        return longestSeen <= bound;
      }),
      { numRuns: 12 },
    );
    // Printed, never asserted: bench/redos.ts holds the figures against the 50 ms bar.
    console.log(
      `${name}: slowest of 12 runs over 1 MiB ${slowest.toFixed(1)} ms; longest text a pattern saw ${widest} (bound ${bound})`,
    );
    const failing = run.counterexample?.[0];
    expect(failing === undefined ? 'none' : `${failing.slice(0, 40)}… (a pattern saw ${longestSeen})`).toBe('none');
  });
});

describe('what the bounds keep', () => {
  it('an excerpt of 1 MiB is as short as one of a page', () => {
    expect(excerpt('x '.repeat(MIB)).length).toBeLessThanOrEqual(80);
  });

  it('a secret cut in two by the scan bound does not show its head', () => {
    const token = 'Q'.repeat(40);
    const text = `${' '.repeat(MAX_SCANNED_CHARACTERS - 10)}${token} tail`;
    expect(excerpt(text)).not.toContain('QQQQ');
  });

  it('nor when control characters, not spaces, stand before it', () => {
    const token = 'Q'.repeat(40);
    const text = `${'\u0000'.repeat(MAX_SCANNED_CHARACTERS - 10)}${token} tail`;
    expect(excerpt(text)).not.toContain('QQQQ');
  });

  it('a window that is one long word still shows its start', () => {
    expect(excerpt(`${'token.'.repeat(1000)}`)).toMatch(/^token\.token\./);
  });

  it('a known secret straddling the scan bound is masked, not cut', () => {
    const secret = 'hunter2-is-my-secret';
    const text = `${' '.repeat(MAX_SCANNED_CHARACTERS - 5)}${secret} x`;
    expect(excerpt(text, 80, [secret])).not.toContain('hunt');
  });

  it('the authorize page is searched only as far as its bound', () => {
    const late = `${'x'.repeat(MAX_AUTHORIZE_BODY)}<form>`;
    expect(classifyAuthorize({ status: 200, body: late }, 'https://a.example/cb').kind).toBe('Unrecognised');
  });

  it.each([
    ['a long run of digits is still a delay', '9'.repeat(400), 3_600_000],
    ['a long non-date is unreadable', `Mon, 23 Nov 2026 12:01:00 GMT${' x'.repeat(100)}`, undefined],
  ])('Retry-After: %s', (_t, value, expected) => {
    expect(retryAfterMs(value, new Date('2026-11-23T12:00:00Z'))).toBe(expected);
  });

  it('a long error= value is not an OAuth code', () => {
    expect(oauthErrorCode('a'.repeat(MIB))).toBeUndefined();
  });

  it('a Work API error body of 1 MiB becomes a short message', () => {
    const body = JSON.stringify({ error: { code: 'A'.repeat(MIB), code_message: 'token.'.repeat(MIB / 6) } });
    const error = errorFromResponse(400, new Headers(), body, 'searching', 'object', new Date());
    expect(error.message.length).toBeLessThan(200);
    expect(error.serverCode).toBeUndefined();
  });
});
