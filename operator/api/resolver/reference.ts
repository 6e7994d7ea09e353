import { ResolverSyntaxError } from './errors.ts';
import type { Token } from './tokenizer.ts';
import type { TokenStream } from './token-stream.ts';
import type { TemplatePart } from './types.ts';
import { WORK_ITEM_ROOT, lookupWorkItemPath, unknownWorkItemPathFix } from './workitem-model.ts';

const LITERAL_OPEN = "write '\\[' for a literal '['";

/**
 * reference := '[' space? path space? ']'    path := word ('.' word)*
 * The stream is at the '['. Spaces are allowed just inside the brackets, never within the path.
 */
export function parseReference(stream: TokenStream): TemplatePart {
  const open = stream.next();
  stream.skipSpace();
  const path: Token[] = [];
  for (;;) {
    const token = stream.peek();
    switch (token.kind) {
      case 'word':
      case 'dot':
        path.push(stream.next());
        break;
      case 'space':
        stream.next();
        if (isPathToken(stream.peek())) throw badTokenInReference(stream, token, open, path, 'a space');
        break;
      case 'close':
        stream.next();
        return checkedReference(open, path);
      case 'open':
        throw nestedBracket(token, open, path);
      case 'end':
        throw unclosedBracket(open, path);
      default:
        throw badTokenInReference(stream, token, open, path, `'${token.text}'`);
    }
  }
}

function isPathToken(token: Token): boolean {
  return token.kind === 'word' || token.kind === 'dot';
}

function pathText(path: readonly Token[]): string {
  return path.map((token) => token.text).join('');
}

function closeFix(path: readonly Token[]): string {
  return path.length === 0
    ? `write a path and ']', e.g. '[workitem.title]', or ${LITERAL_OPEN}`
    : `add ']' after '${pathText(path)}'`;
}

function unclosedBracket(open: Token, path: readonly Token[]): ResolverSyntaxError {
  return new ResolverSyntaxError('UnclosedBracket', open.column, "'[' is never closed", closeFix(path));
}

function nestedBracket(token: Token, open: Token, path: readonly Token[]): ResolverSyntaxError {
  return new ResolverSyntaxError(
    'NestedBracket',
    token.column,
    `'[' opens inside the reference opened at column ${open.column}; references cannot be nested`,
    `${closeFix(path)} to close that reference first, or ${LITERAL_OPEN}`,
  );
}

/** A character a path cannot hold; if no ']' follows at all, the real mistake is the missing ']'. */
function badTokenInReference(
  stream: TokenStream,
  token: Token,
  open: Token,
  path: readonly Token[],
  what: string,
): ResolverSyntaxError {
  if (!stream.hasCloseAhead()) return unclosedBracket(open, path);
  return new ResolverSyntaxError(
    'InvalidReference',
    token.column,
    `${what} cannot appear in the reference opened at column ${open.column}`,
    `a reference is a path such as '[workitem.client.reference]'; ${closeFix(path)}`,
  );
}

function checkedReference(open: Token, path: readonly Token[]): TemplatePart {
  if (path.length === 0) {
    throw new ResolverSyntaxError(
      'EmptyReference',
      open.column,
      "'[]' names no work-item value",
      `write a path such as '[workitem.title]', or write '\\[' and '\\]' for literal brackets`,
    );
  }
  checkSegments(path);
  checkRoot(path);
  checkDeclared(path);
  return { kind: 'ref', path: pathText(path), column: open.column };
}

/** Words and dots must alternate, starting and ending with a word: no `a..b`, `.a` or `a.`. */
function checkSegments(path: readonly Token[]): void {
  path.forEach((token, i) => {
    const expected = i % 2 === 0 ? 'word' : 'dot';
    const last = i === path.length - 1;
    if (token.kind === expected && !(last && token.kind === 'dot')) return;
    throw new ResolverSyntaxError(
      'InvalidReference',
      token.column,
      `'${pathText(path)}' has an empty segment`,
      "separate names with single dots, e.g. '[workitem.client.reference]'",
    );
  });
}

function checkRoot(path: readonly Token[]): void {
  const root = path[0]!.text;
  if (root === WORK_ITEM_ROOT) return;
  throw new ResolverSyntaxError(
    'UnknownRoot',
    path[0]!.column,
    `reference '${pathText(path)}' does not start with '${WORK_ITEM_ROOT}.'`,
    rootFix(path),
  );
}

function rootFix(path: readonly Token[]): string {
  const text = pathText(path);
  if (path[0]!.text.toLowerCase() === WORK_ITEM_ROOT) {
    return `write '${WORK_ITEM_ROOT}' in lower case: '[${WORK_ITEM_ROOT}${text.slice(path[0]!.text.length)}]'`;
  }
  if (lookupWorkItemPath(text) !== undefined) return `write '[${WORK_ITEM_ROOT}.${text}]'`;
  return `references start with '${WORK_ITEM_ROOT}.', e.g. '[${WORK_ITEM_ROOT}.title]'; ${LITERAL_OPEN}`;
}

function checkDeclared(path: readonly Token[]): void {
  const underRoot = pathText(path.slice(2));
  if (lookupWorkItemPath(underRoot) !== undefined) return;
  const what =
    underRoot === '' ? `'${WORK_ITEM_ROOT}' alone is not a value` : `'${pathText(path)}' is not a work-item value`;
  throw new ResolverSyntaxError('UnknownWorkItemPath', path[0]!.column, what, unknownWorkItemPathFix(underRoot));
}
