// The README's main job, end to end: `npm run demo` with IMANAGE_DEMO_ONCE=1 stops after its table.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WorkspaceRepository } from '../operator/api/generated/types.ts';
import { deliberateLines, deliberateReason, exampleRepositoryConnections } from './demo/exceptions.ts';

const root = join(import.meta.dirname, '..');
const examples = join(root, 'examples');

interface Row {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly ready: string;
  readonly reason: string;
  readonly resolvedTo: string;
  readonly message: string;
  readonly line: string;
}

/** The table's rows, cut at the header's column starts (RESOLVED TO holds spaces). */
function tableRows(lines: readonly string[]): Row[] {
  const header = lines.find((l) => l.startsWith('NAMESPACE'))!;
  const columns = ['NAMESPACE', 'KIND', 'NAME', 'READY', 'REASON', 'RESOLVED TO', 'MESSAGE'];
  // Each title starts after a space (NAME is also the start of NAMESPACE).
  const starts = columns.map((c, i) => (i === 0 ? 0 : header.indexOf(` ${c}`) + 1));
  const body = lines.filter((l) => /^\S+\s+(imc|wsr)\s/.test(l));
  const kinds: Record<string, string> = { imc: 'IManageConnection', wsr: 'WorkspaceRepository' };
  return body.map((line) => {
    const cell = (i: number) => line.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim();
    const [namespace, short, name, ready, reason, resolvedTo, cut] = columns.map((_, i) => cell(i)) as string[];
    const kind = kinds[short!]!;
    // A message too long for the terminal ends in … in the table and is printed whole below it.
    const whole = lines.find((l) => l.startsWith(`  ${namespace}/${name} (${kind}): `));
    const message = cut?.endsWith('…') && whole ? whole.slice(whole.indexOf('): ') + 3) : cut;
    return { namespace, kind, name, ready, reason, resolvedTo, message, line } as Row;
  });
}

let stdout = '';
let rows: Row[] = [];
let connectionOf: Map<string, string>;

beforeAll(async () => {
  ({ stdout } = await promisify(execFile)(process.execPath, [join(root, 'test', 'demo', 'main.ts')], {
    cwd: root,
    env: { ...process.env, IMANAGE_DEMO_ONCE: '1' },
    timeout: 180_000,
  }));
  const lines = stdout.split('\n');
  expect(lines.find((l) => l.startsWith('NAMESPACE'))).toMatch(
    /^NAMESPACE\s+KIND\s+NAME\s+READY\s+REASON\s+RESOLVED TO\s+MESSAGE$/,
  );
  rows = tableRows(lines);
  connectionOf = await exampleRepositoryConnections(examples);
}, 200_000);

