// Generates the field reference (docs/reference.md) from the schemas, so that the docs cannot
// drift from the API.

import { KINDS, type KindDefinition } from '../api/schemas/index.ts';
import { INT_OR_STRING, type Schema } from '../api/schemas/common.ts';

function typeOf(s: Schema): string {
  if (Array.isArray(s['enum'])) return (s['enum'] as string[]).map((v) => `\`${v}\``).join(' \\| ');
  if (s['type'] === 'array') return `[]${typeOf(s['items'] as Schema)}`;
  if (s['format'] === 'date-time') return 'RFC 3339 time';
  if (s['pattern'] && String(s['pattern']).includes('ns|us')) return 'duration';
  if (s[INT_OR_STRING] === true) return 'integer or string';
  return String(s['type'] ?? 'object');
}

function rows(s: Schema, path: string, required: boolean): string[] {
  const props = s['type'] === 'array' ? (s['items'] as Schema)['properties'] : s['properties'];
  const reqs = new Set(
    (s['type'] === 'array' ? (s['items'] as Schema)['required'] : s['required']) as string[] | undefined,
  );
  const own = path
    ? [
        `| \`${path}\` | ${typeOf(s)} | ${required ? 'yes' : ''} | ${s['default'] !== undefined && typeof s['default'] !== 'object' ? `\`${String(s['default'])}\`` : ''} | ${String(
          s['description'] ?? '',
        )
          .replaceAll('|', '\\|')
          .replaceAll('\n', ' ')} |`,
      ]
    : [];
  const children = Object.entries((props ?? {}) as Record<string, Schema>).flatMap(([k, v]) =>
    rows(v, path ? `${path}${s['type'] === 'array' ? '[]' : ''}.${k}` : k, reqs.has(k)),
  );
  return [...own, ...children];
}

function kindReference(k: KindDefinition): string {
  return [
    `### ${k.kind} (\`kubectl explain ${k.singular}\`)`,
    '',
    k.description,
    '',
    '| field | type | required | default | description |',
    '|---|---|---|---|---|',
    ...rows(k.spec, 'spec', true).slice(1),
    ...rows(k.status, 'status', false).slice(1),
  ].join('\n');
}

/** docs/reference.md: every field of both kinds, with its type, default and description. */
export function fieldReferencePage(): string {
  return [
    '<!-- generated from operator/api/schemas by `npm run generate` — do not edit -->',
    '',
    '# Field reference',
    '',
    'Every field of both kinds, as `kubectl explain` shows it. The schemas in `operator/api/schemas/` are the source.',
    '',
    ...KINDS.map(kindReference).flatMap((s) => [s, '']),
  ].join('\n');
}
