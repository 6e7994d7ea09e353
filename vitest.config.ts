import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests beside the code, and integration tests in test/ that share one
// real kube-apiserver + etcd per run (each test file works in a namespace of its own).
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    // Vitest's default on this 2-core machine is one worker, so the integration files (which mostly
    // wait on the API server, the simulator and spawned operators) ran one after another: 13 min.
    // Three files at once keep both cores busy without starving the timing-sensitive ones.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['operator/**/*.test.ts', 'simulator/**/*.test.ts', 'bench/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
