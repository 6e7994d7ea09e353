// How the benches start the operator's Node: the chart's two `nodeProfile`s, flag for flag
// (test/chart.test.ts renders both and compares), so that a bench measures what a cluster runs.

/**
 * `throughput`, the image's own (tools/image/build.sh: its entrypoint and its NODE_OPTIONS, and the
 * chart's default maxHeapMiB): TurboFan on, V8's young generation capped at 4 MiB per semi-space,
 * its old space at 96 MiB. `memory`: 1 MiB semi-spaces, the heap grown and compacted for size
 * (--optimize-for-size), without TurboFan (--no-opt), the same ceiling: about 5 MiB less working
 * set at 1,000 connections for 30-40 % more operator CPU (docs/scale.md).
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
