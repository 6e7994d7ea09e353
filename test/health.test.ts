// The health checks GitOps tools apply to our objects, run with the real libraries: Argo CD's
// health.lua in gopher-lua (the interpreter Argo CD embeds) and kstatus from sigs.k8s.io/cli-utils
// (Flux, helm --wait). They are Go tests in tools/health; this runs them so that `npm test` covers
// them. The objects they read come from the API server (test/health-objects.test.ts).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './harness/exec.ts';

const toolDir = join(import.meta.dirname, '..', 'tools', 'health');

/** The Go tests that must run and pass; a renamed or lost test fails here, not silently. */
const GO_TESTS = [
  'TestHealthLua', 'TestEveryTestdataFileHasACase', 'TestScriptsGetArgoCDsLibrariesOnly',
  'TestInvalidStatusIsUnknownAsInArgoCD', 'TestKstatus', 'TestEveryObjectHasAKstatusCase',
];

describe('GitOps health checks (tools/health)', () => {
  // The first run compiles apimachinery; the Go build and test caches make later runs quick.
  it('pass under gopher-lua and kstatus', { timeout: 600_000 }, async () => {
    // -mod=readonly: go.sum is committed and complete; a test never edits go.mod or go.sum.
    const env = { ...process.env, GOFLAGS: '-mod=readonly' };
    const result = await run('go', ['test', '-v', './...'], { cwd: toolDir, env });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    for (const test of GO_TESTS) expect(output, output).toMatch(new RegExp(`^--- PASS: ${test} `, 'm'));
  });
});
