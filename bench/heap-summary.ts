// What holds the memory in a V8 heap snapshot (bench/operator-scale.ts writes one with
// BENCH_HEAP_SNAPSHOT): self size and count per constructor (objects, closures by function name)
// or per node type (strings, code, arrays), the largest first. Self size, not retained size: it
// says which kinds of object fill the heap; the names point at who makes them. Then the strings
// held more than once (the same value in several string objects): what interning would free.
// Usage: node bench/heap-summary.ts <file.heapsnapshot> [rows=30]

import { readFile } from 'node:fs/promises';

interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] } };
  readonly nodes: number[];
  readonly strings: string[];
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/heap-summary.ts <file.heapsnapshot> [rows=30]\n');
  process.exit(2);
}
const snap = JSON.parse(await readFile(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
const groups = new Map<string, { size: number; count: number }>();
/** Per string value (its index in `strings`): the copies of it and their self size. */
const copies = new Map<number, { size: number; count: number }>();
let heap = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + typeAt]!]!;
  const size = snap.nodes[i + sizeAt]!;
  heap += size;
  const name = snap.strings[snap.nodes[i + nameAt]!] ?? '';
  if (type === 'string') {
    const copy = copies.get(snap.nodes[i + nameAt]!) ?? { size: 0, count: 0 };
    copy.size += size;
    copy.count++;
    copies.set(snap.nodes[i + nameAt]!, copy);
  }
  const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 60)}` : `(${type})`;
  const group = groups.get(key) ?? { size: 0, count: 0 };
  group.size += size;
  group.count++;
  groups.set(key, group);
}
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1).padStart(7);
process.stdout.write(`${file}: ${mib(heap)} MiB in ${(snap.nodes.length / width).toLocaleString('en')} nodes\n`);
for (const [key, g] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, Number(rowsArg ?? 30))) {
  process.stdout.write(`${mib(g.size)} MiB ${String(g.count).padStart(9)}  ${key}\n`);
}

// A snapshot names a string by its first 1,024 characters: longer ones (module sources) only look alike.
const NAME_LIMIT = 1024;
const repeated = [...copies].filter(([at, c]) => c.count > 1 && (snap.strings[at] ?? '').length < NAME_LIMIT).map(([at, c]) => ({ value: snap.strings[at] ?? '', extra: c.size - c.size / c.count, count: c.count }));
const extra = repeated.reduce((sum, r) => sum + r.extra, 0);
process.stdout.write(`strings held more than once: ${mib(extra)} MiB in the extra copies of ${repeated.length.toLocaleString('en')} values; the largest:\n`);
for (const r of repeated.sort((a, b) => b.extra - a.extra).slice(0, 15)) {
  process.stdout.write(`${mib(r.extra)} MiB ${String(r.count).padStart(9)}  ${JSON.stringify(r.value.slice(0, 60))}\n`);
}
