// A resolver's query ({ name } or { customN: value, … }) as the query parameters of a workspace
// search, "as the fields allow" (shared/imanage-api.md): name and custom1…custom16, custom29,
// custom30 are strings matched whole and case-insensitively; custom17…custom20 are numbers;
// custom21…custom24 are dates, searched with _from/_to (both set to the value: that exact date);
// custom25…custom28 are booleans. A value a field cannot hold is refused here, before any request,
// naming the field and the fix, rather than sent and answered with a 400 or a broader search.

export type FieldKind = 'text' | 'number' | 'date' | 'boolean';

/** A resolver value that its search field cannot hold (e.g. custom25=yes). */
export class InvalidSearchValue extends Error {
  override readonly name = 'InvalidSearchValue';
  readonly field: string;
  readonly fix: string;

  constructor(field: string, value: string, fix: string) {
    super(`${field}='${value}' cannot be searched: ${fix}`);
    this.field = field;
    this.fix = fix;
  }
}

export function fieldKind(field: string): FieldKind {
  const n = /^custom(\d+)$/.exec(field)?.[1];
  const number = n === undefined ? 0 : Number(n);
  if (number >= 17 && number <= 20) return 'number';
  if (number >= 21 && number <= 24) return 'date';
  if (number >= 25 && number <= 28) return 'boolean';
  return 'text';
}

/** The search parameters for a query; field order is the resolver's (it is also the cache key's). */
export function workspaceSearchParams(query: Readonly<Record<string, string>>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [field, raw] of Object.entries(query)) {
    const value = raw.trim();
    switch (fieldKind(field)) {
      case 'text':
        params.set(field, value);
        break;
      case 'number':
        if (!Number.isFinite(Number(value)) || value === '') {
          throw new InvalidSearchValue(field, value, `${field} holds numbers; write a number such as 42`);
        }
        params.set(field, value);
        break;
      case 'date':
        if (Number.isNaN(Date.parse(value))) {
          throw new InvalidSearchValue(field, value, `${field} holds dates; write one such as 2024-03-01T00:00:00Z`);
        }
        params.set(`${field}_from`, value);
        params.set(`${field}_to`, value);
        break;
      case 'boolean':
        if (!/^(true|false)$/i.test(value)) {
          throw new InvalidSearchValue(field, value, `${field} holds true or false`);
        }
        params.set(field, value.toLowerCase());
        break;
    }
  }
  return params;
}
