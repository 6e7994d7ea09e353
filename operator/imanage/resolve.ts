// Resolution against iManage: the planned searches (resolve-plan.ts) sent in order until one
// finds a workspace, then the folder path walked through the workspace's children. Also the two
// opt-ins that write: ensureFolders (create the missing folders of a static resolver,
// idempotently) and accessCheck (browse, create a probe folder, upload a probe document, remove
// exactly those two). Nothing here deletes an object it did not create in the same call.
//
// Load (issue 12, "a thousand repositories must not stampede iManage"): every search goes through
// SearchLoad, which shares identical searches within an interval and in flight (the probes'
// ProbeCache, keyed by connection, library and query), backs a host off after 429/5xx/no answer
// with the host state the probes use (HostPhases), and caps concurrent requests per connection.
//
// Outcomes report what happened; what it means for conditions is the controller's decide.

import type { Clock } from '../runtime/clock.ts';
import { type Assessment, type HostPhases, ProbeCache, tenantOf } from './probe-cache.ts';
import { isCertificateRejection } from './reachability.ts';
import { causes } from './typed-errors.ts';
import {
  decideMatch,
  type MatchDecision,
  type Plan,
  type SearchFinding,
  type SearchSource,
  type SkippedSearch,
} from './resolve-plan.ts';
import type { ContainerRef, FolderSummary, Listing, WorkClient, WorkspaceSummary } from './work.ts';
import { Forbidden, LibraryNotFound, RateLimited, Unauthorized, type WorkApiError } from './work-errors.ts';

/** Searches sent at once per connection, whatever the number of repositories. */
export const DEFAULT_CONNECTION_CONCURRENCY = 4;

export interface SearchLoadOptions {
  readonly clock: Clock;
  /** Host state shared with the probes' caches, so that a 429 anywhere holds back every call. */
  readonly hosts?: HostPhases;
  /** @default DEFAULT_CONNECTION_CONCURRENCY */
  readonly concurrencyPerConnection?: number;
}

type SearchAnswer = { readonly listing: Listing<WorkspaceSummary> } | { readonly error: WorkApiError };

/** Who asks: the connection (limit and cache key), the repository (holds its keys), and how often. */
export interface Asker {
  readonly connection: string;
  readonly owner: string;
  /** Identical searches within this interval share one request: the connection's probe interval. */
  readonly intervalMs: number;
}

export class SearchLoad {
  readonly #cache: ProbeCache<SearchAnswer>;
  readonly #hosts: HostPhases | undefined;
  readonly #clock: Clock;
  readonly #limit: number;
  readonly #limiters = new Map<string, Limiter>();
  /** Searches actually sent, for the bench and tests. */
  sent = 0;

  constructor(options: SearchLoadOptions) {
    this.#clock = options.clock;
    this.#hosts = options.hosts;
    this.#limit = options.concurrencyPerConnection ?? DEFAULT_CONNECTION_CONCURRENCY;
    this.#cache = new ProbeCache<SearchAnswer>({
      clock: options.clock,
      ...(options.hosts ? { hosts: options.hosts } : {}),
      onProbe: () => this.sent++,
    });
  }

  /**
   * One search, shared with identical ones; throws its error (RateLimited while the host backs off).
   * While the host backs off, an answer within its interval is still handed out, an older one is not:
   * a repository does not stay Ready on a search iManage has not confirmed for longer than an interval.
   */
  async search(work: WorkClient, asker: Asker, library: string, params: URLSearchParams) {
    const key = `${asker.connection}\n${work.host}\n${library}\n${params.toString()}`;
    const now = this.#clock.now().getTime();
    const until = this.#hosts?.backingOffUntil(work.host, tenantOf(asker.connection), now);
    if (until && !this.#cache.isFresh(key, now)) {
      const wait = until.getTime() - now;
      throw new RateLimited(
        `${work.host} is backing off after failures; not searching until ${until.toISOString()}`,
        wait,
      );
    }
    const { value } = await this.#cache.get(asker.owner, {
      key,
      phase: work.host,
      intervalMs: asker.intervalMs,
      probe: () => this.run(asker.connection, () => answerOf(work.searchWorkspaces(library, params))),
      assess: assessSearch,
    });
    if ('error' in value) throw value.error;
    return value.listing;
  }

  /** Runs `call` within the connection's concurrency limit (folder walks and writes use it too). */
  run<T>(connection: string, call: () => Promise<T>): Promise<T> {
    let limiter = this.#limiters.get(connection);
    if (!limiter) this.#limiters.set(connection, (limiter = new Limiter(this.#limit)));
    return limiter.run(call);
  }

  /** The repository is gone or its searches changed: keep only the keys it asks for next time. */
  release(owner: string): void {
    this.#cache.release(owner);
  }
}

