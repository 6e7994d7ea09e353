// Issue 18, finding 1: how long every reader of server text (operator/imanage/redos-inputs.ts)
// takes over 1 MiB of the inputs that made the former excerpt() mask backtrack: runs of `token.`,
// `a.`, `a-`, `secret=` and mixes of them. Prints each figure against the 50 ms bar; the property
// test asserts the bound on what each pattern sees, never a time.
//
// Usage: node bench/redos.ts

import { serverTextReaders } from '../operator/imanage/redos-inputs.ts';

const MIB = 1 << 20;
const BAR_MS = 50;
const RUNS = ['token.', 'a.', 'a-', 'secret=', 'token.a-secret=', 'a.token=secret:', '"token": "a.'];
const say = (line = ''): void => void process.stdout.write(`${line}\n`);

const oneMiB = (run: string): string => run.repeat(Math.ceil(MIB / run.length)).slice(0, MIB);

let worst = 0;
for (const [name, read, , prepare = (t: string) => t] of serverTextReaders) {
  const figures = RUNS.map((run) => {
    const input = prepare(oneMiB(run));
    read(input); // warm-up: the first call compiles the patterns
    const started = performance.now();
    read(input);
    const ms = performance.now() - started;
    worst = Math.max(worst, ms);
    return `${JSON.stringify(run)} ${ms.toFixed(2)} ms`;
  });
  say(`${name}: ${figures.join(', ')}`);
}
say();
say(`slowest: ${worst.toFixed(2)} ms over 1 MiB (bar: ${BAR_MS} ms) — ${worst < BAR_MS ? 'under' : 'OVER'} the bar`);
