/** Literal text, or a reference to a work-item value written as `[workitem.<path>]`. */
export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  /** `path` is the full path as written, e.g. `workitem.client.reference`; `column` is the 1-based column of its `[`. */
  | { readonly kind: 'ref'; readonly path: string; readonly column: number };

/** Never has two text parts in a row, never an empty text part. */
export type Template = readonly TemplatePart[];

export interface Criterion {
  /** `name` or `custom1` … `custom30`. */
  readonly field: string;
  readonly value: Template;
}

export type ParsedResolver =
  /** Search on the workspace name (title). */
  | { readonly mode: 'DefaultSearch'; readonly name: Template }
  /** Search on workspace fields; at least one criterion, each field at most once. */
  | { readonly mode: 'AdvancedSearch'; readonly criteria: readonly Criterion[] };
