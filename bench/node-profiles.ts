// How the benches start the operator's Node: the chart's two `nodeProfile`s, flag for flag
// (test/chart.test.ts renders both and compares), so that a bench measures what a cluster runs.

/**
 * `memory`, the image's own (tools/image/build.sh: its entrypoint's flags and its NODE_OPTIONS, and
 * the chart's default maxHeapMiB): V8's young generation capped at 1 MiB per semi-space, its heap
 * grown and compacted for size (--optimize-for-size), without TurboFan (--no-opt), its old space
 * capped at 96 MiB. `throughput`: TurboFan on, 4 MiB semi-spaces, the same ceiling: 30-40 % less
 * operator CPU for about 12 MiB more RSS at 1,000 connections, and more than a 128 MiB limit holds
 * at concurrency 64 (docs/scale.md).
 */
export const NODE_PROFILES = {
  memory: ['--max-semi-space-size=1', '--optimize-for-size', '--no-opt', '--max-old-space-size=96'],
  throughput: ['--max-semi-space-size=4', '--max-old-space-size=96'],
} as const satisfies Record<string, readonly string[]>;

export type NodeProfile = keyof typeof NODE_PROFILES;

/**
 * glibc as in the image, whatever the profile: 2 malloc arenas, with fixed trim and mmap thresholds
 * (128 KiB) so that large transient buffers go back to the system at once.
 */
export const OPERATOR_ENV = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '131072',
} as const;
