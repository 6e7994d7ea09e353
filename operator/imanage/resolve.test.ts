// Resolution against the simulator over HTTPS on loopback, at the client/resolver level (no
// controller yet): the seven Clio Operate areas of seed 000, Advanced Search on custom1/custom2,
// Actionstep's fallback chain (seed 003), both multiple-match policies, NoMatch, previews of a
// dynamic resolver, folder creation run twice, the access check, and the load controls.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { passwordToken, scenario, VANITY } from '../../simulator/testing/fixture.ts';
import type { ResolverEntry } from '../api/generated/types.ts';
import { FakeClock } from '../runtime/clock.ts';
import { HostOverrides, ProbeGuard } from './network.ts';
import { HostPhases } from './probe-cache.ts';
import { planResolution } from './resolve-plan.ts';
import { accessCheck, ensureFolders, type Outcome, resolvePlan, type ResolveContext, SearchLoad } from './resolve.ts';
import { WorkClient } from './work.ts';
import { RateLimited, Unauthorized, Unreachable } from './work-errors.ts';
import { createAuthority } from '../../simulator/tls/certs.ts';

const LIB = 'ACTIVE_US';
const V2_LIB = `/work/api/v2/customers/100/libraries/${LIB}`;
let sim: RunningSimulator;
let token: string;
let clock: FakeClock;
let load: SearchLoad;

const AREAS: [string, string, string][] = [
  ['DocumentTemplates', 'Clio Operate Document Templates', 'Document Templates'],
  ['DataUploads', 'Clio Operate Administration', 'Data Uploads'],
  ['InboundEmail', 'Clio Operate Inbound Email', 'Attachments'],
  ['Instructions', 'Clio Operate Instructions', 'Documents'],
  ['ServiceRequests', 'Clio Operate Service Requests', 'Documents'],
  ['Scanning', 'Clio Operate Inbound Scanning', 'Documents'],
  ['ClientDocuments', 'Clio Operate Administration', 'Client Documents'],
];

function seed(): void {
  const folders = (names: string[]) => names.map((name) => ({ name }));
  const byWorkspace = new Map<string, string[]>();
  for (const [, workspace, folder] of AREAS)
    byWorkspace.set(workspace, [...(byWorkspace.get(workspace) ?? []), folder]);
  for (const [name, names] of byWorkspace) sim.admin.addWorkspace('100', LIB, { name, folders: folders(names) });
  sim.admin.addWorkspace('100', LIB, { name: 'CASE101: John Smith vs. Jane Doe', folders: folders(['Documents']) });
  // Actionstep: a matter found by its Matter ID, a migrated one only by its File Reference, and a
  // matter number two workspaces share.
  const invoices = [{ name: 'Actionstep Documents', folders: [{ name: 'Invoices' }] }];
  sim.admin.addWorkspace('100', LIB, { name: 'Smith v Jones (AS)', custom2: '104522', folders: invoices });
  sim.admin.addWorkspace('100', LIB, { name: 'Brown v State Insurance', custom2: 'LEG-2019-0042', folders: invoices });
  sim.admin.addWorkspace('100', LIB, { name: 'Twin A', custom2: 'DUP-1' });
  sim.admin.addWorkspace('100', LIB, { name: 'Twin B', custom2: 'DUP-1' });
  sim.admin.addWorkspace('100', LIB, { name: 'Empty Matter', custom2: 'NEW-1' });
}

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  token = await passwordToken(sim);
  seed();
});
afterAll(() => sim.stop());
beforeEach(() => {
  sim.admin.clearFaults();
  sim.admin.clearRequestLog();
  clock = new FakeClock();
  load = new SearchLoad({ clock, hosts: new HostPhases() });
});

function context(
  library = LIB,
  customerId = '100',
  owner = 'default/repo',
  connection = 'default/clio',
  accessToken = () => token,
  ca = sim.caPem,
): ResolveContext {
  const network = {
    overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
    guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
    timeoutMs: 5_000,
  };
  const work = new WorkClient({ apiBase: new URL(`https://${VANITY}`), customerId, ca }, network, accessToken);
  return { work, load, library, asker: { connection, owner, intervalMs: 60_000 } };
}

