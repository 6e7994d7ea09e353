// A Map used as a least-recently-used cache: a Map keeps insertion order, so the first key is the
// one used longest ago. For caches whose entries are cheap to make again but must not grow without
// bound (key material, parsed certificates).

/** Sets `id` as the most recently used, dropping the least recently used entries over `max`. */
export function remember<T>(cache: Map<string, T>, id: string, value: T, max: number): void {
  cache.delete(id);
  cache.set(id, value);
  while (cache.size > max) cache.delete(cache.keys().next().value!);
}

/** The entry for `id`, now the most recently used; undefined when there is none. */
export function recall<T>(cache: Map<string, T>, id: string): T | undefined {
  const found = cache.get(id);
  if (found === undefined) return undefined;
  cache.delete(id);
  cache.set(id, found);
  return found;
}
