// The JSON Schemas published for editors (schemas/*.json): a `# yaml-language-server: $schema=…`
// line in a manifest gives completion, descriptions and errors. Built from the same schemas as
// the CRDs, closed like the offline validator (unknown fields are errors); each CEL rule that
// plain JSON Schema can state (celRule's `jsonSchema`) joins as an allOf entry, and the rest,
// with the semantic checks, stay with `imanage-operator validate` and the API server.

import { API_VERSION, FIX, KINDS, type KindDefinition, TS_TYPE, objectSchema } from '../api/schemas/index.ts';
import { type CelValidation, celTwin } from '../api/schemas/cel.ts';
import { offlineSchema } from '../api/schemas/closed.ts';
import { METADATA } from '../api/validation/schema-validator.ts';

type Json = Record<string, unknown>;

/** Editor-facing JSON Schema of one node: CEL turned into JSON Schema where it can be, fix hints into descriptions. */
function forEditors(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forEditors);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  const allOf: unknown[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'x-kubernetes-validations') {
      for (const rule of value as CelValidation[]) {
        const jsonSchema = celTwin(rule)?.jsonSchema;
        if (jsonSchema) allOf.push({ ...jsonSchema, errorMessage: rule.message });
      }
    } else if (key === FIX) {
      out['markdownDescription'] = `${(node as Json)['description'] ?? ''}\n\nFix: ${value as string}`;
    } else if (key !== TS_TYPE && !key.startsWith('x-kubernetes-')) {
      out[key] = forEditors(value);
    }
  }
  if (allOf.length > 0) out['allOf'] = allOf;
  return out;
}

export function kindJsonSchema(kind: KindDefinition): Json {
  const schema = offlineSchema(objectSchema(kind)) as Json;
  const properties = schema['properties'] as Json;
  properties['metadata'] = METADATA;
  properties['apiVersion'] = { ...(properties['apiVersion'] as Json), const: API_VERSION };
  properties['kind'] = { ...(properties['kind'] as Json), const: kind.kind };
  // status is written by the operator; a manifest need not, and should not, carry it.
  delete properties['status'];
  schema['required'] = ['apiVersion', 'kind', 'metadata', 'spec'];
  return forEditors(schema) as Json;
}

const fileOf = (kind: KindDefinition) => `${kind.singular}.json`;

/** One schema for any manifest: documents of our kinds are checked, every other kind passes. */
function anyManifestSchema(): Json {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'IManageConnection and WorkspaceRepository manifests (other kinds pass unchecked)',
    allOf: KINDS.map((kind) => ({
      if: { properties: { kind: { const: kind.kind } }, required: ['kind'] },
      then: { $ref: `#/definitions/${kind.kind}` },
    })),
    definitions: Object.fromEntries(KINDS.map((kind) => [kind.kind, kindJsonSchema(kind)])),
  };
}

/** Paths under the repository root, mapped to their content. */
export function jsonSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const text = (schema: Json) => `${JSON.stringify(schema, null, 2)}\n`;
  for (const kind of KINDS) {
    files.set(
      `schemas/${fileOf(kind)}`,
      text({
        $schema: 'http://json-schema.org/draft-07/schema#',
        ...kindJsonSchema(kind),
      }),
    );
  }
  files.set('schemas/imanage-operator.json', text(anyManifestSchema()));
  return files;
}
