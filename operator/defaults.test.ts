// A connection is derived once (issue 20): the schema's defaults are read in operator/api/ (the
// validator applies them; operator/api/connection.ts says what a connection means), never re-typed
// as `?? '<default>'` in a controller, the CLI or the token part. Every string default of the
// schema is looked for, so a default added later is covered too.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KINDS } from './api/schemas/index.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Every string a spec schema gives as a default, at any depth (in an object default too). */
function stringDefaults(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => stringDefaults(s, out));
  else if (schema !== null && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'default') collect(value, out);
      stringDefaults(value, out);
    }
  }
  return out;
}

function collect(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') out.add(value);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => collect(v, out));
}

function code(folder: string): string[] {
  return readdirSync(join(here, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('testing'))
    .map((f) => join(folder, f));
}

const DEFAULTS = [...new Set(KINDS.flatMap((k) => [...stringDefaults(k.spec)]))];

describe('schema defaults', () => {
  it('are found in the schema (the check below looks for something)', () => {
    expect(DEFAULTS).toEqual(
      expect.arrayContaining(['ca.crt', 'passphrase', '5m', '10s', 'AuthorizationCode', 'user']),
    );
  });

  it('are not re-typed with ?? in controllers, the CLI or the token part', () => {
    const escaped = DEFAULTS.map((d) => d.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    const retyped = new RegExp(`\\?\\?\\s*'(?:${escaped.join('|')})'`);
    const offending = ['controllers', 'cli', 'tokens'].flatMap(code).flatMap((file) =>
      readFileSync(join(here, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (retyped.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });
});
