// What splitting a watch stream into lines costs the event loop, per event, by the size of the
// object: one line of JSON in 16 KiB chunks (TLS records), as the API server's answer arrives.
// Beside it, the join the transport made before 2026-12-08 (the rest of a line joined with each
// next chunk as it came), kept here only as the figure to compare with: its cost grew with the
// square of a line's size (operator/runtime/kube/lines.ts).
// Not a test: it prints its figures.
//
//   node bench/watch-lines.ts

import { LineSplitter } from '../operator/runtime/kube/lines.ts';

const CHUNK = 16_384;

function joinedPerChunk(chunks: readonly Buffer[], onLine: (text: string) => void): void {
  let pending: Buffer | undefined;
  for (const chunk of chunks) {
    let data = pending ? Buffer.concat([pending, chunk]) : chunk;
    for (let end = data.indexOf(10); end >= 0; end = data.indexOf(10)) {
      const text = data.subarray(0, end).toString('utf8').trim();
      data = data.subarray(end + 1);
      if (text !== '') onLine(text);
    }
    pending = data.length > 0 ? data : undefined;
  }
}

function splitterOnce(chunks: readonly Buffer[], onLine: (text: string) => void): void {
  const lines = new LineSplitter();
  for (const chunk of chunks) lines.push(chunk, onLine);
}

function msPerEvent(split: typeof splitterOnce, chunks: readonly Buffer[], reps: number): number {
  let lines = 0;
  for (let r = 0; r < Math.ceil(reps / 10); r++) split(chunks, () => lines++); // warm-up
  const started = performance.now();
  for (let r = 0; r < reps; r++) split(chunks, () => lines++);
  if (lines === 0) throw new Error('no line was split');
  return (performance.now() - started) / reps;
}

for (const size of [4_000, 64_000, 256_000, 1_500_000]) {
  const bytes = Buffer.from(`${JSON.stringify({ data: 'a'.repeat(size) })}\n`);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK) chunks.push(bytes.subarray(at, at + CHUNK));
  const reps = size >= 1_000_000 ? 20 : 200;
  const before = msPerEvent(joinedPerChunk, chunks, reps);
  const after = msPerEvent(splitterOnce, chunks, reps);
  process.stdout.write(
    `${String(size).padStart(9)} B in ${String(chunks.length).padStart(3)} chunks: ` +
      `LineSplitter ${after.toFixed(3)} ms per event, joined per chunk (before) ${before.toFixed(3)} ms\n`,
  );
}
