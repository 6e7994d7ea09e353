// One copy of each repeated string in the informers' caches.
//
// JSON.parse makes a new string for every value it reads, so 6,000 cached objects hold 6,000
// copies of their apiVersion and namespace, and the repositories' statuses one copy per repository
// of the same workspace and folder names, condition reasons, messages and timestamps. A heap
// snapshot of the operator with 1,000 connections and 5,000 repositories found 12.6 MiB of its
// 58 MiB live heap in such copies (docs/scale.md). Replacing each short value by the first copy
// the table saw lets the garbage collector free the others.
//
// The table is bounded: when full, the oldest entry goes. Values that are unique by nature
// (uid, resourceVersion) are left alone so that they do not push the repeated ones out, and the
// payload of a Secret or ConfigMap (data, stringData, binaryData) is never walked: a value the
// table keeps outlives the object it came from, and a Secret's values must not.

/** Strings longer than this are rarely repeated exactly (or are payloads): they are not interned. */
export const defaultMaxInternedLength = 512;
/**
 * Enough for the names, reasons and messages of thousands of objects. The table holds at most
 * 4 MiB of strings of its own (8,192 of 512 characters; most are far shorter, and most are the
 * very strings the cached objects hold, so they cost nothing more).
 */
export const defaultMaxInternedEntries = 8_192;

export class StringTable {
  readonly #values = new Map<string, string>();
  readonly #maxEntries: number;
  readonly #maxLength: number;

  constructor(maxEntries = defaultMaxInternedEntries, maxLength = defaultMaxInternedLength) {
    this.#maxEntries = maxEntries;
    this.#maxLength = maxLength;
  }

  get size(): number {
    return this.#values.size;
  }

  has(value: string): boolean {
    return this.#values.has(value);
  }

  /** The copy of `value` the table holds (kept from now on, if there is none yet and it is short). */
  intern(value: string): string {
    if (value.length > this.#maxLength) return value;
    const known = this.#values.get(value);
    if (known !== undefined) return known;
    if (this.#values.size >= this.#maxEntries) this.#values.delete(this.#values.keys().next().value!);
    this.#values.set(value, value);
    return value;
  }
}

/** Keys whose values are unique per object or version: interning them would only evict others. */
const UNIQUE_VALUES: ReadonlySet<string> = new Set(['uid', 'resourceVersion']);
/** Top-level keys that hold a Secret's or ConfigMap's payload: never kept in the table. */
const PAYLOADS: ReadonlySet<string> = new Set(['data', 'stringData', 'binaryData']);

// Indexed loops, not for…of: under nodeProfile memory's --no-opt every step of an array iterator is an
// object of its own, and this walks every field of every watch event (41 MiB allocated here in a
// run at 1,000 connections with for…of, 12 MiB without).

/** Replaces, in place, every string value of `object` by the table's copy; returns `object`. */
export function internStrings<T extends object>(object: T, table: StringTable): T {
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!PAYLOADS.has(key)) record[key] = interned(record[key], key, table);
  }
  return object;
}

function interned(value: unknown, key: string | undefined, table: StringTable): unknown {
  if (typeof value === 'string') return key !== undefined && UNIQUE_VALUES.has(key) ? value : table.intern(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = interned(value[i], undefined, table);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    for (let i = 0; i < keys.length; i++) record[keys[i]!] = interned(record[keys[i]!], keys[i], table);
  }
  return value;
}
