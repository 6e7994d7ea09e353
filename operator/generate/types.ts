// Generates TypeScript types from the schemas with json-schema-to-typescript.

import { compile } from 'json-schema-to-typescript';
import { API_VERSION, type KindDefinition, KINDS, TS_TYPE, objectSchema } from '../api/schemas/index.ts';
import type { Schema } from '../api/schemas/common.ts';
import { offlineSchema } from '../api/schemas/closed.ts';
import { stripOfflineKeywords } from './strip.ts';

export const TYPES_HEADER = '// generated from operator/api/schemas by `npm run generate` — do not edit\n';

/** Titles for nested objects, so they become named interfaces instead of inline types. */
const TITLES: Record<string, string> = {
  spec: 'Spec',
  status: 'Status',
  'spec.environments[]': 'Environment',
  'spec.auth': 'Auth',
  'spec.tokens': 'Tokens',
  'spec.tokens.encryption': 'TokenEncryption',
  'spec.probes': 'Probes',
  'spec.registration': 'Registration',
  'status.environments[]': 'EnvironmentStatus',
  'status.server': 'ServerStatus',
  'spec.resolvers[]': 'ResolverEntry',
  'spec.preview[]': 'PreviewItem',
  'status.resolvers[]': 'ResolverStatus',
};

// ObjectMeta is shared with the runtime, so it is declared once, by hand, in operator/api/meta.ts.
const OBJECT_META = "import type { ObjectMeta } from '../meta.ts';\n";

/** Replaces shared fragments by a reference to their named type, collecting their schemas. */
function extractShared(schema: Schema, path: string, kind: string, shared: Map<string, Schema>): Schema {
  const named = schema[TS_TYPE] as string | undefined;
  if (named) {
    shared.set(named, { ...extractChildren(schema, path, kind, shared), title: named });
    return { tsType: named, description: schema['description'] };
  }
  const out = extractChildren(schema, path, kind, shared);
  const title = TITLES[path];
  if (title && schema['type'] === 'object')
    out['title'] = title === 'Spec' || title === 'Status' ? kind + title : title;
  return out;
}

function extractChildren(schema: Schema, path: string, kind: string, shared: Map<string, Schema>): Schema {
  const out: Schema = { ...schema };
  delete out[TS_TYPE];
  const join = (p: string, k: string) => (p ? `${p}.${k}` : k);
  if (schema['properties']) {
    out['properties'] = Object.fromEntries(
      Object.entries(schema['properties'] as Record<string, Schema>).map(([k, v]) => [
        k,
        extractShared(v, join(path, k), kind, shared),
      ]),
    );
  }
  if (schema['items']) out['items'] = extractShared(schema['items'] as Schema, `${path}[]`, kind, shared);
  return out;
}

async function compileOne(schema: Schema, name: string): Promise<string> {
  return compile(stripOfflineKeywords(schema) as never, name, {
    bannerComment: '',
    additionalProperties: false,
    strictIndexSignatures: true,
    // Bounded arrays stay plain arrays, not unions of tuples of every length.
    maxItems: -1,
    declareExternallyReferenced: true,
    format: true,
  });
}

function kindSchema(k: KindDefinition, shared: Map<string, Schema>): Schema {
  const base = offlineSchema(objectSchema(k));
  const props = base['properties'] as Record<string, Schema>;
  const typed: Schema = {
    ...base,
    title: k.kind,
    properties: {
      ...props,
      apiVersion: { ...props['apiVersion'], const: API_VERSION },
      kind: { ...props['kind'], const: k.kind },
      metadata: { tsType: 'ObjectMeta' },
    },
    // Every object read from the API server has metadata; only documents in files may lack it.
    required: [...((base['required'] as string[] | undefined) ?? []), 'metadata'],
  };
  return extractShared(typed, '', k.kind, shared);
}

/** The whole generated types module. */
export async function generateTypes(): Promise<string> {
  const shared = new Map<string, Schema>();
  const parts: string[] = [];
  for (const k of KINDS) parts.push(await compileOne(kindSchema(k, shared), k.kind));
  for (const [name, schema] of [...shared].sort(([a], [b]) => a.localeCompare(b)))
    parts.push(await compileOne(schema, name));
  return [TYPES_HEADER, '/* eslint-disable */', OBJECT_META, ...parts].join('\n');
}
