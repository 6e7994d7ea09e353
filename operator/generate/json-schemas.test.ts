// The schemas published for editors: up to date, accepting every example, and rejecting the
// invalid examples that JSON Schema can express. The others need CEL that compares fields or
// the semantic checks; `imanage-operator validate` rejects them, and this test says which.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles } from './json-schemas.ts';

const root = join(import.meta.dirname, '..', '..');
const files = jsonSchemaFiles();
const ajv = new Ajv({ strict: false, allErrors: true });
const validate = ajv.compile(JSON.parse(files.get('schemas/imanage-operator.json')!));

async function yamlFiles(folder: string): Promise<string[]> {
  const entries = await readdir(join(root, folder), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const examples = (await yamlFiles('examples')).filter((f) => !f.includes('/invalid/'));
const invalid = await yamlFiles('examples/invalid');

/** Needs more than JSON Schema says: a list keyed by a field, equal fields, or the resolver grammar. */
const BEYOND_JSON_SCHEMA = [
  'duplicate-environment-names.yaml', // x-kubernetes-list-type map
  'duplicate-redirect-uris.yaml', // semantic: baseUrl + redirectPath
  'resolver-unclosed-bracket.yaml', // semantic: resolver grammar
  'resolver-unknown-field.yaml',
  'resolver-unknown-workitem-path.yaml',
  'profile-legatics-redirect-uri.yaml', // CEL comparing redirectUri with baseUrl
  'profile-syncly-redirect-spelling.yaml', // CEL over each environment
  'profile-clio-operate-cloud-below-7-11.yaml', // CEL comparing productVersion and connectionType
  'profile-actionstep-repository-area.yaml', // needs the repository and its connection together
];

describe('published JSON Schemas', () => {
  it('are up to date (npm run generate)', async () => {
    for (const [path, content] of files) expect(await readFile(join(root, path), 'utf8'), path).toBe(content);
  });

  it.each(examples.map((f) => [f.slice(root.length + 1)]))('accept %s, every document', async (file) => {
    for (const doc of loadAll(await readFile(join(root, file), 'utf8'))) {
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it.each(examples.map((f) => [f.slice(root.length + 1)]))(
    '%s names them in its yaml-language-server line',
    async (file) => {
      const text = await readFile(join(root, file), 'utf8');
      if (!/^kind: (IManageConnection|WorkspaceRepository)$/m.test(text)) return;
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/imanage-operator.json');
    },
  );

  const expressible = invalid.filter((f) => !BEYOND_JSON_SCHEMA.some((name) => f.endsWith(`/${name}`)));
  it.each(expressible.map((f) => [f.slice(root.length + 1)]))('reject %s', async (file) => {
    const docs = loadAll(await readFile(join(root, file), 'utf8'));
    expect(docs.some((doc) => !validate(doc))).toBe(true);
  });

  it('leave to validate only what JSON Schema cannot say', () => {
    expect(expressible.length).toBeGreaterThanOrEqual(8);
    for (const name of BEYOND_JSON_SCHEMA)
      expect(
        invalid.some((f) => f.endsWith(`/${name}`)),
        name,
      ).toBe(true);
  });

  it('reject an unknown field and a misspelt enum value, as an editor would underline them', () => {
    const connection = {
      apiVersion: 'imanage.operator.dev/v1alpha1',
      kind: 'IManageConnection',
      metadata: { name: 'x' },
    };
    expect(
      validate({
        ...connection,
        spec: { connectionType: 'Cloud', url: 'https://cloudimanage.com', customerId: '1', libary: 'A' },
      }),
    ).toBe(false);
    expect(
      validate({
        ...connection,
        spec: { connectionType: 'Cloud', url: 'https://cloudimanage.com', customerId: '1', profile: 'Clio' },
      }),
    ).toBe(false);
    expect(
      validate({
        ...connection,
        spec: { connectionType: 'Cloud', url: 'https://cloudimanage.com', customerId: '1', profile: 'ClioOperate' },
      }),
    ).toBe(true);
  });
});