async function resolve(entry: ResolverEntry, workItem?: unknown, ctx = context()): Promise<Outcome> {
  const plan = planResolution(entry, workItem);
  if (!plan.ok) throw new Error(plan.message);
  return resolvePlan(ctx, plan);
}

const searchesSent = () => sim.requestLog({ method: 'GET', path: `${V2_LIB}/workspaces` }).length;

describe('Clio Operate, seed 000', () => {
  it.each(AREAS)('%s resolves to workspace %j, folder %j', async (_area, resolver, folder) => {
    const outcome = await resolve({ workType: '*', resolver, folder, onMultipleMatches: 'First' });
    expect(outcome).toMatchObject({ kind: 'Resolved', matches: 1, matchedBy: 'resolver', folder: { path: folder } });
    expect(outcome.kind === 'Resolved' && outcome.workspace.name).toBe(resolver);
    expect(outcome.searches).toEqual([
      { source: 'resolver', resolver: `DefaultSearch ${resolver}`, query: { name: resolver }, matches: 1 },
    ]);
  });

  it('Advanced Search finds 12345.00001 on custom1 and custom2', async () => {
    const entry = { workType: '*', resolver: 'custom1=[workitem.client.reference], custom2=[workitem.reference]' };
    const outcome = await resolve(
      { ...entry, folder: 'Correspondence' },
      { reference: '00001', client: { reference: '12345' } },
    );
    expect(outcome).toMatchObject({
      kind: 'Resolved',
      workspace: { id: 'ACTIVE_US!100' },
      folder: { path: 'Correspondence' },
    });
  });

  it('previews a dynamic resolver with a sample work item', async () => {
    const entry = { workType: 'instruction-litigation', resolver: '[workitem.title]', folder: 'Documents' };
    const outcome = await resolve(entry, { title: 'case101: john smith vs. jane doe' });
    expect(outcome).toMatchObject({ kind: 'Resolved', workspace: { name: 'CASE101: John Smith vs. Jane Doe' } });
    expect(planResolution(entry)).toMatchObject({ ok: false, reason: 'NeedsWorkItem' });
  });

  it('reports NoMatch, a missing folder, a missing library and a forbidden customer', async () => {
    expect(await resolve({ workType: '*', resolver: 'No Such Workspace' })).toMatchObject({ kind: 'NoMatch' });
    const missing = await resolve({ workType: '*', resolver: 'Clio Operate Instructions', folder: 'Documents/Deeper' });
    expect(missing).toMatchObject({ kind: 'FolderMissing', existing: 'Documents', missing: 'Deeper' });
    const noLibrary = await resolve({ workType: '*', resolver: 'x' }, undefined, context('NO_SUCH'));
    expect(noLibrary).toMatchObject({ kind: 'LibraryNotFound', library: 'NO_SUCH' });
    const forbidden = await resolve({ workType: '*', resolver: 'x' }, undefined, context('BRAVO', '200'));
    expect(forbidden.kind).toBe('Forbidden');
  });
});

describe('Actionstep, seed 003', () => {
  const MATTERS: ResolverEntry = {
    workType: '*',
    resolver: 'custom2=[workitem.id]',
    fallbacks: ['custom2=[workitem.fileReference]'],
    onMultipleMatches: 'Fail',
    folder: 'Actionstep Documents/Invoices',
  };

  it('finds a matter by its Matter ID, with one search', async () => {
    const outcome = await resolve(MATTERS, { id: '104522', fileReference: 'unused' });
    expect(outcome).toMatchObject({
      kind: 'Resolved',
      matchedBy: 'resolver',
      folder: { path: 'Actionstep Documents/Invoices' },
    });
    expect(outcome.searches).toHaveLength(1);
  });

  it('falls back to the File Reference for a migrated matter', async () => {
    const outcome = await resolve(MATTERS, { id: '104977', fileReference: 'LEG-2019-0042' });
    expect(outcome).toMatchObject({
      kind: 'Resolved',
      matchedBy: 'fallbacks[0]',
      workspace: { name: 'Brown v State Insurance' },
    });
    expect(outcome.searches.map((s) => [s.source, s.matches])).toEqual([
      ['resolver', 0],
      ['fallbacks[0]', 1],
    ]);
  });

  it('reports AmbiguousMatch with the candidates under Fail, and takes the first under First', async () => {
    const ambiguous = await resolve(MATTERS, { id: 'DUP-1' });
    expect(ambiguous).toMatchObject({ kind: 'AmbiguousMatch', matches: 2, matchedBy: 'resolver' });
    expect(ambiguous.kind === 'AmbiguousMatch' && ambiguous.candidates.map((c) => c.name)).toEqual([
      'Twin A',
      'Twin B',
    ]);
    const first = await resolve({ ...MATTERS, onMultipleMatches: 'First', folder: undefined }, { id: 'DUP-1' });
    expect(first).toMatchObject({ kind: 'Resolved', matches: 2, workspace: { name: 'Twin A' } });
  });

  it('reports NoMatch when neither the ID nor the File Reference matches', async () => {
    const outcome = await resolve(MATTERS, { id: '1', fileReference: '2' });
    expect(outcome).toMatchObject({ kind: 'NoMatch', searches: [{ matches: 0 }, { matches: 0 }] });
  });
});

