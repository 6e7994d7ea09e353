// What a remote server says is untrusted text: it may hold a credential a proxy echoed back, terminal
// escapes, or bidi overrides that make `kubectl describe` lie. Anything of it that reaches status,
// an Event or a log passes through here first: printable characters only, secret-looking values
// masked, a bounded length cut on a code point.

/** Longest excerpt of a server's words kept for status; long enough to tell a proxy page apart. */
export const MAX_EXCERPT_CHARACTERS = 80;

const MASK = '[masked]';

/** Keys whose values are credentials wherever they appear: `key=value`, `"key": "value"`, `key: value`. */
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]*(?:token|secret|passw(?:or)?d?|pwd|api[_-]?key|assertion|auth(?:orization)?|code|credential|session|cookie|signature|sig)[A-Za-z0-9_.-]*`;

const MASKS: readonly RegExp[] = [
  // Authorization schemes: Bearer, Basic, Negotiate, … followed by their credential.
  /\b(Bearer|Basic|Digest|Negotiate|NTLM|Token)\s+[^\s"',;&<>]+/gi,
  // key=value and key: value, quoted or not (JSON bodies, query strings, headers).
  new RegExp(String.raw`(\b${SECRET_KEY}"?\s*[:=]\s*"?)[^\s"',;&<>]+`, 'gi'),
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

function masked(text: string): string {
  return MASKS.reduce(
    (out, pattern) =>
      out.replace(pattern, (match: string, prefix?: string) =>
        typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${MASK}` : MASK,
      ),
    text,
  );
}

/** Cut to at most `max` code points, never inside a surrogate pair, and say that it was cut. */
function bounded(text: string, max: number): string {
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/** A short, printable, masked excerpt of untrusted text, for status and Events. */
export function excerpt(text: string, max = MAX_EXCERPT_CHARACTERS): string {
  // Mask before cutting, so that a cut never leaves the start of a secret behind its key.
  return bounded(masked(printable(text)), max);
}

/** An OAuth error code (RFC 6749 §5.2 uses lower-case ASCII and `_`); anything else is not repeated. */
export function oauthErrorCode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined; // malformed percent-encoding: not a code we could name
  }
  return /^[a-z][a-z0-9_]{0,39}$/.test(decoded) ? decoded : undefined;
}
