// Bundles the command line (operator/cli/commands.ts and everything it imports, npm packages
// included) into one ES module for a single executable application (tools/release/sea-main.cjs).
//
//   node tools/release/bundle.ts <repo root> <out.mjs>
//
// Rolldown, not esbuild: it is already in package-lock.json (vitest's bundler, now a direct
// devDependency at the same version), strips TypeScript itself, and turns the CommonJS packages
// (ajv, pino, prom-client) into one ES module. ES, not CommonJS: the command line awaits at its top
// level, which CommonJS cannot express; Node 24's single executables run CommonJS only, so the
// wrapper imports this module from a data: URL, where import.meta.url names no file. The bundle
// therefore names the executable instead, and carries the version (no package.json beside it).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Plugin } from 'rolldown';

/** commands.ts reads package.json beside the sources; the bundle has the version written in. */
function versionPlugin(version: string): Plugin {
  const read = /readFileSync\(join\(import\.meta\.dirname, '\.\.', '\.\.', 'package\.json'\), 'utf8'\)/;
  return {
    name: 'imanage-version',
    transform(code, id) {
      if (!id.endsWith('/operator/cli/commands.ts')) return null;
      if (!read.test(code)) {
        throw new Error('operator/cli/commands.ts no longer reads package.json as tools/release/bundle.ts expects: update its versionPlugin');
      }
      return { code: code.replace(read, JSON.stringify(JSON.stringify({ version }))), map: null };
    },
  };
}

/** import.meta of a data: URL module names no file: the bundle's helpers get the executable's. */
const executableMeta: Plugin = {
  name: 'imanage-executable-meta',
  renderChunk(code) {
    const prelude = 'import { pathToFileURL as __seaFileUrl } from "node:url";\n' +
      'import { dirname as __seaDirname } from "node:path";\n';
    return prelude + code.replaceAll('import.meta.url', '__seaFileUrl(process.execPath).href')
      .replaceAll('import.meta.dirname', '__seaDirname(process.execPath)')
      .replaceAll('import.meta.filename', 'process.execPath');
  },
};

async function main([root, out]: string[]): Promise<void> {
  if (!root || !out) throw new Error('usage: bundle.ts <repo root> <out.mjs>');
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  await build({
    input: join(root, 'operator', 'cli', 'commands.ts'),
    platform: 'node',
    logLevel: 'warn',
    plugins: [versionPlugin(version), executableMeta],
    output: { file: out, format: 'es', codeSplitting: false, minify: false },
  });
}

await main(process.argv.slice(2));
