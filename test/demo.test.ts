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
    expect(lines[header]).toMatch(/^NAMESPACE\s+KIND\s+NAME\s+READY\s+REASON\s+(RESOLVED TO\s+)?MESSAGE$/);
    const rows = lines.slice(header + 1).filter((l) => /^\S+\s+(IManageConnection|WorkspaceRepository)\s/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(15);
    // One environment of one example is deliberately unregistered in the simulator's scenario, and
    // one connection (legatics-onprem) waits for an interactive link.
    const failing = rows.filter((r) => r.startsWith('clio-operate-hosted '));
    const connections = rows.filter((r) => /^\S+\s+IManageConnection\s/.test(r));
    expect(connections.filter((r) => /\sTrue\s+Connected\s/.test(r))).toHaveLength(4);
    expect(failing).toHaveLength(2);
    expect(failing[0]).toMatch(/IManageConnection\s+clio-operate-hosted\s+False\s+RegistrationOverdue\s/);
    expect(failing[0]).toMatch(/\sspec\.environments: uat: Overdue — /);
    expect(failing[1]).toMatch(/WorkspaceRepository\s+clio-operate-hosted-document-templates\s+False\s+ConnectionRegistrationOverdue\s/);
    const unlinked = connections.find((r) => / legatics-onprem /.test(r));
    expect(unlinked).toMatch(/\sFalse\s+NotLinked\s.*spec\.auth: no account is linked yet: open status\.tokens\.signInUrl/);
    expect(unlinked).toMatch(/or run: imanage-operator link legatics-onprem$/);
    // The tokens: an encrypted token Secret materialized, and the sign-in URL of the unlinked one.
    const materialized = 'clio-operate-cloud/clio-operate-cloud: TokensReady=True Linked; ' +
      'Secret clio-operate-cloud-tokens (encrypted, nested-jwe/v1)';
    expect(stdout).toContain(materialized);
    const signIn = /legatics\/legatics-onprem: TokensReady=False NotLinked; sign in at (\S+)/.exec(stdout)?.[1] ?? '';
    expect(signIn).toMatch(/^https:\/\/imanage\.firm\.example\/auth\/oauth2\/authorize\?\S*code_challenge_method=S256/);
    expect(stdout).toMatch(new RegExp(`\\d+ of ${rows.length} Ready, [\\d.]+ s after start; operator RSS \\d+ MiB`));
  }, 200_000);
});
