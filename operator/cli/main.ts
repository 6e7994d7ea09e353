#!/usr/bin/env -S node --max-semi-space-size=1
// imanage-operator: the operator and its command-line tools, one program.
//
// --max-semi-space-size=1: V8 on Node 24 lets the young generation grow to 128 MiB under a burst
// and keeps it; capped, the operator holds 147 instead of 183 MiB with 6,000 objects at the same
// speed (bench/operator-scale.ts). Set it in NODE_OPTIONS when starting with `node main.ts`.
//
// Node compiles (and strips the types of) every module at start-up; its compile cache keeps
// the result on disk, which here saves about 30 MiB of resident memory and most of the start
// time. It must be on before the rest of the program is imported, hence this small entry point.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
await import('./commands.ts');