/**
 * What a failed search says about its host. A 401 is about this connection's token, a certificate
 * that does not verify about the CA this connection trusts: only its own search backs off, so that
 * one tenant's revoked token or wrong CA holds back neither another's searches nor, through the
 * host state they share, its probes and token requests. 429, 5xx and no answer are the host's.
 */
export function assessSearch(answer: SearchAnswer): Assessment {
  if (!('error' in answer) || !answer.error.retryable) return { ok: true };
  const { error } = answer;
  if (error instanceof Unauthorized || certificateRejected(error)) return { ok: false, scope: 'key' };
  return { ok: false, ...(error instanceof RateLimited ? retryAfter(error) : {}) };
}

/** Whether an error, or a cause it wraps, is a certificate that did not verify. */
function certificateRejected(error: unknown): boolean {
  for (const cause of causes(error)) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code === 'string' && isCertificateRejection(code)) return true;
  }
  return false;
}

function retryAfter(error: RateLimited): { retryAfterMs?: number } {
  return error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs };
}

async function answerOf(listing: Promise<Listing<WorkspaceSummary>>): Promise<SearchAnswer> {
  try {
    return { listing: await listing };
  } catch (error) {
    if (isWorkApiError(error)) return { error };
    throw error;
  }
}

function isWorkApiError(error: unknown): error is WorkApiError {
  return error instanceof Error && 'failure' in error && 'retryable' in error;
}

