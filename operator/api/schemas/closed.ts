import { INT_OR_STRING, type Schema } from './common.ts';

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

/** Gives each int-or-string node the union type the CRD may not state, for tools that need a type. */
export function typeIntOrString(schema: Schema): Schema {
  const untyped = schema[INT_OR_STRING] === true && schema['type'] === undefined;
  const out: Schema = untyped ? { type: ['integer', 'string'] } : {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, typeIntOrString(v)]),
      );
    } else {
      out[key] = key === 'items' ? typeIntOrString(value as Schema) : value;
    }
  }
  return out;
}

/** The schema as the offline tools read it (validator, TypeScript types, editors' JSON Schemas). */
export function offlineSchema(schema: Schema): Schema {
  return typeIntOrString(closeObjects(schema));
}
