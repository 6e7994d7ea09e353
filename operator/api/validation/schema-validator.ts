// The runtime validator: ajv, compiled from the same schemas as the CRDs, with every
// `x-kubernetes-*` keyword registered so that strict mode stays on.

import { Ajv, type ErrorObject, type FuncKeywordDefinition, type KeywordDefinition, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { celTwin, type CelValidation } from '../schemas/cel.ts';
import { DNS_LABEL, DNS_SUBDOMAIN, INT_OR_STRING } from '../schemas/common.ts';
import { API_VERSION, FIX, type KindDefinition, TS_TYPE, objectSchema } from '../schemas/index.ts';
import { offlineSchema } from '../schemas/closed.ts';
import { nearest } from '../resolver/edit-distance.ts';
import { type Problem, excerpt, fieldPath, joinPath } from './problems.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under Node's ESM loader.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats = ((addFormatsModule as { default?: unknown }).default ?? addFormatsModule) as unknown as AddFormats;

// A list-map must not repeat its keys, a set its items: the API server refuses duplicates.
function checkListType(listType: string, data: unknown[], parent?: Record<string, unknown>): boolean {
  // Most lists hold one item or none: nothing can repeat, and nothing is made to find that out.
  if (listType === 'atomic' || data.length < 2) {
    checkListType.errors = NO_ERRORS;
    return true;
  }
  const keys = (parent?.['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
  const identity = (item: unknown) =>
    safeJson(listType === 'map' ? keys.map((k) => (item as Record<string, unknown>)?.[k]) : item);
  const seen = new Map<string, number>();
  const errors: Partial<ErrorObject>[] = [];
  data.forEach((item, index) => {
    const id = identity(item);
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else errors.push({ keyword: 'x-kubernetes-list-type', params: { index, first, keys, item }, message: 'duplicate' });
  });
  checkListType.errors = errors;
  return errors.length === 0;
}
const NO_ERRORS: Partial<ErrorObject>[] = [];
checkListType.errors = NO_ERRORS;

/** JSON for identity and messages; BigInt (which JSON.stringify refuses) as its digits. */
function safeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
}

const listTypeKeyword: FuncKeywordDefinition = {
  keyword: 'x-kubernetes-list-type',
  type: 'array',
  schemaType: 'string',
  metaSchema: { enum: ['atomic', 'set', 'map'] },
  errors: true,
  validate: checkListType as FuncKeywordDefinition['validate'],
};

const validationsKeyword: KeywordDefinition = {
  keyword: 'x-kubernetes-validations',
  schemaType: 'array',
  metaSchema: {
    type: 'array',
    items: {
      type: 'object',
      required: ['rule'],
      additionalProperties: false,
      properties: {
        rule: { type: 'string' },
        message: { type: 'string' },
        messageExpression: { type: 'string' },
        fieldPath: { type: 'string' },
        reason: { type: 'string' },
        optionalOldSelf: { type: 'boolean' },
      },
    },
  },
  errors: true,
  // Every CEL rule must have a JavaScript twin; a rule without one is a bug in the schema.
  compile(rules: CelValidation[]) {
    const twins = rules.map((rule) => {
      const twin = celTwin(rule);
      if (!twin) throw new Error(`CEL rule '${rule.rule}' has no JavaScript twin; declare it with celRule()`);
      return twin;
    });
    const check = (data: unknown) => {
      const errors: Partial<ErrorObject>[] = [];
      for (const twin of twins) {
        if (twin.transition) continue; // needs oldSelf: only the API server can check it
        if (!twin.twin(data)) {
          errors.push({
            keyword: 'x-kubernetes-validations',
            params: { fieldPath: twin.fieldPath ?? '', reason: twin.reason },
            message: twin.message,
          });
        }
      }
      check.errors = errors;
      return errors.length === 0;
    };
    check.errors = [] as Partial<ErrorObject>[];
    return check;
  },
};

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, useDefaults: true, verbose: true });
  addFormats(ajv, ['date-time']);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addKeyword(listTypeKeyword);
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-map-keys',
    schemaType: 'array',
    metaSchema: { type: 'array', items: { type: 'string' } },
  });
  ajv.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: INT_OR_STRING, schemaType: 'boolean' });
  ajv.addKeyword(validationsKeyword);
  ajv.addKeyword({ keyword: FIX, schemaType: 'string' });
  ajv.addKeyword({ keyword: TS_TYPE, schemaType: 'string' });
  return ajv;
}

