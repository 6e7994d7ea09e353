import { escapeText } from './tokenizer.ts';
import type { ParsedResolver, Template } from './types.ts';

/** The canonical resolver string: parses back to the same structure (columns aside). */
export function formatResolver(r: ParsedResolver): string {
  if (r.mode === 'DefaultSearch') return formatTemplate(r.name);
  return r.criteria.map((criterion) => `${criterion.field}=${formatTemplate(criterion.value)}`).join(', ');
}

/** One line for logs, status and dry runs: the mode, a space, then the canonical resolver string. */
export function describeResolver(r: ParsedResolver): string {
  return `${r.mode} ${formatResolver(r)}`;
}

export function formatTemplate(t: Template): string {
  return t.map((part) => (part.kind === 'ref' ? `[${part.path}]` : escapeText(part.text))).join('');
}
