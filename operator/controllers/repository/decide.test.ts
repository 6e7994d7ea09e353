import { describe, expect, it } from 'vitest';
import type { IManageConnection } from '../../api/generated/types.ts';
import { baseConnection, baseRepository, mergePatch } from '../../api/validation/fixtures.ts';
import { decideRepository } from './decide.ts';

const repository = (patch: unknown = {}) => mergePatch(baseRepository(), { metadata: { generation: 2 }, ...(patch as object) });

interface ConnectionOptions {
  generation?: number;
  observed?: number;
  reason?: string;
  suspend?: boolean;
  /** The connection retries a failure by itself (Reconciling=True ProgressingWithRetry). */
  retrying?: boolean;
}

function connection(ready: 'True' | 'False' | 'Unknown' | undefined, opts: ConnectionOptions = {}): IManageConnection {
  const generation = opts.generation ?? 1;
  const observed = opts.observed ?? generation;
  const conn = mergePatch(baseConnection(), { metadata: { generation }, spec: opts.suspend ? { suspend: true } : {} });
  return {
    ...conn,
    status: {
      observedGeneration: observed,
      conditions: [
        ...(ready ? [{ type: 'Ready', status: ready, reason: opts.reason ?? 'Configured', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: observed }] : []),
        ...(opts.retrying ? [{ type: 'Reconciling', status: 'True' as const, reason: 'ProgressingWithRetry', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: observed }] : []),
      ],
    },
  };
}

describe('decideRepository', () => {
  it.each([
    ['Ready', connection('True', { generation: 3, observed: 2 }), undefined],
    ['not Ready', connection('False', { generation: 3, observed: 2, reason: 'SecretNotFound' }), 'ConnectionSecretNotFound'],
  ])('keeps following a connection that was %s while it is reconciled for a new generation', (_title, conn, reason) => {
    expect(decideRepository(repository(), { connection: conn }).failure?.reason).toBe(reason);
  });

  it('is Ready with the parsed resolvers when its connection is Ready', () => {
    const d = decideRepository(repository({ spec: { resolvers: [
      { workType: '*', resolver: 'Clio Operate Document Templates', folder: 'Document Templates' },
      { workType: 'matter', resolver: 'custom1=[workitem.client.reference], custom2=[workitem.reference]', fallbacks: ['[workitem.title]'] },
    ] } }), { connection: connection('True') });
    expect(d.failure).toBeUndefined();
    expect(d.conditions.set).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Configured' })]);
    expect(d.status).toEqual({
      observedGeneration: 2,
      resolvers: [
        { workType: '*', mode: 'DefaultSearch', query: 'Clio Operate Document Templates', folder: 'Document Templates' },
        { workType: 'matter', mode: 'AdvancedSearch', query: 'custom1=[workitem.client.reference], custom2=[workitem.reference]', fallbacks: ['DefaultSearch [workitem.title]'] },
      ],
    });
  });

  it.each([
    ['an invalid resolver', repository({ spec: { resolvers: [{ workType: '*', resolver: '[workitem.title' }] } }), connection('True'), 'stalled', 'InvalidSpec', /^spec\.resolvers\[0\]\.resolver: .*column 1/],
    ['a missing connection', repository(), undefined, 'stalled', 'ConnectionNotFound', /^spec\.connectionRef\.name: IManageConnection 'acme' does not exist/],
    ['a connection that is not Ready', repository(), connection('False', { reason: 'SecretNotFound' }), 'stalled', 'ConnectionSecretNotFound', /is not Ready \(SecretNotFound\)/],
    ['a suspended connection', repository(), connection('True', { suspend: true }), 'stalled', 'ConnectionSuspended', /is suspended/],
    ['a connection retrying an outage', repository(), connection('False', { reason: 'ConnectFailed', retrying: true }), 'retrying', 'ConnectionConnectFailed', /is not Ready \(ConnectFailed\)/],
    ['a connection still reconciling', repository(), connection('Unknown'), 'reconciling', 'WaitingForConnection', /waiting for IManageConnection 'acme'/],
    ['a connection not yet seen by the operator', repository(), connection(undefined, { observed: -1 }), 'reconciling', 'WaitingForConnection', /waiting/],
  ])('on %s', (_title, repo, conn, kind, reason, message) => {
    const d = decideRepository(repo, { connection: conn });
    expect(d.failure).toMatchObject({ kind, reason });
    const ready = d.conditions.set.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: kind === 'reconciling' ? 'Unknown' : 'False', reason });
    expect(ready?.message).toMatch(message);
    const other = kind === 'stalled' ? 'Stalled' : 'Reconciling';
    expect(d.conditions.set.find((c) => c.type === other)).toMatchObject({ status: 'True' });
    if (kind !== 'stalled') expect(d.conditions.remove).toContain('Stalled');
  });
});
