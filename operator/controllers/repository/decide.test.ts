import { describe, expect, it } from 'vitest';
import type { IManageConnection } from '../../api/generated/types.ts';
import { baseConnection, baseRepository, mergePatch } from '../../api/validation/fixtures.ts';
import type { Outcome } from '../../imanage/resolve.ts';
import { Forbidden, ServerError, Unauthorized } from '../../imanage/work-errors.ts';
import { blockedBeforeResolution, decideRepository } from './decide.ts';
import type { EntryResult, ObservedRepository, Resolution } from './observed.ts';

const repository = (patch: unknown = {}) =>
  mergePatch(baseRepository(), { metadata: { generation: 2 }, ...(patch as object) });

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
        ...(ready
          ? [
              {
                type: 'Ready',
                status: ready,
                reason: opts.reason ?? 'Configured',
                message: 'm',
                lastTransitionTime: '2026-01-01T00:00:00Z',
                observedGeneration: observed,
              },
            ]
          : []),
        ...(opts.retrying
          ? [
              {
                type: 'Reconciling',
                status: 'True' as const,
                reason: 'ProgressingWithRetry',
                message: 'm',
                lastTransitionTime: '2026-01-01T00:00:00Z',
                observedGeneration: observed,
              },
            ]
          : []),
      ],
    },
  };
}

