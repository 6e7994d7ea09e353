// What a sampling heap profile (bench/alloc-sampling.ts) says was allocated: the total, then self
// size by file and by function (where the allocating code is, Node's own files and `(native)`
// included), largest first. With objects collected by the young and old generation counted, this
// is the garbage the collections had to deal with, not what stayed.
// A built-in without a script (an iterator's `next`, `join`, `JSON.parse`) is counted for the
// JavaScript function that called it.
// Usage: node bench/alloc-summary.ts <file.heapprofile> [rows=30]

import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/alloc-summary.ts <file.heapprofile> [rows=30]\n');
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const { head } = JSON.parse(await readFile(file, 'utf8')) as { head: ProfileNode };

/** The project's files by their path below operator/ (or a package's below node_modules/), Node's by name. */
const where = (url: string): string =>
  url.replace(/^file:\/\/.*?\/(operator|node_modules)\//, '$1/').replace(/^file:\/\//, '');

const byFile = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
/** A built-in without a script of its own (`next`, `join`, JSON.parse…) counts for the JavaScript that called it. */
const pending: { node: ProfileNode; caller: string | undefined }[] = [{ node: head, caller: undefined }];
for (let item = pending.pop(); item; item = pending.pop()) {
  const { node, caller } = item;
  const { functionName, url, lineNumber } = node.callFrame;
  const own = url === '' ? undefined : `${functionName || '(anonymous)'} ${where(url)}:${lineNumber + 1}`;
  for (const child of node.children) pending.push({ node: child, caller: own ?? caller });
  if (node.selfSize === 0) continue;
  const file = url === '' ? (caller?.split(' ')[1]?.replace(/:\d+$/, '') ?? '(native)') : where(url);
  const fn = own ?? `${functionName || '(native)'} (native) in ${caller ?? 'no JavaScript'}`;
  total += node.selfSize;
  byFile.set(file, (byFile.get(file) ?? 0) + node.selfSize);
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
}

const MiB = 2 ** 20;
const table = (title: string, sizes: Map<string, number>): void => {
  process.stdout.write(`${title}\n`);
  for (const [name, size] of [...sizes].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    process.stdout.write(`  ${(size / MiB).toFixed(1).padStart(8)} MiB ${((100 * size) / total).toFixed(1).padStart(5)} %  ${name}\n`);
  }
};
process.stdout.write(`${file}: ${(total / MiB).toFixed(0)} MiB allocated while sampling\n`);
table('by file', byFile);
table('by function', byFunction);
