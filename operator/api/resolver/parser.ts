/*
 * Grammar (tokens from tokenizer.ts; `space` is optional wherever it is shown):
 *
 *   resolver  := space (advanced | default) space end
 *   advanced  := criterion (space ',' space criterion)*      -- chosen when the input starts `word space '='`
 *   criterion := field space '=' space template               -- field is a word: name | custom1 … custom30
 *   default   := template                                     -- unescaped '=' and ',' are errors here
 *   template  := (text | reference)+                          -- text: words, dots, spaces, escapes
 *   reference := '[' space word ('.' word)* space ']'         -- see reference.ts
 *
 * Spaces at either end of a template are not part of it, so 'custom1 = x , custom2=y' is allowed.
 */
import { ResolverSyntaxError } from './errors.ts';
import { parseReference } from './reference.ts';
import { isSearchField, unknownFieldFix } from './search-fields.ts';
import { TokenStream } from './token-stream.ts';
import { tokenize, type Token } from './tokenizer.ts';
import type { Criterion, ParsedResolver, Template, TemplatePart } from './types.ts';

type Mode = ParsedResolver['mode'];

/**
 * Parses a resolver string; throws only ResolverSyntaxError. Parsing is pure, and the validator,
 * decide and the resolution plan all ask for the same strings (thousands of repositories share a
 * handful of resolvers), so each distinct string is parsed once: results and errors are kept,
 * frozen, in a bounded memo.
 */
export function parseResolver(input: string): ParsedResolver {
  let result = memo.get(input);
  if (result === undefined) {
    result = parseOrError(input);
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
    memo.set(input, result);
  }
  if (result instanceof ResolverSyntaxError) throw result;
  return result;
}

/** Enough for every resolver of a large cluster; the oldest entry goes first beyond it. */
const MEMO_ENTRIES = 4096;
const memo = new Map<string, ParsedResolver | ResolverSyntaxError>();