describe('decideRepository', () => {
  it.each([
    ['Ready', connection('True', { generation: 3, observed: 2 }), undefined],
    [
      'not Ready',
      connection('False', { generation: 3, observed: 2, reason: 'SecretNotFound' }),
      'ConnectionSecretNotFound',
    ],
  ])('keeps following a connection that was %s while it is reconciled for a new generation', (_title, conn, reason) => {
    expect(decideRepository(repository(), { connection: conn }).failure?.reason).toBe(reason);
  });

  it('is Ready with the parsed resolvers when its connection is Ready', () => {
    const d = decideRepository(
      repository({
        spec: {
          resolvers: [
            { workType: '*', resolver: 'Clio Operate Document Templates', folder: 'Document Templates' },
            {
              workType: 'matter',
              resolver: 'custom1=[workitem.client.reference], custom2=[workitem.reference]',
              fallbacks: ['[workitem.title]'],
            },
          ],
        },
      }),
      { connection: connection('True') },
    );
    expect(d.failure).toBeUndefined();
    expect(d.conditions.set).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Configured' }),
      expect.objectContaining({ type: 'ConnectionReady', status: 'True', reason: 'ConnectionReady' }),
      expect.objectContaining({
        type: 'ResolverValid',
        status: 'True',
        message: '2 resolvers parsed: 1 static, 1 dynamic',
      }),
    ]);
    // Without resolution (probes off) the conditions about iManage's answers are not kept.
    expect(d.conditions.remove).toEqual(expect.arrayContaining(['Resolved', 'AccessVerified']));
    expect(d.status).toEqual({
      observedGeneration: 2,
      resolvers: [
        {
          workType: '*',
          mode: 'DefaultSearch',
          query: 'Clio Operate Document Templates',
          folder: 'Document Templates',
        },
        {
          workType: 'matter',
          mode: 'AdvancedSearch',
          query: 'custom1=[workitem.client.reference], custom2=[workitem.reference]',
          fallbacks: ['DefaultSearch [workitem.title]'],
        },
      ],
    });
  });

  it.each([
    [
      'an invalid resolver',
      repository({ spec: { resolvers: [{ workType: '*', resolver: '[workitem.title' }] } }),
      connection('True'),
      'stalled',
      'InvalidSpec',
      /^spec\.resolvers\[0\]\.resolver: .*column 1/,
    ],
    [
      'a missing connection',
      repository(),
      undefined,
      'stalled',
      'ConnectionNotFound',
      /^spec\.connectionRef\.name: IManageConnection 'acme' does not exist/,
    ],
    [
      'a connection that is not Ready',
      repository(),
      connection('False', { reason: 'SecretNotFound' }),
      'stalled',
      'ConnectionSecretNotFound',
      /is not Ready \(SecretNotFound\)/,
    ],
    [
      'a suspended connection',
      repository(),
      connection('True', { suspend: true }),
      'stalled',
      'ConnectionSuspended',
      /is suspended/,
    ],
    [
      'a connection retrying an outage',
      repository(),
      connection('False', { reason: 'ConnectFailed', retrying: true }),
      'retrying',
      'ConnectionConnectFailed',
      /is not Ready \(ConnectFailed\)/,
    ],
    [
      'a connection still reconciling',
      repository(),
      connection('Unknown'),
      'reconciling',
      'WaitingForConnection',
      /waiting for IManageConnection 'acme'/,
    ],
    [
      'a connection not yet seen by the operator',
      repository(),
      connection(undefined, { observed: -1 }),
      'reconciling',
      'WaitingForConnection',
      /waiting/,
    ],
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

// ---- With resolution on: what iManage answered becomes conditions and status ----------------------

const workspace = (id: string, name: string) => ({ id, name, library: 'ACTIVE_US', custom: {} });
const SEARCH = { source: 'resolver' as const, resolver: 'DefaultSearch Clio Operate Document Templates' };
const searches = (matches: number) => [{ ...SEARCH, query: { name: 'Clio Operate Document Templates' }, matches }];

function searched(outcome: Record<string, unknown>, matches = 1): EntryResult {
  return { kind: 'Searched', outcome: { searches: searches(matches), skipped: [], ...outcome } as unknown as Outcome };
}

const RESOLVED = searched({
  kind: 'Resolved',
  workspace: workspace('ACTIVE_US!3', 'Clio Operate Document Templates'),
  matches: 1,
  matchedBy: 'resolver',
  folder: { id: 'ACTIVE_US!4', path: 'Document Templates' },
});

function resolvedWith(entries: EntryResult[], extra: Partial<Extract<Resolution, { kind: 'Resolved' }>> = {}) {
  return {
    connection: connection('True'),
    resolution: { kind: 'Resolved' as const, library: 'ACTIVE_US', entries, previews: [], ...extra },
  };
}

const decideResolving = (observed: ObservedRepository, patch: unknown = {}) =>
  decideRepository(repository(patch), observed, { resolving: true });
const conditionOf = (d: ReturnType<typeof decideRepository>, type: string) =>
  d.conditions.set.find((c) => c.type === type);

describe("decideRepository, the connection's profile rules (issue 14)", () => {
  const withProfile = (profile: string, library = 'ACTIVE_AU') => {
    const ready = connection('True');
    return { ...ready, spec: { ...ready.spec, profile, library } } as IManageConnection;
  };
  // Seed 003's chain, as examples/actionstep writes it: Matter ID, then File Reference, several matches fail.
  const chain = { resolver: 'custom2=[workitem.id]', fallbacks: ['custom2=[workitem.fileReference]'] };
  const entry = { workType: '*', ...chain, onMultipleMatches: 'Fail' };
  const matters = (patch: object) => repository({ spec: { area: 'Matters', resolvers: [entry], ...patch } });

  it.each([
    [
      'Clio Operate, an area outside the seven',
      'ClioOperate',
      repository({ spec: { area: 'Matters' } }),
      /^spec\.area: profile ClioOperate \(Clio Operate's iManage guide: .*\): area Matters is not one of .* — fix: use one of Document/,
    ],
    [
      'Actionstep, an area other than Matters',
      'Actionstep',
      matters({ area: 'DocumentTemplates' }),
      /^spec\.area: profile Actionstep \(Actionstep's iManage guide: .*\): .*: Actionstep links matters only — fix: use area Matters$/,
    ],
    [
      "Actionstep, a library other than the connection's",
      'Actionstep',
      matters({ library: 'ACTIVE_US' }),
      /^spec\.library: profile Actionstep \(Actionstep's iManage guide: "Only one iManage library .*"\): .* — fix: remove library/,
    ],
    [
      'Actionstep, several matches guessed at, and the fallback not by File Reference',
      'Actionstep',
      matters({ resolvers: [{ workType: '*', resolver: 'custom2=[workitem.id]', fallbacks: ['[workitem.title]'] }] }),
      /^spec\.resolvers\[0\]\.fallbacks\[0\]: profile Actionstep .* more: spec\.resolvers\[0\]\.onMultipleMatches\)$/,
    ],
  ])('%s: InvalidSpec naming the profile, the seed and the fix, before iManage is asked', (_t, profile, repo, text) => {
    const d = decideRepository(repo, { connection: withProfile(profile) }, { resolving: true });
    expect(d.failure).toMatchObject({ kind: 'stalled', reason: 'InvalidSpec' });
    expect(d.failure!.message).toMatch(text);
    expect(blockedBeforeResolution(repo, withProfile(profile))?.reason).toBe('InvalidSpec');
    expect(d.conditions.set.find((c) => c.type === 'ResolverValid')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
    });
  });

  it.each([
    ['Actionstep', matters({})],
    ['ClioOperate', repository()],
    ['Generic', repository({ spec: { area: 'Matters' } })],
  ])('passes a repository that keeps the %s rules', (profile, repo) => {
    expect(blockedBeforeResolution(repo, withProfile(profile))).toBeUndefined();
  });
});

describe('decideRepository, resolving', () => {
  it('is Ready with the workspace and folder each static entry resolved to', () => {
    const d = decideResolving(resolvedWith([RESOLVED]));
    expect(d.failure).toBeUndefined();
    expect(d.status.resolvers?.[0]?.resolution).toEqual({
      outcome: 'Resolved',
      workspace: { id: 'ACTIVE_US!3', name: 'Clio Operate Document Templates' },
      folder: { id: 'ACTIVE_US!4', path: 'Document Templates' },
      matches: 1,
      matchedBy: 'resolver',
    });
    expect(conditionOf(d, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Resolved',
      message: "resolved through IManageConnection 'acme': * → Clio Operate Document Templates / Document Templates",
    });
    for (const type of ['ConnectionReady', 'ResolverValid', 'Resolved'])
      expect(conditionOf(d, type)?.status).toBe('True');
    expect(d.conditions.remove).toContain('AccessVerified');
  });

  const candidates = [1, 2, 3, 4, 5].map((n) => workspace(`ACTIVE_US!${n}`, `Twin ${n}`));
  const unavailable = (error: Error): EntryResult => ({ kind: 'Unavailable', error: error as never });
  it.each([
    [
      'NoMatch',
      searched({ kind: 'NoMatch' }, 0),
      'stalled',
      'NoMatch',
      'spec.resolvers[0].resolver',
      /^spec\.resolvers\[0\]\.resolver: work type '\*': no workspace matches \(searched name=.*\), so the product has no workspace to file in; create/,
    ],
    [
      'AmbiguousMatch',
      searched({ kind: 'AmbiguousMatch', matches: 7, matchedBy: 'resolver', candidates }, 7),
      'stalled',
      'AmbiguousMatch',
      'spec.resolvers[0].resolver',
      /7 workspaces match .*onMultipleMatches is Fail/,
    ],
    [
      'FolderMissing',
      searched({
        kind: 'FolderMissing',
        workspace: workspace('ACTIVE_US!3', 'W'),
        matches: 1,
        matchedBy: 'resolver',
        existing: '',
        missing: 'Document Templates',
      }),
      'stalled',
      'FolderMissing',
      'spec.resolvers[0].folder',
      /no folder 'Document Templates' in its top level.*ensureFolders: true/,
    ],
    [
      'Forbidden',
      searched({ kind: 'Forbidden', detail: 'HTTP 403' }),
      'stalled',
      'Forbidden',
      'spec.resolvers[0].resolver',
      /HTTP 403; grant/,
    ],
    [
      'LibraryNotFound',
      searched({ kind: 'LibraryNotFound', library: 'NOPE' }),
      'stalled',
      'LibraryNotFound',
      'spec.resolvers[0].resolver',
      /no library 'NOPE'/,
    ],
    [
      'an outage',
      unavailable(new ServerError('searching: HTTP 503')),
      'retrying',
      'IManageUnavailable',
      'spec.resolvers[0]',
      /HTTP 503; the operator retries/,
    ],
    [
      'a refused token',
      unavailable(new Unauthorized('searching: HTTP 401')),
      'retrying',
      'AccessTokenRejected',
      'spec.resolvers[0]',
      /HTTP 401/,
    ],
    [
      'a value its field cannot hold',
      { kind: 'InvalidResolver', message: 'resolver: custom25 holds true or false' } as EntryResult,
      'stalled',
      'InvalidResolver',
      'spec.resolvers[0].resolver',
      /custom25/,
    ],
  ])('on %s', (_title, entry, kind, reason, fieldPath, message) => {
    const d = decideResolving(resolvedWith([entry]));
    expect(d.failure).toMatchObject({ kind, reason, fieldPath });
    expect(conditionOf(d, 'Ready')).toMatchObject({ status: 'False', reason });
    expect(conditionOf(d, 'Ready')?.message).toMatch(message);
    const part = reason === 'InvalidResolver' ? 'ResolverValid' : 'Resolved';
    expect(conditionOf(d, part)).toMatchObject({ status: 'False', reason });
    expect(conditionOf(d, 'ConnectionReady')?.status).toBe('True');
  });

  it('reports up to five candidates of an AmbiguousMatch in status', () => {
    const d = decideResolving(
      resolvedWith([searched({ kind: 'AmbiguousMatch', matches: 7, matchedBy: 'fallbacks[0]', candidates }, 7)]),
    );
    expect(d.status.resolvers?.[0]?.resolution).toMatchObject({
      outcome: 'AmbiguousMatch',
      matches: 7,
      matchedBy: 'fallbacks[0]',
    });
    expect(d.status.resolvers?.[0]?.resolution?.candidates).toHaveLength(5);
  });

  it.each([
    ['NotYetObtained', 'reconciling', 'WaitingForAccessToken', 'Unknown'],
    ['Expired', 'reconciling', 'WaitingForAccessToken', 'Unknown'],
  ] as const)(
    'waits for the connection without a token (%s): ConnectionReady says why',
    (tokenReason, kind, reason, status) => {
      const resolution = {
        kind: 'NoAccessToken' as const,
        reason: tokenReason,
        message: 'no access token for IManageConnection ns/acme yet',
      };
      const d = decideResolving({ connection: connection('True'), resolution });
      expect(d.failure).toMatchObject({ kind, reason });
      expect(conditionOf(d, 'ConnectionReady')).toMatchObject({ status, reason });
      expect(conditionOf(d, 'Resolved')).toMatchObject({ reason });
      expect(d.status.resolvers?.[0]?.resolution).toBeUndefined();
    },
  );

  it('shows a connection whose account is not linked as ConnectionNotLinked, before any token is asked for', () => {
    const resolution = { kind: 'NoAccessToken' as const, reason: 'NotYetObtained' as const, message: 'no token' };
    const d = decideResolving({ connection: connection('False', { reason: 'NotLinked' }), resolution });
    expect(d.failure).toMatchObject({ kind: 'stalled', reason: 'ConnectionNotLinked' });
    expect(conditionOf(d, 'ConnectionReady')).toMatchObject({ status: 'False', reason: 'ConnectionNotLinked' });
  });

  it.each([
    ['a failure iManage may get over', (): EntryResult => ({ kind: 'Unavailable', error: new ServerError('HTTP 503') as never }), 'recheck'],
    ['an answer', () => RESOLVED, 'interval'],
  ] as const)('after asking iManage, says when to look again: %s', (_, entry, next) => {
    expect(decideResolving(resolvedWith([entry()])).next).toBe(next);
  });

  it('stalls naming spec.library when no library is known', () => {
    const d = decideResolving({ connection: connection('True'), resolution: { kind: 'NoTarget', missing: 'library' } });
    expect(d.failure).toMatchObject({ kind: 'stalled', reason: 'LibraryUnknown', fieldPath: 'spec.library' });
  });

  it('shows each preview sample with what it resolved to, and a dynamic entry as NeedsWorkItem', () => {
    const dynamic: EntryResult = {
      kind: 'NeedsWorkItem',
      message: 'resolver uses [workitem.title]: it resolves only for a work item',
    };
    const previews = [
      { workType: 'matter', entry: '*', result: RESOLVED },
      { workType: 'lead', result: { kind: 'NoResolver' } as EntryResult },
    ];
    const d = decideResolving(resolvedWith([dynamic], { previews }), {
      spec: { resolvers: [{ workType: '*', resolver: '[workitem.title]' }] },
    });
    expect(d.failure).toBeUndefined();
    expect(conditionOf(d, 'Ready')?.message).toMatch(/every resolver is dynamic/);
    expect(d.status.resolvers?.[0]?.resolution).toMatchObject({
      outcome: 'NeedsWorkItem',
      message: expect.stringMatching(/status\.previews/),
    });
    expect(d.status.previews).toEqual([
      {
        workType: 'matter',
        entry: '*',
        resolution: expect.objectContaining({
          outcome: 'Resolved',
          folder: { id: 'ACTIVE_US!4', path: 'Document Templates' },
        }),
      },
      { workType: 'lead', resolution: { outcome: 'NoResolver', message: expect.stringMatching(/no resolvers entry/) } },
    ]);
  });

  it.each([
    ['passed', { ok: true, checked: ['folder/ACTIVE_US!4'] }, 'True', 'AccessVerified', undefined],
    [
      'failed',
      { ok: false, where: 'folder/ACTIVE_US!4', error: new Forbidden('creating folder: HTTP 403') },
      'False',
      'AccessCheckFailed',
      'stalled',
    ],
    [
      'failed for a while',
      { ok: false, where: 'folder/ACTIVE_US!4', error: new ServerError('uploading: HTTP 503') },
      'False',
      'AccessCheckFailed',
      'retrying',
    ],
  ] as const)('reports the access check that %s as AccessVerified', (_title, access, status, reason, kind) => {
    const d = decideResolving(resolvedWith([RESOLVED], { access: access as never }), { spec: { accessCheck: true } });
    expect(conditionOf(d, 'AccessVerified')).toMatchObject({ status, reason });
    expect(d.failure?.kind).toBe(kind);
  });
});
