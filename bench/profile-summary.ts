// Where the CPU went in a V8 CPU profile (bench/operator-scale.ts writes one with BENCH_CPU_PROF):
// self time by area (the operator's folders, each package under node_modules, Node's internals,
// garbage collection, idle) and by function, the largest first.
// V8 counts wall time between samples: on busy cores, time spent waiting for a core goes to the
// function that was running before it (a socket write that woke the API server). For on-CPU time,
// use bench/on-cpu.ts.
// Usage: node bench/profile-summary.ts <file.cpuprofile> [rows=25]

import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** `operator/imanage`, `node_modules/jose`, `node:internal`, or the pseudo-frames V8 names. */
function areaOf(url: string, name: string): string {
  if (!url) return `(${name.replace(/[()]/g, '')})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `node_modules/${pkg[1]}`;
  const own = /\/(operator\/[^/]+|simulator)\//.exec(url);
  if (own) return own[1]!;
  return url.startsWith('node:') ? 'node:internal' : url;
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.ts <file.cpuprofile> [rows=25]\n');
  process.exit(2);
}
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const areas = new Map<string, number>();
const functions = new Map<string, number>();
let totalUs = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const area = areaOf(url, functionName || 'anonymous');
  totalUs += dt;
  areas.set(area, (areas.get(area) ?? 0) + dt);
  const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(operator|node_modules|simulator)\//, '$1/')}:${lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + dt);
});
const rows = Number(rowsArg ?? 25);
const s = (us: number): string => `${(us / 1e6).toFixed(2).padStart(7)} s ${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled\nby area:\n`);
for (const [area, us] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, rows)) process.stdout.write(`  ${s(us)}  ${area}\n`);
process.stdout.write('by function (self time):\n');
for (const [fn, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, rows)) process.stdout.write(`  ${s(us)}  ${fn}\n`);
