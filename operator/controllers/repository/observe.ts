// The repository's reads from iManage: its static resolvers, its preview samples and, when asked,
// the access check, all through the connection's access token (AccessTokens) and the shared
// SearchLoad (identical searches shared, a concurrency limit per connection, per-host backoff
// shared with the probes). Without a token nothing is sent: the repository waits for its connection.

import { apiBaseOf, connectionKey, connectionKeyOf, probeIntervalMsOf, probeTimeoutMsOf, targetOf } from '../../api/connection.ts';
import type { IManageConnection, ResolverEntry, WorkspaceRepository } from '../../api/generated/types.ts';
import { goDurationMs } from '../../api/duration.ts';
import { boundedDelay, MAX_PROBE_DELAY_MS, MAX_PROBE_TIMEOUT_MS } from '../../imanage/delays.ts';
import type { HostOverrides, ProbeGuard } from '../../imanage/network.ts';
import type { HostPhases } from '../../imanage/probe-cache.ts';
import { planResolution } from '../../imanage/resolve-plan.ts';
import { accessCheck, ensureFolders, type ResolveContext, resolvePlan, SearchLoad } from '../../imanage/resolve.ts';
import type { ContainerRef } from '../../imanage/work.ts';
import { WorkApiError } from '../../imanage/work-errors.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { KubeClient } from '../../runtime/kube/client.ts';
import { HostSeries, type OperatorMetrics } from '../../runtime/metrics.ts';
import { NotFoundError } from '../../runtime/kube/errors.ts';
import { secrets } from '../../runtime/kube/resources.ts';
import { type AccessTokens, NoAccessToken, readCaBundle } from '../../tokens/index.ts';
import { FolderListings, SharedListingWorkClient } from './folder-listings.ts';
import type { AccessResult, EntryResult, PreviewResult, Resolution } from './observed.ts';

/** What the controller needs to resolve; run.ts builds one per process. */
export interface ResolutionDeps {
  readonly tokens: AccessTokens;
  readonly load: SearchLoad;
  readonly listings: FolderListings;
  /** The probes' host overrides and SSRF guard: Work API calls go where probes may go, no further. */
  readonly network: { readonly overrides: HostOverrides; readonly guard: ProbeGuard };
  /** Access checks that passed, by repository uid: one per generation and target, not one per interval. */
  readonly accessChecks?: Map<string, string>;
  /** Counts each Work API request a repository (`namespace/name`) sent, by host and result (imanage_work_requests_total). */
  readonly countRequest?: (owner: string, host: string, result: string) => void;
  /** A repository gone: its host's request series go when no other repository sends there. */
  readonly releaseRequests?: (owner: string) => void;
}

/** One per process: searches and listings shared by every repository, load and backoff shared with the probes. */
export function createResolutionDeps(options: {
  readonly tokens: AccessTokens;
  readonly hosts: HostPhases;
  readonly network: ResolutionDeps['network'];
  readonly clock: Clock;
  readonly metrics?: Pick<OperatorMetrics, 'workRequests'>;
}): ResolutionDeps {
  const { tokens, hosts, network, clock, metrics } = options;
  const load = new SearchLoad({ clock, hosts });
  const series = metrics && new HostSeries(metrics.workRequests);
  const counted = series
    ? {
        countRequest: (owner: string, host: string, result: string) => series.count(owner, host, result),
        releaseRequests: (owner: string) => series.release(owner),
      }
    : {};
  return { tokens, load, listings: new FolderListings(clock), network, accessChecks: new Map(), ...counted };
}

/** How often the connection is probed; the repository re-checks as often. */
export const connectionIntervalMs = probeIntervalMsOf;
const timeoutMs = probeTimeoutMsOf;

interface Io {
  readonly client: Pick<KubeClient, 'get'>;
  readonly clock: Clock;
}

export async function observeResolution(
  repository: WorkspaceRepository,
  connection: IManageConnection,
  deps: ResolutionDeps,
  io: Io,
): Promise<Resolution> {
  // The connection is read from the repository's namespace, so its own key is the repository's connection key.
  const key = connectionKeyOf(connection);
  let tokenCustomerId: string | undefined;
  try {
    tokenCustomerId = deps.tokens.get(key, io.clock.now()).customerId;
  } catch (error) {
    if (!(error instanceof NoAccessToken)) throw error;
    return { kind: 'NoAccessToken', reason: error.reason, message: error.message };
  }
  const { customerId, library } = targetOf(connection, { library: repository.spec.library, tokenCustomerId });
  if (!customerId) return { kind: 'NoTarget', missing: 'customerId' };
  if (!library) return { kind: 'NoTarget', missing: 'library' };
  const ctx = await resolveContext(repository, connection, { key, customerId, library }, deps, io);
  try {
    const entries = await Promise.all(repository.spec.resolvers.map((entry) => resolveEntry(ctx, entry, repository)));
    const previews = await Promise.all((repository.spec.preview ?? []).map((s) => previewSample(ctx, repository, s)));
    const access = repository.spec.accessCheck ? await checkAccess(ctx, repository, entries, deps, io) : undefined;
    return { kind: 'Resolved', library, entries, previews, ...(access ? { access } : {}) };
  } catch (error) {
    // The token went away while we were resolving (revoked, expired): wait for the connection.
    if (!(error instanceof NoAccessToken)) throw error;
    return { kind: 'NoAccessToken', reason: error.reason, message: error.message };
  }
}

