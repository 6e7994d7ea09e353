// The README's main job, end to end: `npm run demo` with IMANAGE_DEMO_ONCE=1 stops after its table.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('npm run demo', () => {
  it('starts everything, applies every example, and shows real probe results', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'test', 'demo', 'main.ts')], {
      cwd: root, env: { ...process.env, IMANAGE_DEMO_ONCE: '1' }, timeout: 180_000,
    });
    const lines = stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('NAMESPACE'));
    expect(lines[header]).toMatch(/^NAMESPACE\s+KIND\s+NAME\s+READY\s+REASON\s+MESSAGE$/);
    const rows = lines.slice(header + 1).filter((l) => /^\S+\s+(IManageConnection|WorkspaceRepository)\s/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(15);
    // One environment of one example is deliberately unregistered in the simulator's scenario.
    const failing = rows.filter((r) => r.startsWith('clio-operate-hosted '));
    for (const row of rows.filter((r) => !failing.includes(r))) expect(row).toMatch(/\s+True\s+(Connected|Configured)\s+/);
    expect(rows.filter((r) => /IManageConnection\s.*\sTrue\s+Connected\s/.test(r)).length).toBe(5);
    expect(failing).toHaveLength(2);
    expect(failing[0]).toMatch(/IManageConnection\s+clio-operate-hosted\s+False\s+RegistrationOverdue\s+spec\.environments: uat: Overdue — /);
    expect(failing[1]).toMatch(/WorkspaceRepository\s+clio-operate-hosted-document-templates\s+False\s+ConnectionRegistrationOverdue\s/);
    expect(stdout).toMatch(new RegExp(`${rows.length - 2} of ${rows.length} Ready, [\\d.]+ s after start; operator RSS \\d+ MiB`));
  }, 200_000);
});
