// `npm run generate`: regenerates the CRDs and the TypeScript types from the schemas.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './files.ts';
import { jsonSchemaFiles } from './json-schemas.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

for (const [path, content] of [...(await generatedFiles()), ...jsonSchemaFiles()]) {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
  process.stdout.write(`wrote ${path}\n`);
}