function parseOrError(input: string): ParsedResolver | ResolverSyntaxError {
  try {
    return deepFreeze(parse(input));
  } catch (error) {
    if (error instanceof ResolverSyntaxError) return error;
    throw error;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function parse(input: string): ParsedResolver {
  const stream = new TokenStream(tokenize(input));
  stream.skipSpace();
  if (stream.peek().kind === 'end') {
    throw new ResolverSyntaxError(
      'EmptyResolver',
      1,
      'the resolver is empty',
      "write a workspace name such as 'Clio Operate Document Templates' or criteria such as 'custom1=[workitem.reference]'",
    );
  }
  return startsAdvanced(stream) ? parseAdvanced(stream) : parseDefault(stream);
}

/** `identifier =` up front is what tells Advanced Search from a name; an escaped '=' never counts. */
function startsAdvanced(stream: TokenStream): boolean {
  if (stream.peek().kind !== 'word') return false;
  const after = stream.peek(1).kind === 'space' ? stream.peek(2) : stream.peek(1);
  return after.kind === 'equals';
}

function parseDefault(stream: TokenStream): ParsedResolver {
  return { mode: 'DefaultSearch', name: parseTemplate(stream, 'DefaultSearch') };
}

function parseAdvanced(stream: TokenStream): ParsedResolver {
  const criteria: Criterion[] = [];
  const seen = new Map<string, number>();
  for (;;) {
    criteria.push(parseCriterion(stream, seen));
    // parseTemplate stops only at ',' or the end.
    const separator = stream.next();
    if (separator.kind === 'end') return { mode: 'AdvancedSearch', criteria };
    stream.skipSpace();
    if (stream.peek().kind === 'end') throw trailingComma(separator);
  }
}

function trailingComma(comma: Token): ResolverSyntaxError {
  return new ResolverSyntaxError(
    'TrailingComma',
    comma.column,
    "',' is not followed by a criterion",
    "remove the trailing ',' or add a criterion such as 'custom2=[workitem.reference]' after it",
  );
}

function parseCriterion(stream: TokenStream, seen: Map<string, number>): Criterion {
  stream.skipSpace();
  const field = expectField(stream);
  checkDuplicate(field, seen);
  stream.skipSpace();
  const equals = expectEquals(stream, field);
  stream.skipSpace();
  const value = parseTemplate(stream, 'AdvancedSearch');
  if (value.length === 0) {
    throw new ResolverSyntaxError(
      'EmptyValue',
      equals.column,
      `'${field.text}' has no value after '='`,
      `write a value such as '${field.text}=[workitem.reference]', or remove the criterion`,
    );
  }
  seen.set(field.text, field.column);
  return { field: field.text, value };
}

function expectField(stream: TokenStream): Token {
  const token = stream.peek();
  if (token.kind !== 'word') {
    throw new ResolverSyntaxError(
      'UnexpectedToken',
      token.column,
      `expected a field name, found ${describeToken(token)}`,
      "write each criterion as 'field=value' and separate criteria with one ','",
    );
  }
  stream.next();
  if (!isSearchField(token.text)) {
    throw new ResolverSyntaxError(
      'UnknownField',
      token.column,
      `'${token.text}' is not a search field`,
      unknownFieldFix(token.text),
    );
  }
  return token;
}

function expectEquals(stream: TokenStream, field: Token): Token {
  const token = stream.next();
  if (token.kind !== 'equals') {
    throw new ResolverSyntaxError(
      'UnexpectedToken',
      token.column,
      `expected '=' after '${field.text}', found ${describeToken(token)}`,
      `write '${field.text}=<value>'`,
    );
  }
  return token;
}

/** iManage takes each search parameter once, so a second criterion on a field is a mistake. */
function checkDuplicate(field: Token, seen: ReadonlyMap<string, number>): void {
  const first = seen.get(field.text);
  if (first === undefined) return;
  throw new ResolverSyntaxError(
    'DuplicateField',
    field.column,
    `'${field.text}' is already set at column ${first}`,
    `remove one of the two '${field.text}' criteria`,
  );
}

function describeToken(token: Token): string {
  if (token.kind === 'end') return 'the end of the resolver';
  if (token.kind === 'space') return 'a space';
  if (token.kind === 'escape') return `'\\${token.text}'`;
  return `'${token.text}'`;
}

interface Piece {
  readonly part: TemplatePart;
  /** Unescaped whitespace, which is dropped at either end of a template. */
  readonly space: boolean;
}

/** Reads text and references up to the end, or up to ',' in Advanced Search. */
function parseTemplate(stream: TokenStream, mode: Mode): Template {
  const pieces: Piece[] = [];
  for (;;) {
    const token = stream.peek();
    if (token.kind === 'end' || (token.kind === 'comma' && mode === 'AdvancedSearch')) break;
    pieces.push(parsePiece(stream, token, mode));
  }
  return mergeText(trimSpace(pieces));
}

function parsePiece(stream: TokenStream, token: Token, mode: Mode): Piece {
  switch (token.kind) {
    case 'open':
      return { part: parseReference(stream), space: false };
    case 'close':
      throw new ResolverSyntaxError(
        'StrayClosingBracket',
        token.column,
        "']' has no matching '['",
        "remove it, or write '\\]' for a literal ']'",
      );
    case 'equals':
    case 'comma':
      throw unescapedSeparator(token, mode);
    default:
      stream.next();
      return { part: { kind: 'text', text: token.text }, space: token.kind === 'space' };
  }
}

function unescapedSeparator(token: Token, mode: Mode): ResolverSyntaxError {
  const literal = `write '\\${token.text}' for a literal '${token.text}'`;
  if (mode === 'AdvancedSearch') {
    return new ResolverSyntaxError(
      'UnexpectedToken',
      token.column,
      `'${token.text}' cannot appear in a value`,
      `separate criteria with ',' (e.g. 'custom1=a, custom2=b'), or ${literal}`,
    );
  }
  return new ResolverSyntaxError(
    'UnexpectedToken',
    token.column,
    `unescaped '${token.text}' in a Default Search name`,
    `${literal}, or for Advanced Search start with a field such as 'custom1='`,
  );
}

function trimSpace(pieces: readonly Piece[]): Piece[] {
  let start = 0;
  let end = pieces.length;
  while (start < end && pieces[start]!.space) start++;
  while (end > start && pieces[end - 1]!.space) end--;
  return pieces.slice(start, end);
}

/** Adjacent text (words, dots, spaces, escapes) becomes one part, so a template has one shape. */
function mergeText(pieces: readonly Piece[]): Template {
  const parts: TemplatePart[] = [];
  for (const { part } of pieces) {
    const last = parts.at(-1);
    if (part.kind === 'text' && last?.kind === 'text')
      parts[parts.length - 1] = { kind: 'text', text: last.text + part.text };
    else parts.push(part);
  }
  return parts;
}
