import type { ParsedResolver, Template } from './types.ts';

export type TemplateResult = { ok: true; value: string } | { ok: false; missingPath: string };
export type ResolverResult = { ok: true; query: Record<string, string> } | { ok: false; missingPath: string };

/**
 * Fills a template from a work item shaped like the model in workitem-model.ts (e.g.
 * `{ title: 'X', client: { reference: 'C1' } }`). Strings and finite numbers count as values; a
 * missing, empty or other-typed value is reported, since searching iManage with '' would match
 * the wrong workspaces. Accepts any value and never throws: it also runs on user-supplied samples.
 */
export function resolveTemplate(t: Template, workItem: unknown): TemplateResult {
  let value = '';
  for (const part of t) {
    if (part.kind === 'text') {
      value += part.text;
      continue;
    }
    const found = readPath(workItem, part.path);
    if (found === undefined) return { ok: false, missingPath: part.path };
    value += found;
  }
  return { ok: true, value };
}

/** The iManage search query for a work item: `{ name }` or one entry per criterion field. */
export function evaluateResolver(r: ParsedResolver, workItem: unknown): ResolverResult {
  const terms = r.mode === 'DefaultSearch' ? [{ field: 'name', value: r.name }] : r.criteria;
  const query: Record<string, string> = {};
  for (const { field, value } of terms) {
    const resolved = resolveTemplate(value, workItem);
    if (!resolved.ok) return resolved;
    query[field] = resolved.value;
  }
  return { ok: true, query };
}

/** `path` is a full reference path; its first segment is the `workitem` root, i.e. the object itself. */
function readPath(workItem: unknown, path: string): string | undefined {
  let current = workItem;
  for (const segment of path.split('.').slice(1)) {
    // Own properties only: a sample must not resolve 'constructor' or '__proto__' via its prototype.
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return asSearchValue(current);
}

function asSearchValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