interface Target {
  readonly key: string;
  readonly customerId: string;
  readonly library: string;
}

async function resolveContext(
  repository: WorkspaceRepository,
  connection: IManageConnection,
  target: Target,
  deps: ResolutionDeps,
  io: Io,
): Promise<ResolveContext> {
  const intervalMs = connectionIntervalMs(connection);
  // The CA bundle the connection's own reconcile read (it holds the token, so it has read it): no
  // Secret GET per repository. Read here only if this process has not reconciled the connection.
  // The connection reports a missing CA Secret itself (it is then not Ready, and no resolution
  // runs), so a Secret gone meanwhile means the system roots.
  const trusted = deps.tokens.trustOf(target.key);
  const ca = trusted ? trusted.ca : await readCaBundle(io.client, connection);
  const apiBase = new URL(apiBaseOf(connection));
  const count = deps.countRequest;
  const owner = `${repository.metadata.namespace}/${repository.metadata.name}`;
  const work = new SharedListingWorkClient(
    { apiBase, customerId: target.customerId, ...(ca ? { ca } : {}) },
    { ...deps.network, timeoutMs: timeoutMs(connection) },
    () => deps.tokens.get(target.key, io.clock.now()).accessToken,
    { listings: deps.listings, scope: target.key, intervalMs },
    { now: () => io.clock.now(), ...(count ? { onAnswer: (result) => count(owner, apiBase.host, result) } : {}) },
  );
  return { work, load: deps.load, library: target.library, asker: { connection: target.key, owner, intervalMs } };
}

/** A static entry resolved (and its missing folders created with ensureFolders); a dynamic one only planned. */
async function resolveEntry(ctx: ResolveContext, entry: ResolverEntry, repository: WorkspaceRepository) {
  const plan = planResolution(entry);
  if (!plan.ok) {
    return plan.reason === 'InvalidResolver'
      ? ({ kind: 'InvalidResolver', message: plan.message } as const)
      : ({ kind: 'NeedsWorkItem', message: plan.message } as const);
  }
  return searched(ctx, async () => {
    const outcome = await resolvePlan(ctx, plan);
    if (outcome.kind !== 'FolderMissing' || !repository.spec.ensureFolders) return { kind: 'Searched', outcome };
    const ensured = await ensureFolders(ctx, outcome.workspace, plan.folderPath);
    const { existing: _e, missing: _m, ...found } = outcome;
    return {
      kind: 'Searched',
      outcome: { ...found, kind: 'Resolved', folder: ensured.folder },
      created: ensured.created,
    };
  });
}

/** Runs a resolution; an iManage failure that decides nothing becomes Unavailable. */
async function searched(ctx: ResolveContext, run: () => Promise<EntryResult>): Promise<EntryResult> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof WorkApiError) return { kind: 'Unavailable', error };
    throw error;
  }
}

type Sample = NonNullable<WorkspaceRepository['spec']['preview']>[number];

/** A preview: the entry of the sample's work type (or *), resolved as a dry run; nothing is created. */
async function previewSample(ctx: ResolveContext, repository: WorkspaceRepository, sample: Sample) {
  const entries = repository.spec.resolvers;
  const entry = entries.find((e) => e.workType === sample.workType) ?? entries.find((e) => e.workType === '*');
  const base = { workType: sample.workType, ...(entry ? { entry: entry.workType } : {}) };
  if (!entry) return { ...base, result: { kind: 'NoResolver' } } satisfies PreviewResult;
  const plan = planResolution(entry, sample.workItem);
  if (!plan.ok) {
    const kind = plan.reason === 'InvalidResolver' ? 'InvalidResolver' : 'IncompleteWorkItem';
    return { ...base, result: { kind, message: plan.message } } satisfies PreviewResult;
  }
  const result = await searched(ctx, async () => ({ kind: 'Searched', outcome: await resolvePlan(ctx, plan) }));
  return { ...base, result } satisfies PreviewResult;
}

/**
 * The access check, in each distinct place the static entries resolved to, once per generation
 * and set of places: it writes to iManage (a folder and a document, removed at once), so it is
 * not repeated every interval. A check that failed runs again at the next reconcile.
 */
async function checkAccess(
  ctx: ResolveContext,
  repository: WorkspaceRepository,
  entries: readonly EntryResult[],
  deps: ResolutionDeps,
  io: Io,
): Promise<AccessResult | undefined> {
  const places = new Map<string, ContainerRef>();
  for (const entry of entries) {
    if (entry.kind !== 'Searched') continue;
    if (entry.outcome.kind !== 'Resolved') return undefined;
    const { folder, workspace } = entry.outcome;
    const place: ContainerRef = folder ? { kind: 'folder', id: folder.id } : { kind: 'workspace', id: workspace.id };
    places.set(`${place.kind}/${place.id}`, place);
  }
  if (places.size === 0) return undefined;
  const uid = repository.metadata.uid ?? `${repository.metadata.namespace}/${repository.metadata.name}`;
  const done = `${repository.metadata.generation}|${[...places.keys()].sort().join(',')}`;
  const checked = [...places.keys()];
  if (deps.accessChecks?.get(uid) === done) return { ok: true, checked };
  for (const [where, place] of places) {
    try {
      await accessCheck(ctx, place, io.clock.now());
    } catch (error) {
      if (!(error instanceof WorkApiError)) throw error;
      deps.accessChecks?.delete(uid);
      return { ok: false, where, error };
    }
  }
  deps.accessChecks?.set(uid, done);
  return { ok: true, checked };
}