describe('writes', () => {
  const entry: ResolverEntry = { workType: '*', resolver: 'custom2=NEW-1', folder: 'Actionstep Documents/Invoices' };

  it('ensureFolders creates the missing folders once; a second run creates nothing', async () => {
    const before = await resolve(entry);
    expect(before).toMatchObject({ kind: 'FolderMissing', existing: '', missing: 'Actionstep Documents' });
    if (before.kind !== 'FolderMissing') return;
    const first = await ensureFolders(context(), before.workspace, ['Actionstep Documents', 'Invoices']);
    const second = await ensureFolders(context(), before.workspace, ['Actionstep Documents', 'Invoices']);
    expect(first.created.map((f) => f.path)).toEqual(['Actionstep Documents', 'Actionstep Documents/Invoices']);
    expect(second.created).toEqual([]);
    expect(second.folder).toEqual(first.folder);
    const top = await context().work.subfolders(LIB, { kind: 'workspace', id: before.workspace.id });
    expect(top.items.map((f) => f.name)).toEqual(['Actionstep Documents']);
    expect(await resolve(entry)).toMatchObject({ kind: 'Resolved', folder: first.folder });
  });

  it('the access check removes exactly what it created and nothing else', async () => {
    const resolved = await resolve({ workType: '*', resolver: 'Clio Operate Inbound Email', folder: 'Attachments' });
    if (resolved.kind !== 'Resolved' || !resolved.folder) throw new Error(`not resolved: ${resolved.kind}`);
    const where = { kind: 'folder', id: resolved.folder.id } as const;
    const listing = () => context().work.subfolders(LIB, where);
    const before = await listing();
    const result = await accessCheck(context(), where, clock.now());
    expect((await listing()).items).toEqual(before.items);
    const deletes = sim.requestLog({ method: 'DELETE' }).map((e) => e.path);
    expect(deletes).toEqual([`${V2_LIB}/documents/${result.documentId}`, `${V2_LIB}/folders/${result.folderId}`]);
  });

  it('the access check removes its probe folder when the upload fails', async () => {
    sim.admin.addFault({ kind: 'status', status: 500, method: 'POST', path: `${V2_LIB}/folders/*`, times: 1 });
    const where = { kind: 'workspace', id: 'ACTIVE_US!102' } as const;
    await expect(accessCheck(context(), where, clock.now())).rejects.toMatchObject({ name: 'ServerError' });
    expect((await context().work.subfolders(LIB, where)).items).toEqual([]);
    expect(sim.requestLog({ method: 'DELETE' })).toHaveLength(1);
  });
});

