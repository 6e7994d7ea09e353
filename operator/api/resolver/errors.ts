/** Reasons a resolver string is rejected; PascalCase so they can be used as condition reasons. */
export type ResolverErrorCode =
  | 'EmptyResolver'
  | 'InvalidEscape'
  | 'UnclosedBracket'
  | 'NestedBracket'
  | 'StrayClosingBracket'
  | 'EmptyReference'
  | 'InvalidReference'
  | 'UnknownRoot'
  | 'UnknownWorkItemPath'
  | 'UnknownField'
  | 'DuplicateField'
  | 'EmptyValue'
  | 'TrailingComma'
  | 'UnexpectedToken';

/**
 * The only error `parseResolver` throws. The message reads `column <n>: <problem>; <fix>` so it can
 * be shown as is in a status condition; callers branch on `code`, never on the message.
 */
export class ResolverSyntaxError extends Error {
  override readonly name = 'ResolverSyntaxError';
  readonly code: ResolverErrorCode;
  /** 1-based, counted in Unicode code points. */
  readonly column: number;
  /** What to change in the resolver string to make it valid. */
  readonly fix: string;

  constructor(code: ResolverErrorCode, column: number, problem: string, fix: string) {
    super(`column ${column}: ${problem}; ${fix}`);
    this.code = code;
    this.column = column;
    this.fix = fix;
  }
}