/** A counting semaphore: at most `limit` calls at once, the rest in arrival order. */
class Limiter {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await call();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

// ---- Resolution --------------------------------------------------------------------------------

export interface ResolveContext {
  readonly work: WorkClient;
  readonly load: SearchLoad;
  readonly asker: Asker;
  /** The repository's library, or the connection's preferred one. */
  readonly library: string;
}

/** A search as sent, with how many it matched: what status and `preview` show. */
export interface SentSearch {
  readonly source: SearchSource;
  readonly resolver: string;
  readonly query: Readonly<Record<string, string>>;
  readonly matches: number;
}

export interface FolderFound {
  readonly id: string;
  readonly path: string;
}

interface Searched {
  readonly searches: readonly SentSearch[];
  readonly skipped: readonly SkippedSearch[];
}

export type Outcome = Searched &
  (
    | {
        readonly kind: 'Resolved';
        readonly workspace: WorkspaceSummary;
        readonly matches: number;
        readonly matchedBy: SearchSource;
        /** Absent when the entry names no folder: documents go to the workspace itself. */
        readonly folder?: FolderFound;
      }
    | { readonly kind: 'NoMatch' }
    | Extract<MatchDecision, { kind: 'AmbiguousMatch' }>
    | {
        readonly kind: 'FolderMissing';
        readonly workspace: WorkspaceSummary;
        readonly matches: number;
        readonly matchedBy: SearchSource;
        /** The deepest folder that exists ('' for the workspace) and the first name not found under it. */
        readonly existing: string;
        readonly missing: string;
      }
    | { readonly kind: 'Forbidden'; readonly detail: string }
    | { readonly kind: 'LibraryNotFound'; readonly library: string }
  );

/**
 * Resolves a plan (resolve-plan.ts, already ok). Definitive answers are outcomes; a failure that
 * may pass (RateLimited, ServerError, Unreachable, Unauthorized: refresh the token) is thrown.
 */
export async function resolvePlan(ctx: ResolveContext, plan: Extract<Plan, { ok: true }>): Promise<Outcome> {
  const findings: SearchFinding[] = [];
  const base = () => ({ searches: findings.map(sentSearch), skipped: plan.skipped });
  try {
    for (const search of plan.searches) {
      const listing = await ctx.load.search(ctx.work, ctx.asker, ctx.library, search.params);
      findings.push({ search, listing });
      if (listing.items.length > 0) break;
    }
    const decision = decideMatch(findings, plan.onMultipleMatches);
    if (decision.kind !== 'Matched') return { ...base(), ...decision };
    const walk = await walkFolders(ctx, decision.workspace, plan.folderPath);
    const matched = { workspace: decision.workspace, matches: decision.matches, matchedBy: decision.matchedBy };
    if (walk.missing !== undefined) {
      return { ...base(), kind: 'FolderMissing', ...matched, existing: walk.existing, missing: walk.missing };
    }
    return { ...base(), kind: 'Resolved', ...matched, ...(walk.folder ? { folder: walk.folder } : {}) };
  } catch (error) {
    if (error instanceof Forbidden) return { ...base(), kind: 'Forbidden', detail: error.message };
    if (error instanceof LibraryNotFound) return { ...base(), kind: 'LibraryNotFound', library: ctx.library };
    throw error;
  }
}

function sentSearch({ search, listing }: SearchFinding): SentSearch {
  const matches = listing.totalCount ?? listing.items.length;
  return { source: search.source, resolver: search.resolver, query: search.query, matches };
}

interface Walk {
  readonly folder?: FolderFound;
  readonly existing: string;
  readonly missing?: string;
  /** The container the first missing name belongs in (the workspace or the deepest folder found). */
  readonly parent: ContainerRef;
  readonly remaining: readonly string[];
}

/** Folder names match whole and case-insensitively, as iManage matches workspace names. */
async function walkFolders(ctx: ResolveContext, workspace: WorkspaceSummary, path: readonly string[]): Promise<Walk> {
  let parent: ContainerRef = { kind: 'workspace', id: workspace.id };
  const found: FolderSummary[] = [];
  for (const [index, name] of path.entries()) {
    const container = parent;
    const children = await ctx.load.run(ctx.asker.connection, () => ctx.work.subfolders(ctx.library, container));
    const folder = children.items.find((f) => f.name.toLowerCase() === name.toLowerCase());
    const existing = found.map((f) => f.name).join('/');
    if (!folder) return { existing, missing: name, parent, remaining: path.slice(index) };
    found.push(folder);
    parent = { kind: 'folder', id: folder.id };
  }
  const last = found.at(-1);
  const folder = last ? { id: last.id, path: found.map((f) => f.name).join('/') } : undefined;
  return { ...(folder ? { folder } : {}), existing: folder?.path ?? '', parent, remaining: [] };
}

// ---- Writes: ensureFolders and accessCheck --------------------------------------------------------

export interface EnsuredFolders {
  readonly folder: FolderFound;
  /** Folders this call created, outermost first; empty when the path already existed. */
  readonly created: readonly FolderFound[];
}

/**
 * Creates the folders of `path` missing under the workspace, outermost first. Idempotent: it walks
 * the path first and creates only what the walk did not find, so a second run creates nothing.
 */
export async function ensureFolders(
  ctx: ResolveContext,
  workspace: WorkspaceSummary,
  path: readonly string[],
): Promise<EnsuredFolders> {
  const walk = await walkFolders(ctx, workspace, path);
  let parent = walk.parent;
  let at = walk.existing;
  const created: FolderFound[] = [];
  for (const name of walk.remaining) {
    const container = parent;
    const folder = await ctx.load.run(ctx.asker.connection, () => ctx.work.createFolder(ctx.library, container, name));
    at = at === '' ? folder.name : `${at}/${folder.name}`;
    created.push({ id: folder.id, path: at });
    parent = { kind: 'folder', id: folder.id };
  }
  const folder = created.at(-1) ?? walk.folder ?? { id: workspace.id, path: '' };
  return { folder, created };
}

/** Names that say who made the probe objects, so that a person who finds one left behind knows. */
export const PROBE_FOLDER_PREFIX = 'imanage-operator access check';

export interface AccessCheckResult {
  readonly browsed: number;
  readonly folderId: string;
  readonly documentId: string;
}

/**
 * Clio's "Test the integration": browse `where` (the resolved folder or the workspace), create a
 * probe folder in it, upload a small document into that folder, then delete the document and the
 * folder, by the ids this call received and nothing else. A failed step is thrown after cleanup.
 */
export async function accessCheck(ctx: ResolveContext, where: ContainerRef, now: Date): Promise<AccessCheckResult> {
  const { work, library } = ctx;
  const inLimit = <T>(call: () => Promise<T>) => ctx.load.run(ctx.asker.connection, call);
  const browsed = (await inLimit(() => work.subfolders(library, where))).items.length;
  const name = `${PROBE_FOLDER_PREFIX} ${now.toISOString()}`;
  const folder = await inLimit(() =>
    work.createFolder(library, where, name, 'Created and removed by imanage-operator'),
  );
  let documentId: string | undefined;
  try {
    const content = new TextEncoder().encode(`imanage-operator access check, ${now.toISOString()}\n`);
    documentId = (await inLimit(() => work.uploadDocument(library, folder.id, { name, extension: 'txt', content }))).id;
  } finally {
    await cleanUp(ctx, folder.id, documentId);
  }
  return { browsed, folderId: folder.id, documentId };
}

/** Removes the probe document (if it was uploaded) and then the probe folder; both ids are ours. */
async function cleanUp(ctx: ResolveContext, folderId: string, documentId: string | undefined): Promise<void> {
  const inLimit = <T>(call: () => Promise<T>) => ctx.load.run(ctx.asker.connection, call);
  if (documentId !== undefined) await inLimit(() => ctx.work.deleteDocument(ctx.library, documentId));
  await inLimit(() => ctx.work.deleteFolder(ctx.library, folderId));
}
