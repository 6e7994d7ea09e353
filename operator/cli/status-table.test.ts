import { describe, expect, it } from 'vitest';
import { statusRow, statusTable } from './status-table.ts';

const ready = { type: 'Ready', status: 'True', reason: 'Resolved', message: 'resolved' };
const repository = (resolutions: object[], generation = 1) => ({
  kind: 'WorkspaceRepository',
  metadata: { namespace: 'clio', name: 'templates', generation },
  spec: { area: 'DocumentTemplates', connectionRef: { name: 'acme' } },
  status: { observedGeneration: 1, conditions: [ready], resolvers: resolutions.map((resolution) => ({ resolution })) },
});
const resolved = (name: string, path?: string) => ({
  outcome: 'Resolved',
  workspace: { id: 'ACTIVE_US!1', name },
  ...(path ? { folder: { id: 'ACTIVE_US!2', path } } : {}),
});

describe('the RESOLVED TO column', () => {
  it.each([
    [
      'a workspace and folder',
      [resolved('Shared Administration', 'Document Templates')],
      'Shared Administration / Document Templates',
    ],
    ['a workspace alone', [resolved('Smith v Jones')], 'Smith v Jones'],
    ['why not', [{ outcome: 'NoMatch', message: 'no workspace matches' }], 'NoMatch'],
    ['a dynamic resolver', [{ outcome: 'NeedsWorkItem' }], 'per work item'],
    [
      'more entries than fit',
      [resolved('A', 'x'), { outcome: 'FolderMissing' }, resolved('C')],
      'A / x, FolderMissing (+1 more)',
    ],
  ])('shows %s', (_title, resolutions, cell) => {
    expect(statusRow(repository(resolutions)).resolvedTo).toBe(cell);
  });

  it('says nothing for a generation the operator has not acted on, nor for connections', () => {
    expect(statusRow(repository([resolved('A')], 2)).resolvedTo).toBeUndefined();
    const connection = {
      kind: 'IManageConnection',
      metadata: { name: 'acme', generation: 1 },
      spec: { url: 'https://x' },
    };
    const table = statusTable([statusRow(connection), statusRow(repository([resolved('A', 'B')]))]);
    expect(table.split('\n')[0]).toMatch(/READY\s+REASON\s+RESOLVED TO\s+MESSAGE/);
    expect(table).toMatch(/WorkspaceRepository\s+templates\s+True\s+Resolved\s+A \/ B\s+resolved/);
    expect(statusTable([statusRow(connection)])).not.toContain('RESOLVED TO');
  });
});
