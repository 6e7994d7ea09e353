import { FIX, TS_TYPE } from '../api/schemas/index.ts';

/** Removes the keywords only the offline validator understands, recursively. */
export function stripOfflineKeywords<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(stripOfflineKeywords) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === FIX || key === TS_TYPE) continue;
    out[key] = stripOfflineKeywords(value);
  }
  return out as T;
}
