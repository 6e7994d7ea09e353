// Where the operator's CPU went, from `perf` samples: what each thread kind ran, then the main
// thread's samples by the nearest operator file or package on the stack (the code that asked for
// the work, Node's internals and native code included), and by function.
//
// Why not the V8 CPU profile (BENCH_CPU_PROF, bench/profile-summary.ts): it records wall time
// between samples. On two busy cores the operator's main thread waits for a core after each write
// that wakes the API server or the simulator, and that wait is counted to the function that
// wrote: socket writes (writeLatin1String, writev) came out at 2.0 s there against 0.3 s of
// kernel write time here, and WebCrypto's job dispatch at 1.1 s against 0.1 s. `perf` samples
// only the time a thread is on a core.
//
// To make the input, with the operator's JavaScript symbolised from a jitdump (the operator's cwd
// receives jit-<pid>.dump and, after `perf inject`, jitted-*.so; .gitignore lists both):
//   BENCH_NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=96 --perf-prof \
//     --interpreted-frames-native-stack" BENCH_RAW=off BENCH_RESTART=off \
//     node bench/operator-scale.ts 1000 16 &            # prints "operator running (pid P)"
//   perf record -k mono -F 999 -g -p P -o /tmp/perf.data -- sleep 36
//   perf inject --jit -i /tmp/perf.data -o /tmp/perf.jit.data
//   perf script -i /tmp/perf.jit.data -F comm,tid,ip,sym,dso > /tmp/perf.txt   # before the bench ends:
//                                    # it deletes the node binary it ran, whose symbols perf reads
// Usage: node bench/on-cpu.ts /tmp/perf.txt [rows=40]

import { readFile } from 'node:fs/promises';

interface Frame {
  readonly symbol: string;
  readonly object: string;
}

interface Sample {
  readonly thread: string;
  readonly frames: Frame[];
}

/** `perf script -F comm,tid,ip,sym,dso`: a header line per sample, then one line per frame, leaf first. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  let current: Sample | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    if (!/^\s/.test(line)) {
      current = { thread: line.trim().split(/\s+/)[0] ?? '', frames: [] };
      samples.push(current);
      continue;
    }
    const frame = /^\s+[0-9a-f]+ (.*) \((.*)\)$/.exec(line.slice(0, 2_000));
    if (frame && current) current.frames.push({ symbol: frame[1]!, object: frame[2]! });
  }
  return samples;
}

/** `operator/runtime/kube/transport.js`, `node_modules/jose`, or undefined for Node's own code. */
export function ownerOf(symbol: string): string | undefined {
  return /\/(operator\/[\w/.-]+\.[jt]s|node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(symbol)?.[1];
}

/** The function's name in a jitdump symbol such as `JS:*json file:///…/transport.js:44:10`. */
function functionOf(symbol: string): string {
  return symbol.replace(/^JS:[~^+*']*/, '').split(' ')[0] || '(anonymous)';
}

function attribute(sample: Sample): { file: string; fn: string } {
  for (const frame of sample.frames) {
    const owner = ownerOf(frame.symbol);
    if (owner) return { file: owner, fn: `${owner}:${functionOf(frame.symbol)}` };
  }
  const js = sample.frames.find((f) => f.symbol.startsWith('JS:'));
  const leaf = sample.frames[0];
  const file = js
    ? `(no operator frame) ${functionOf(js.symbol)} in Node`
    : `(no operator frame) ${leaf?.object.includes('kernel') ? 'kernel' : 'native: GC, parser, TLS'}`;
  return { file, fn: file };
}

function table(counts: Map<string, number>, total: number, rows: number): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([name, n]) => `  ${String(n).padStart(6)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
}

const bump = (counts: Map<string, number>, key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);

if (import.meta.main) {
  const [file, rowsArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/on-cpu.ts <perf script output> [rows=40]\n');
    process.exit(2);
  }
  const rows = Number(rowsArg ?? 40);
  const samples = parseSamples(await readFile(file, 'utf8'));
  const threads = new Map<string, number>();
  for (const sample of samples) bump(threads, sample.thread);
  const main = samples.filter((s) => s.thread === 'MainThread');
  const files = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const sample of main) {
    const { file: owner, fn } = attribute(sample);
    bump(files, owner);
    bump(fns, fn);
  }
  process.stdout.write(`${file}: ${samples.length} samples\nby thread:\n${table(threads, samples.length, rows)}\n`);
  process.stdout.write(`main thread, by the nearest operator file or package:\n${table(files, main.length, rows)}\n`);
  process.stdout.write(`main thread, by function:\n${table(fns, main.length, rows)}\n`);
}
