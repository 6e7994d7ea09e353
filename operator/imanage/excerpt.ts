// What a remote server says is untrusted text: it may hold a credential a proxy echoed back, terminal
// escapes, or bidi overrides that make `kubectl describe` lie. Anything of it that reaches status,
// an Event or a log passes through here first: printable characters only, secret-looking values
// masked, a bounded length cut on a code point.
//
// The text is cut BEFORE any regular expression sees it (issue 18, finding 1): the former key=value
// mask nested `[A-Za-z0-9_.-]*` around a keyword over the whole reply and backtracked cubically
// (16,000 characters of `token.` took 111 s and stopped the operator). Every pattern below is now
// handed at most MAX_SCANNED_CHARACTERS, and none nests a quantifier over overlapping classes.

/** Longest excerpt of a server's words kept for status; long enough to tell a proxy page apart. */
export const MAX_EXCERPT_CHARACTERS = 80;

/** The most of a server's text any pattern here is run over (a few excerpts' worth, whatever `max`). */
export const MAX_SCANNED_CHARACTERS = 1_024;

const MASK = '[masked]';

/** Words that make a key's value a credential wherever they appear: `key=value`, `"key": "value"`, `key: value`. */
const SECRET_WORD = /token|secret|passw|pwd|api[_-]?key|assertion|auth|code|credential|session|cookie|sig/i;

const KEY_CHARACTER = /[A-Za-z0-9_.-]/;

/** `=` or `:`, optionally after a closing quote and around one space (text is whitespace-collapsed first). */
const SEPARATOR = /"? ?[:=] ?"?/g;

/** The end of a value: the first character that cannot belong to it. */
const VALUE_END = /[\s"',;&<>]/g;

/** Each replaces what it finds by something no longer, so that the text they hand on stays within the bound. */
const PATTERN_MASKS: readonly RegExp[] = [
  // Authorization schemes: Bearer, Basic, Negotiate, … followed by their credential.
  /\b(?:Bearer|Basic|Digest|Negotiate|NTLM|Token) [^\s"',;&<>]+/gi,
  // A JWT anywhere, even without a key in front of it.
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  // Long opaque runs (hex, base64): tokens more often than words.
  /[A-Za-z0-9+/_=-]{32,}/g,
];

/**
 * Printable text only: C0/C1 controls (NUL, ESC, DEL …), bidi controls (U+202A–U+202E,
 * U+2066–U+2069, U+200E/F, U+061C), zero-width and other format characters, line and paragraph
 * separators, lone surrogates and private-use characters become one space each run.
 */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
}

/** One character that printable() turns into a space: where a word ends. */
const SPACE_LIKE = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\s]$/u;

/** The longest excerpt asked for: well inside the scanned text, so a cut at its end never shows. */
const MAX_ASKED_CHARACTERS = MAX_SCANNED_CHARACTERS / 4;

/**
 * The start of `text` that any pattern may see. Exact secrets are masked over a little more than
 * that, so that a cut never leaves the head of one behind; a word the cut went through is dropped
 * whole, so that the head of a long opaque token is not shown for being too short to look like one
 * (after runs of spaces collapse, that head could land inside the excerpt). A window that is one
 * word is kept: the excerpt shows its first characters, far from the cut.
 */
function scanned(text: string, known: readonly string[]): string {
  const longest = known.reduce((n, s) => Math.max(n, s.length), 0);
  let head = text.slice(0, MAX_SCANNED_CHARACTERS + longest);
  for (const secret of known) if (secret !== '') head = head.replaceAll(secret, MASK);
  const whole = text.length <= MAX_SCANNED_CHARACTERS + longest && head.length <= MAX_SCANNED_CHARACTERS;
  if (whole) return head;
  head = head.slice(0, MAX_SCANNED_CHARACTERS);
  let end = head.length;
  while (end > 0 && !SPACE_LIKE.test(head[end - 1]!)) end--;
  return end === 0 ? head : head.slice(0, end);
}

/** The key (a run of key characters) that ends at `end`; a linear walk back, no pattern. */
function keyBefore(text: string, end: number): string {
  let start = end;
  while (start > 0 && KEY_CHARACTER.test(text[start - 1]!)) start--;
  return text.slice(start, end);
}

/** `key=value` and `key: value`, quoted or not (JSON bodies, query strings, headers), for a secret-looking key. */
function maskedValues(text: string): string {
  let out = '';
  let copied = 0;
  for (const separator of text.matchAll(SEPARATOR)) {
    if (separator.index < copied) continue;
    if (!SECRET_WORD.test(keyBefore(text, separator.index))) continue;
    const valueStart = separator.index + separator[0].length;
    VALUE_END.lastIndex = valueStart;
    const valueEnd = VALUE_END.exec(text)?.index ?? text.length;
    if (valueEnd === valueStart) continue;
    out += `${text.slice(copied, valueStart)}${MASK}`;
    copied = valueEnd;
  }
  return out + text.slice(copied);
}

function masked(text: string): string {
  // Key/value masking last: it may lengthen the text (`t=a` → `t=[masked]`), and it runs no pattern after itself.
  return maskedValues(PATTERN_MASKS.reduce((out, pattern) => out.replace(pattern, MASK), text));
}

/** Cut to at most `max` code points, never inside a surrogate pair, and say that it was cut. */
function bounded(text: string, max: number): string {
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/**
 * A short, printable, masked excerpt of untrusted text, for status and Events. `known` are the
 * secret values the request sent (a client secret, a password): masked wherever they appear,
 * whatever key — or none — stands in front of them.
 */
export function excerpt(text: string, max = MAX_EXCERPT_CHARACTERS, known: readonly string[] = []): string {
  // Cut, then mask, then cut to `max`: masking first keeps a cut from leaving a secret's head behind its key.
  return bounded(masked(printable(scanned(text, known))), Math.min(max, MAX_ASKED_CHARACTERS));
}

/** The longest an OAuth error code can be written percent-encoded (40 characters, 3 each). */
const MAX_ENCODED_CODE = 120;

/** An OAuth error code (RFC 6749 §5.2 uses lower-case ASCII and `_`); anything else is not repeated. */
export function oauthErrorCode(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_ENCODED_CODE) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined; // malformed percent-encoding: not a code we could name
  }
  return /^[a-z][a-z0-9_]{0,39}$/.test(decoded) ? decoded : undefined;
}
