// Workspace search filters. Pure: query parameters in, a predicate out.
// Documented rules [C, iManCloudCore doc comments]: name matches the whole field, case-insensitive,
// no partial match, no wildcard; alias fields match a whole alias, case-insensitive. The rest is
// assumption: search-matching.
import type { Workspace } from '../state/model.ts';
import { customFieldKind } from './custom-fields.ts';
import { invalid, PAGING_PARAMS } from './paging.ts';

export type WorkspaceFilter = (w: Workspace) => boolean;

/** Accepted and ignored: they change presentation, not which workspaces match. */
const IGNORED = ['timezone_offset', 'language'];

/** Documented by iManage but not simulated: refused rather than ignored (assumption: unknown-search-parameters). */
const NOT_IMPLEMENTED = new Set([
  'anywhere',
  'create_date',
  'edit_date',
  'facets',
  'file_target',
  'results',
  'sort_order',
  ...[21, 22, 23, 24].map((n) => `custom${n}_relative`),
]);

type FilterFactory = (value: string, name: string) => WorkspaceFilter;

const FACTORIES: Readonly<Record<string, FilterFactory>> = {
  name: (v) => (w) => sameText(w.name, v),
  description: (v) => (w) => hasWords(w.description, v),
  owner: (v) => (w) => wildcardMatch(w.owner, v),
  name_or_description: (v) => (w) => wildcardMatch(w.name, v) || wildcardMatch(w.description, v),
  include_ids: (v) => {
    const ids = new Set(v.split(',').map((id) => id.trim().toLowerCase()));
    return (w) => ids.has(w.id.toLowerCase());
  },
  ...customFieldFactories(),
};

/** Every filter in `params`; `extraAllowed` are endpoint parameters that are not filters (libraries=). */
export function workspaceFilters(params: URLSearchParams, extraAllowed: readonly string[] = []): WorkspaceFilter[] {
  const filters: WorkspaceFilter[] = [];
  for (const name of new Set(params.keys())) {
    if (PAGING_PARAMS.includes(name) || IGNORED.includes(name) || extraAllowed.includes(name)) continue;
    const factory = FACTORIES[name];
    if (!factory) {
      const why = NOT_IMPLEMENTED.has(name) ? 'is documented by iManage but not simulated' : 'is not a known parameter';
      throw invalid(name, `${why} (parameter names are case-sensitive)`);
    }
    const values = params.getAll(name);
    if (values.length > 1) throw invalid(name, 'may be given once');
    const value = values[0] ?? '';
    if (value === '') throw invalid(name, 'must not be empty');
    filters.push(factory(value, name));
  }
  return filters;
}

export function matchesAll(w: Workspace, filters: readonly WorkspaceFilter[]): boolean {
  return filters.every((f) => f(w));
}

function customFieldFactories(): Record<string, FilterFactory> {
  const out: Record<string, FilterFactory> = {};
  for (let n = 1; n <= 30; n++) {
    const name = `custom${n}`;
    const kind = customFieldKind(name);
    if (kind === 'alias') out[name] = (v) => (w) => aliasMatches(w, name, v);
    if (kind === 'number') out[name] = numberFilter(name);
    if (kind === 'boolean') out[name] = booleanFilter(name);
    if (kind === 'date') {
      out[`${name}_from`] = (v) => dateBound(name, v, (date, bound) => date >= bound);
      out[`${name}_to`] = (v) => dateBound(name, v, (date, bound) => date <= bound);
    }
  }
  return out;
}

function aliasMatches(w: Workspace, field: string, wanted: string): boolean {
  const value = w.custom[field];
  return typeof value === 'object' && 'alias' in value && sameText(value.alias, wanted);
}

function numberFilter(field: string): FilterFactory {
  return (v) => {
    const wanted = Number(v);
    if (!Number.isFinite(wanted)) throw invalid(field, 'must be a number');
    return (w) => w.custom[field] === wanted;
  };
}

function booleanFilter(field: string): FilterFactory {
  return (v) => {
    if (v !== 'true' && v !== 'false') throw invalid(field, 'must be true or false');
    return (w) => w.custom[field] === (v === 'true');
  };
}

/** "If omitted or is invalid, there is no lower limit" — so an unparsable bound filters nothing [C]. */
function dateBound(field: string, v: string, keep: (date: number, bound: number) => boolean): WorkspaceFilter {
  const bound = Date.parse(v);
  if (Number.isNaN(bound)) return () => true;
  return (w) => {
    const value = w.custom[field];
    return typeof value === 'object' && 'date' in value && keep(Date.parse(value.date), bound);
  };
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Whole words, case-insensitive; `_` counts as a space; "quoted words" must appear together. */
export function hasWords(text: string, query: string): boolean {
  const words = (s: string): string[] =>
    s
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((x) => x !== '');
  const haystack = ` ${words(text).join(' ')} `;
  const quoted = /^"(.*)"$/.exec(query.trim());
  if (quoted) return haystack.includes(` ${words(quoted[1] ?? '').join(' ')} `);
  return words(query).some((word) => haystack.includes(` ${word} `));
}

/** Whole field, case-insensitive, `*` matching any run of characters. */
export function wildcardMatch(text: string, pattern: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'is').test(text);
}
