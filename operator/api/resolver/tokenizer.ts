import { ResolverSyntaxError } from './errors.ts';

/**
 * Literal-text escaping: a backslash makes the next special character literal, so a Default Search
 * name can contain '=' or ',' (`Smith\, Jones`) and any value can contain brackets (`\[draft\]`).
 * A backslash was chosen over double quotes because YAML silently strips the outer quotes of a
 * plain `resolver: "a=b"`, which would turn a quoted name back into an invalid one.
 * Only these characters may follow a backslash; anything else is an error rather than a guess,
 * so a stray backslash (`Client\Matter`) is reported instead of silently vanishing.
 */
export const ESCAPABLE = ['\\', '[', ']', '=', ','] as const;

export type TokenKind = 'open' | 'close' | 'equals' | 'comma' | 'dot' | 'space' | 'word' | 'escape' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The characters it stands for; for an escape, the escaped character alone. */
  readonly text: string;
  /** 1-based column of its first character, counted in code points. */
  readonly column: number;
}

const PUNCTUATION: ReadonlyMap<string, TokenKind> = new Map([
  ['[', 'open'],
  [']', 'close'],
  ['=', 'equals'],
  [',', 'comma'],
  ['.', 'dot'],
]);

function isSpace(ch: string): boolean {
  return /^\s$/u.test(ch);
}

/** A word runs until whitespace, punctuation or a backslash. */
function isWordChar(ch: string): boolean {
  return !isSpace(ch) && !PUNCTUATION.has(ch) && ch !== '\\';
}

/** Splits a resolver into tokens; the last token is always `end`. Columns count code points. */
export function tokenize(input: string): Token[] {
  const chars = Array.from(input);
  const tokens: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const token = readToken(chars, i);
    tokens.push(token.token);
    i = token.next;
  }
  tokens.push({ kind: 'end', text: '', column: chars.length + 1 });
  return tokens;
}

function readToken(chars: readonly string[], start: number): { token: Token; next: number } {
  const ch = chars[start]!;
  const column = start + 1;
  const punctuation = PUNCTUATION.get(ch);
  if (punctuation !== undefined) return { token: { kind: punctuation, text: ch, column }, next: start + 1 };
  if (ch === '\\') return readEscape(chars, start);
  const kind: TokenKind = isSpace(ch) ? 'space' : 'word';
  const belongs = kind === 'space' ? isSpace : isWordChar;
  let end = start + 1;
  while (end < chars.length && belongs(chars[end]!)) end++;
  return { token: { kind, text: chars.slice(start, end).join(''), column }, next: end };
}

function readEscape(chars: readonly string[], start: number): { token: Token; next: number } {
  const escaped = chars[start + 1];
  if (escaped === undefined || !(ESCAPABLE as readonly string[]).includes(escaped)) {
    const what = escaped === undefined ? 'ends the resolver' : `is followed by '${escaped}'`;
    throw new ResolverSyntaxError(
      'InvalidEscape',
      start + 1,
      `'\\' ${what}, but it may only escape ${ESCAPABLE.map((c) => `'${c}'`).join(' ')}`,
      "write '\\\\' for a literal backslash",
    );
  }
  return { token: { kind: 'escape', text: escaped, column: start + 1 }, next: start + 2 };
}

const ESCAPABLE_UNITS: ReadonlySet<number> = new Set(ESCAPABLE.map((c) => c.charCodeAt(0)));

/**
 * Text that reads back as exactly `text` when tokenized (the inverse of escaping). By UTF-16 unit:
 * every escapable character is ASCII, never half of a pair. Text without one, the usual case (the
 * repository controller formats its resolvers on every reconcile), is returned as it is.
 */
export function escapeText(text: string): string {
  let escaped = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (!ESCAPABLE_UNITS.has(text.charCodeAt(i))) continue;
    escaped += `${text.slice(from, i)}\\${text[i]}`;
    from = i + 1;
  }
  return from === 0 ? text : escaped + text.slice(from);
}
