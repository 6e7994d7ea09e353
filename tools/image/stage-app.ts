// Stages the image's /app folder: the operator compiled ahead of time, a package.json that makes
// its .js files ES modules, and the production dependencies only, copied from node_modules as
// package-lock.json lists them (no registry, so the copy is the one `npm ci` verified).
//
//   node tools/image/stage-app.ts <repo root> <compiled operator folder> <out folder>
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly devOptional?: boolean;
  readonly optional?: boolean;
}

interface Lockfile {
  readonly packages: Record<string, LockEntry>;
}

class StaleNodeModulesError extends Error {
  constructor(path: string, locked: string, installed: string) {
    super(`${path} is ${installed} but package-lock.json locks ${locked}; run \`npm ci\` and build again`);
    this.name = 'StaleNodeModulesError';
  }
}

/** The lock's entries npm ci --omit=dev would install: neither dev nor dev-or-optional. */
function productionPackages(lock: Lockfile): string[] {
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.devOptional)
    .map(([path]) => path)
    .sort();
}

/**
 * TypeScript (declarations and the sources some packages ship) and source maps serve no purpose at
 * run time: Node never strips types under node_modules, and the image holds no TypeScript at all.
 */
function keep(source: string): boolean {
  const name = basename(source);
  if (name === 'node_modules') return false; // nested packages are entries of the lock of their own
  return !/\.[cm]?ts$|\.map$/.test(name);
}

async function copyPackage(root: string, path: string, entry: LockEntry, out: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(root, path, 'package.json'), 'utf8')) as { version: string };
  if (entry.version !== undefined && manifest.version !== entry.version) {
    throw new StaleNodeModulesError(path, entry.version, manifest.version);
  }
  const from = join(root, path);
  await cp(from, join(out, path), { recursive: true, filter: (source) => source === from || keep(source) });
}

async function main([root, compiled, out]: string[]): Promise<void> {
  if (!root || !compiled || !out) throw new Error('usage: stage-app.ts <repo root> <compiled operator> <out>');
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as Lockfile;
  await mkdir(out, { recursive: true });
  const { name, version, license, type, dependencies } = pkg;
  await writeFile(join(out, 'package.json'), `${JSON.stringify({ name, version, license, type, dependencies }, null, 2)}\n`);
  await cp(join(compiled, 'operator'), join(out, 'operator'), { recursive: true });
  for (const path of productionPackages(lock)) await copyPackage(root, path, lock.packages[path]!, out);
}

await main(process.argv.slice(2));