describe('npm run demo', () => {
  it('names no seed number anywhere in its output (users know the product guides, not our seed files)', () => {
    expect(stdout).not.toMatch(/seeds? \d{3}/i);
  });

  it('marks simulated answers, and fits its table to the terminal (long messages in full below it)', () => {
    expect(stdout).toContain('Status (from the simulated iManage hosts):');
    const table = stdout.slice(stdout.indexOf('NAMESPACE'), stdout.indexOf('\n\n', stdout.indexOf('NAMESPACE')));
    for (const line of table.split('\n')) expect(line.length, line).toBeLessThanOrEqual(160);
  });

  it('prints how to finish the unlinked sign-in in a desktop browser, over TLS as the callback URL says', () => {
    expect(stdout).toContain('legatics/legatics-onprem waits for a sign-in. To finish it in a desktop browser:');
    expect(stdout).toMatch(/link legatics-onprem -n legatics --kubeconfig \S+/);
    expect(stdout).toMatch(/--host-resolver-rules="MAP \S+ 127\.0\.0\.1:\d+, .*MAP imanage-operator\.demo\.example 127\.0\.0\.1:\d+"/);
  });

  it('starts everything, applies every example, and everything not failing on purpose is Ready', () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) {
      const connection = connectionOf.get(`${row.namespace}/${row.name}`);
      const reason = deliberateReason({ example: row.namespace, ...row, ...(connection ? { connection } : {}) });
      if (reason) expect([row.ready, row.reason], row.line).toEqual(['False', reason]);
      else expect(row.ready, row.line).toBe('True');
    }
    expect(stdout).toContain(`Deliberately not Ready:\n${deliberateLines().map((l) => `  ${l}`).join('\n')}`);
    expect(stdout).toMatch(new RegExp(`\\d+ of ${rows.length} Ready, [\\d.]+ s after start; operator RSS \\d+ MiB`));
  });

  it('shows the deliberate failures with what to do', () => {
    const connections = rows.filter((r) => r.kind === 'IManageConnection');
    expect(connections.filter((r) => r.ready === 'True' && r.reason === 'Connected')).toHaveLength(4);
    const hosted = rows.filter((r) => r.namespace === 'clio-operate-hosted');
    expect(hosted.map((r) => [r.kind, r.name, r.reason])).toEqual([
      ['IManageConnection', 'clio-operate-hosted', 'RegistrationOverdue'],
      ['WorkspaceRepository', 'clio-operate-hosted-document-templates', 'ConnectionRegistrationOverdue'],
    ]);
    expect(hosted[0]!.message).toMatch(/^spec\.environments: uat: Overdue — /);
    const unlinked = connections.find((r) => r.name === 'legatics-onprem')!;
    expect(unlinked.message).toMatch(/^spec\.auth: no account is linked yet: run imanage-operator link legatics-onprem, /);
    expect(unlinked.message).toMatch(/kept in Secret 'legatics-onprem-sign-in'.*and sign in with it as the fall-back account$/);
  });

  it("shows the workspace and folder each of the seven Clio Operate areas resolved to (seed 000)", async () => {
    const text = await readFile(join(examples, 'clio-operate-cloud', 'repositories.yaml'), 'utf8');
    const repositories = loadAll(text) as WorkspaceRepository[];
    expect(repositories).toHaveLength(7);
    for (const r of repositories) {
      const row = rows.find((x) => x.name === r.metadata.name)!;
      const entry = r.spec.resolvers.find((e) => e.workType === '*')!;
      expect([row.ready, row.reason], row.line).toEqual(['True', 'Resolved']);
      // The table cuts RESOLVED TO to fit the terminal; the line below says it whole.
      const target = `${entry.resolver} / ${entry.folder}`;
      const shown = row.resolvedTo.replace(/…$/, '');
      if (shown === row.resolvedTo) expect(row.resolvedTo, row.line).toMatch(new RegExp(`^${target}(,|$)`));
      else expect(target.startsWith(shown) || shown.startsWith(target), row.line).toBe(true);
      const status = `clio-operate-cloud/${r.metadata.name}: * → ${entry.resolver} / ${entry.folder} (workspace `;
      expect(stdout).toContain(status);
    }
    // Previews in status: a litigation instruction by its title, a service request's matter by
    // Advanced Search on custom1 and custom2 (12345.00001).
    const litigation = 'clio-operate-cloud-instructions: preview instruction-litigation → ';
    expect(stdout).toContain(`${litigation}CASE101: John Smith vs. Jane Doe / Documents (`);
    expect(stdout).toMatch(
      /service-requests: preview service-request-matter → Acme Holdings Ltd: 12345\.00001 \/ Service Requests \(/,
    );
  });

  it("shows Actionstep's matters found by Matter ID, and a migrated one by File Reference (seed 003)", () => {
    const row = rows.find((r) => r.name === 'actionstep-matters')!;
    expect([row.ready, row.reason, row.resolvedTo]).toEqual(['True', 'Resolved', 'per work item']);
    const line = (sample: string, found: string) =>
      stdout.split('\n').find((l) => l.includes(`actionstep-matters: preview ${sample} → ${found}`));
    const invoices = 'Actionstep Documents/Invoices';
    expect(line('conveyancing', 'Smith v Jones')).toMatch(new RegExp(` / ${invoices} \\(workspace \\S+, 1 match\\)$`));
    expect(line('litigation', 'Brown v State Insurance')).toMatch(
      new RegExp(` / ${invoices} \\(workspace \\S+, 1 match, by fallbacks\\[0\\]\\)$`),
    );
  });

  it('shows the tokens: an encrypted token Secret materialized, and where the sign-in URL of the unlinked one is', () => {
    const materialized =
      'clio-operate-cloud/clio-operate-cloud: TokensReady=True Linked; ' +
      'Secret clio-operate-cloud-tokens (encrypted, nested-jwe/v1)';
    expect(stdout).toContain(materialized);
    expect(stdout).toContain(
      'legatics/legatics-onprem: TokensReady=False NotLinked; its sign-in URL is in Secret legatics-onprem-sign-in',
    );
    expect(stdout).not.toMatch(/https:\/\/imanage\.firm\.example\/auth\/oauth2\/authorize\?/); // not printed by the demo
  });
});
