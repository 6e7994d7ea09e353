import type { Schema } from './common.ts';

/**
 * Adds `additionalProperties: false` to every object that lists its properties, so that the
 * offline validator and the TypeScript types reject unknown fields as the API server does
 * (kubectl's strict field validation). The CRD itself may not carry the keyword.
 */
export function closeObjects(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, closeObjects(v)]),
      );
    } else if (key === 'items') {
      out[key] = closeObjects(value as Schema);
    } else {
      out[key] = value;
    }
  }
  if (schema['properties'] && !schema['x-kubernetes-preserve-unknown-fields']) out['additionalProperties'] = false;
  return out;
}
