import { describe, expect, it } from 'vitest';
import { ownerOf, parseSamples } from './on-cpu.ts';

// Two samples as `perf script -F comm,tid,ip,sym,dso` prints them after `perf inject --jit`.
const SCRIPT = `MainThread  7256 
\t             f0f Builtin:LoadIC_NoFeedback (/work/main/jitted-7256-158.so)
\t             87f JS:*json file:///tmp/cbn/operator/runtime/kube/transport.js:44:10 (/work/main/jitted-7256-4895.so)
\t          2724a __libc_start_call_main (/usr/lib/x86_64-linux-gnu/libc.so.6)

V8Worker  7260 
\tffffffff813aecd3 finish_task_switch.isra.0 ([kernel.kallsyms])
`;

describe('on-cpu', () => {
  it('reads each sample with its thread and its frames, leaf first', () => {
    const samples = parseSamples(SCRIPT);
    expect(samples.map((s) => [s.thread, s.frames.length])).toEqual([
      ['MainThread', 3],
      ['V8Worker', 1],
    ]);
    expect(samples[0]!.frames[1]).toEqual({
      symbol: 'JS:*json file:///tmp/cbn/operator/runtime/kube/transport.js:44:10',
      object: '/work/main/jitted-7256-4895.so',
    });
  });

  it('names the operator file or the package a frame belongs to, and nothing for Node or V8', () => {
    expect(ownerOf('JS:*json file:///tmp/cbn/operator/runtime/kube/transport.js:44:10')).toBe(
      'operator/runtime/kube/transport.js',
    );
    expect(ownerOf('JS:^encrypt file:///app/node_modules/jose/dist/webapi/jwe/compact/encrypt.js:9:5')).toBe(
      'node_modules/jose',
    );
    expect(ownerOf('JS:~get file:///app/node_modules/@scope/pkg/index.js:1:1')).toBe('node_modules/@scope/pkg');
    expect(ownerOf('JS:^emit node:events:455:44')).toBeUndefined();
    expect(ownerOf('Builtin:LoadIC_NoFeedback')).toBeUndefined();
  });
});