describe('load on iManage', () => {
  const entry = { workType: '*', resolver: 'Clio Operate Instructions', folder: 'Documents' };

  it('shares identical searches of many repositories within the interval, and asks again after it', async () => {
    const owners = Array.from({ length: 50 }, (_, i) => `default/repo-${i}`);
    const outcomes = await Promise.all(owners.map((owner) => resolve(entry, undefined, context(LIB, '100', owner))));
    expect(new Set(outcomes.map((o) => o.kind))).toEqual(new Set(['Resolved']));
    expect(searchesSent()).toBe(1);
    await resolve(entry);
    expect(searchesSent()).toBe(1);
    await clock.advance(61_000);
    await resolve(entry);
    expect(searchesSent()).toBe(2);
  });

  it('backs the host off after a 429: other searches wait too, without a request', async () => {
    sim.admin.addFault({ kind: 'rate-limit', path: `${V2_LIB}/workspaces`, retryAfterSeconds: 30, times: 1 });
    await expect(resolve(entry)).rejects.toBeInstanceOf(RateLimited);
    const other = await resolve({ workType: '*', resolver: 'Clio Operate Inbound Email' }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(RateLimited);
    const wait = (other as RateLimited).retryAfterMs ?? 0;
    expect(wait).toBeGreaterThanOrEqual(30_000);
    expect(searchesSent()).toBe(1);
    await clock.advance(wait);
    expect(await resolve({ workType: '*', resolver: 'Clio Operate Inbound Email' })).toMatchObject({
      kind: 'Resolved',
    });
  });

  it("a 429 to one namespace's search holds back that namespace only: another namespace searches on", async () => {
    sim.admin.addFault({ kind: 'rate-limit', path: `${V2_LIB}/workspaces`, retryAfterSeconds: 300, times: 1 });
    const limited = context(LIB, '100', 'tenant-a/repo', 'tenant-a/clio');
    await expect(resolve(entry, undefined, limited)).rejects.toBeInstanceOf(RateLimited);
    const inbound = { workType: '*', resolver: 'Clio Operate Inbound Email' };
    await expect(resolve(inbound, undefined, limited)).rejects.toBeInstanceOf(RateLimited);
    expect(await resolve(inbound, undefined, context(LIB, '100', 'tenant-b/repo', 'tenant-b/clio'))).toMatchObject({
      kind: 'Resolved',
    });
    expect(searchesSent()).toBe(2);
  });

  it("a connection's own 401 backs off its searches alone: another connection to the host searches on", async () => {
    const revoked = context(LIB, '100', 'tenant-a/repo', 'tenant-a/clio', () => 'revoked-token');
    const healthy = context(LIB, '100', 'tenant-b/repo', 'tenant-b/clio');
    const refused = await resolve(entry, undefined, revoked).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Unauthorized);
    expect(await resolve(entry, undefined, healthy)).toMatchObject({ kind: 'Resolved' });
    // Its own key waits out its interval, then asks again.
    expect(await resolve(entry, undefined, revoked).catch((e: unknown) => e)).toBeInstanceOf(Unauthorized);
    expect(searchesSent()).toBe(2);
    await clock.advance(61_000);
    await resolve(entry, undefined, revoked).catch(() => undefined);
    expect(searchesSent()).toBe(3);
  });

  it('a connection trusting another CA backs off its searches alone: another connection to the host searches on', async () => {
    const otherCa = createAuthority('Another CA').certPem;
    const untrusting = context(LIB, '100', 'tenant-a/repo', 'tenant-a/clio', () => token, otherCa);
    const healthy = context(LIB, '100', 'tenant-b/repo', 'tenant-b/clio');
    expect(await resolve(entry, undefined, untrusting).catch((e: unknown) => e)).toBeInstanceOf(Unreachable);
    expect(await resolve(entry, undefined, healthy)).toMatchObject({ kind: 'Resolved' });
  });

  it('hands out a cached answer during a backoff within its interval, and fails past it', async () => {
    expect(await resolve(entry)).toMatchObject({ kind: 'Resolved' });
    sim.admin.addFault({ kind: 'rate-limit', path: `${V2_LIB}/workspaces`, retryAfterSeconds: 300, times: 1 });
    const other = { workType: '*', resolver: 'Clio Operate Inbound Email' };
    await expect(resolve(other)).rejects.toBeInstanceOf(RateLimited);
    // The host backs off for 300 s; the first answer is 61 s old, past its 60 s interval.
    expect(await resolve(entry)).toMatchObject({ kind: 'Resolved' });
    await clock.advance(61_000);
    const stale = await resolve(entry).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(RateLimited);
    expect(searchesSent()).toBe(2);
  });

  it('runs at most the per-connection limit of calls at once', async () => {
    const limited = new SearchLoad({ clock, concurrencyPerConnection: 3 });
    let running = 0;
    let most = 0;
    const call = async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    };
    await Promise.all(Array.from({ length: 20 }, () => limited.run('default/clio', call)));
    expect(most).toBe(3);
  });
});