/** metadata as the API server checks it, for the parts a manifest author writes. */
export const METADATA = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
      [FIX]: 'use a lower-case DNS name such as acme-imanage',
    },
    namespace: { type: 'string', maxLength: 63, pattern: DNS_LABEL, [FIX]: 'use a lower-case DNS label' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

export interface SchemaValidator {
  readonly kind: KindDefinition;
  /** Validates (and defaults) `doc` in place. */
  validate(doc: unknown): Problem[];
}

export function compileSchemaValidator(kind: KindDefinition, ajv: Ajv = newAjv()): SchemaValidator {
  const schema = offlineSchema(objectSchema(kind));
  const properties = schema['properties'] as Record<string, unknown>;
  properties['metadata'] = METADATA;
  properties['apiVersion'] = { ...(properties['apiVersion'] as object), const: API_VERSION };
  properties['kind'] = { ...(properties['kind'] as object), const: kind.kind };
  schema['required'] = ['apiVersion', 'kind', 'metadata', 'spec'];
  const fn = ajv.compile(schema);
  return { kind, validate: (doc) => (fn(doc) ? [] : toProblems(fn, schema)) };
}

function toProblems(fn: ValidateFunction, schema: Record<string, unknown>): Problem[] {
  return (fn.errors ?? []).map((e) => describeError(e, schema));
}

function describeError(e: ErrorObject, root: Record<string, unknown>): Problem {
  const path = fieldPath(e.instancePath);
  const at = schemaAt(root, e.instancePath);
  const fix = typeof at?.[FIX] === 'string' ? (at[FIX] as string) : undefined;
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required': {
      const child = (at?.['properties'] as Record<string, Record<string, unknown>> | undefined)?.[p['missingProperty']];
      return {
        path: joinPath(path, p['missingProperty']),
        message: 'is required',
        fix: firstSentence(child?.['description']),
        code: 'FieldValueRequired',
      };
    }
    case 'additionalProperties': {
      const known = Object.keys((at?.['properties'] as object) ?? {});
      const guess = nearest(p['additionalProperty'], known);
      return {
        path: joinPath(path, p['additionalProperty']),
        message: 'unknown field',
        fix: guess
          ? `did you mean '${guess}'? Known fields: ${known.join(', ')}`
          : `remove it; known fields: ${known.join(', ')}`,
        code: 'FieldValueUnknown',
      };
    }
    case 'enum': {
      const allowed = p['allowedValues'] as unknown[];
      const guess = typeof e.data === 'string' ? nearest(e.data, allowed.map(String)) : undefined;
      return {
        path,
        message: `unsupported value; must be one of ${allowed.join(', ')}`,
        fix: guess ? `did you mean '${guess}'?` : undefined,
        code: 'FieldValueNotSupported',
      };
    }
    case 'type':
      return { path, message: `must be ${[p['type']].flat().join(' or ')}`, fix, code: 'FieldValueTypeInvalid' };
    case 'const':
      return { path, message: `must be ${JSON.stringify(p['allowedValue'])}`, code: 'FieldValueInvalid' };
    case 'x-kubernetes-validations':
      return {
        path: joinPath(path, String(p['fieldPath'] ?? '').replace(/^\./, '')),
        message: e.message ?? 'is invalid',
        code: p['reason'] ?? 'FieldValueInvalid',
      };
    case 'x-kubernetes-list-type': {
      const keys = p['keys'] as string[];
      const what = keys.length ? keys.map((k) => `${k}=${excerpt(p['item']?.[k])}`).join(', ') : excerpt(p['item']);
      return {
        path: `${path}[${p['index']}]`,
        message: `duplicate entry (${what}), already at index ${p['first']}`,
        fix: keys.length ? `give each entry its own ${keys.join(', ')}` : 'remove the duplicate',
        code: 'FieldValueDuplicate',
      };
    }
    case 'format':
      return {
        path,
        message: `must be a ${p['format']}`,
        fix: p['format'] === 'date-time' ? 'write an RFC 3339 time such as 2026-11-20T09:00:00Z' : fix,
        code: 'FieldValueInvalid',
      };
    default:
      return { path, message: e.message ?? 'is invalid', fix, code: 'FieldValueInvalid' };
  }
}

/** The schema node that describes the value at a JSON pointer. */
function schemaAt(root: Record<string, unknown>, pointer: string): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = root;
  for (const segment of pointer.split('/').slice(1)) {
    if (!node) return undefined;
    node =
      /^[0-9]+$/.test(segment) && node['items']
        ? (node['items'] as Record<string, unknown>)
        : (node['properties'] as Record<string, Record<string, unknown>> | undefined)?.[segment];
  }
  return node;
}

function firstSentence(description: unknown): string | undefined {
  if (typeof description !== 'string') return undefined;
  const end = description.search(/\.(\s|$)/);
  return `add it: ${end === -1 ? description : description.slice(0, end + 1)}`;
}
