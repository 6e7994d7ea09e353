// One copy each (issue 20): the OAuth application, the CA bundle, GET /api, the API base, the token
// Secret name and the key material are read or derived in one place, which the controller, the
// sign-in callback, the finalizer and the CLI all call. Each pattern below is what a second copy
// would have to write; it may appear only in the module that owns it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const operator = join(dirname(fileURLToPath(import.meta.url)), '..');

const code = readdirSync(operator, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('testing') && !f.includes('generated'))
  .map((f) => ({ file: f, text: readFileSync(join(operator, f), 'utf8') }));

const ONE_COPY: ReadonlyArray<readonly [string, RegExp, readonly string[]]> = [
  ['the application Secret is located', /(?<!function )\bapplicationSourceOf\(/, ['tokens/connection-secrets.ts']],
  ['the client id is read from a Secret', /['"]clientId['"]\)/, ['tokens/connection-secrets.ts']],
  ['the CA bundle is read', /(?<!function )\bcaBundleRefOf\(/, ['tokens/connection-secrets.ts', 'controllers/connection/observe.ts', 'controllers/connection/decide.ts', 'tokens/callback.ts']],
  ['GET /api is asked', /(?<!function )\bdiscover\(/, ['tokens/connection-secrets.ts']],
  ['the API base is derived', /spec\.apiUrl\s*\?\?/, ['api/connection.ts']],
  ['the token Secret is named', /\}-tokens`/, ['api/connection.ts']],
  ['the certificate key is read from a Secret', /(?<!function )\breadCertificateKey\(/, ['tokens/store.ts']],
];

describe('one copy of what the token code reads of a connection', () => {
  it('finds the owners (the patterns look for something)', () => {
    for (const [, pattern, owners] of ONE_COPY) {
      expect(code.filter((c) => pattern.test(c.text)).map((c) => c.file)).toContain(owners[0]);
    }
  });

  it.each(ONE_COPY)('%s only where it belongs', (_what, pattern, owners) => {
    const found = code.filter((c) => pattern.test(c.text)).map((c) => c.file);
    expect(found.filter((f) => !owners.includes(f))).toEqual([]);
  });
});
