import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests beside the code, and integration tests in test/ that share one
// real kube-apiserver + etcd per run (each test file works in a namespace of its own).
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
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
