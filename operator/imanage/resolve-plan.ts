// The pure half of resolution: a resolver entry (and a work item, for a preview) → the searches to
// send, in order; then what the searches found → which workspace, by which of the fallbacks, or
// why none. No I/O here; resolve.ts sends the searches and walks the folder path.

import type { ResolverEntry } from '../api/generated/types.ts';
import {
  describeResolver,
  evaluateResolver,
  parseResolver,
  ResolverSyntaxError,
  type ParsedResolver,
} from '../api/resolver/index.ts';
import { InvalidSearchValue, workspaceSearchParams } from './search-request.ts';
import type { Listing, WorkspaceSummary } from './work.ts';

/** Candidates reported with AmbiguousMatch: enough to tell them apart, short enough for status. */
export const MAX_CANDIDATES = 5;

/** Which resolver of the entry a search comes from: `resolver`, or `fallbacks[0]`, `fallbacks[1]`, … */
export type SearchSource = 'resolver' | `fallbacks[${number}]`;

export interface PlannedSearch {
  readonly source: SearchSource;
  /** `DefaultSearch Clio Operate Instructions`, `AdvancedSearch custom2=[workitem.id]`: the resolver as written. */
  readonly resolver: string;
  /** The query after the work item filled it in, e.g. { custom2: '104522' }. */
  readonly query: Readonly<Record<string, string>>;
  readonly params: URLSearchParams;
}

/** A resolver of the entry that could not be filled from the work item, so it is not searched. */
export interface SkippedSearch {
  readonly source: SearchSource;
  readonly missingPath: string;
}

export type Plan =
  | {
      readonly ok: true;
      readonly searches: readonly PlannedSearch[];
      readonly skipped: readonly SkippedSearch[];
      /** Folder names from the workspace down; empty when the entry names no folder. */
      readonly folderPath: readonly string[];
      readonly onMultipleMatches: 'First' | 'Fail';
    }
  | { readonly ok: false; readonly reason: PlanFailure; readonly message: string };

export type PlanFailure = 'NeedsWorkItem' | 'IncompleteWorkItem' | 'InvalidResolver';

/** A static resolver has no [workitem…] paths, in its resolver and every fallback. */
export function isStatic(entry: ResolverEntry): boolean {
  return parsedResolvers(entry).every(({ parsed }) => parsed !== undefined && evaluateResolver(parsed, {}).ok);
}

/**
 * The searches for an entry: a static entry without a work item, or any entry with one (a
 * preview sample, or the CLI's). A resolver whose work-item value is missing is skipped, so the
 * next fallback is tried (Actionstep: a migrated matter has a File Reference but no match on its ID).
 */
export function planResolution(entry: ResolverEntry, workItem?: unknown): Plan {
  const searches: PlannedSearch[] = [];
  const skipped: SkippedSearch[] = [];
  for (const { source, text, parsed, error } of parsedResolvers(entry)) {
    if (!parsed) return { ok: false, reason: 'InvalidResolver', message: `${source} '${text}': ${error}` };
    const filled = evaluateResolver(parsed, workItem ?? {});
    if (!filled.ok) {
      if (workItem === undefined) {
        const message = `${source} uses [${filled.missingPath}]: it resolves only for a work item (a preview sample)`;
        return { ok: false, reason: 'NeedsWorkItem', message };
      }
      skipped.push({ source, missingPath: filled.missingPath });
      continue;
    }
    const planned = plannedSearch(source, parsed, filled.query);
    if (!planned.ok) return { ok: false, reason: 'InvalidResolver', message: `${source}: ${planned.message}` };
    searches.push(planned.search);
  }
  if (searches.length === 0) {
    const missing = skipped.map((s) => `[${s.missingPath}]`).join(', ');
    return { ok: false, reason: 'IncompleteWorkItem', message: `the work item has no value for ${missing}` };
  }
  return { ok: true, searches, skipped, folderPath: folderSegments(entry.folder), onMultipleMatches: policy(entry) };
}

/** What the searches found, in the order they were sent (a search after the first hit is not sent). */
export interface SearchFinding {
  readonly search: PlannedSearch;
  readonly listing: Listing<WorkspaceSummary>;
}

export type MatchDecision =
  | {
      readonly kind: 'Matched';
      readonly workspace: WorkspaceSummary;
      readonly matches: number;
      readonly matchedBy: SearchSource;
    }
  | {
      readonly kind: 'AmbiguousMatch';
      readonly matches: number;
      readonly matchedBy: SearchSource;
      readonly candidates: readonly WorkspaceSummary[];
    }
  | { readonly kind: 'NoMatch' };

/** The first search with a match decides; several matches are taken (First) or reported (Fail). */
export function decideMatch(findings: readonly SearchFinding[], onMultipleMatches: 'First' | 'Fail'): MatchDecision {
  const hit = findings.find((f) => f.listing.items.length > 0);
  if (!hit) return { kind: 'NoMatch' };
  const matches = hit.listing.totalCount ?? hit.listing.items.length;
  const matchedBy = hit.search.source;
  if (matches > 1 && onMultipleMatches === 'Fail') {
    return { kind: 'AmbiguousMatch', matches, matchedBy, candidates: hit.listing.items.slice(0, MAX_CANDIDATES) };
  }
  return { kind: 'Matched', workspace: hit.listing.items[0]!, matches, matchedBy };
}

/** Whether a search came back with a hit, so that the searches after it need not be sent. */
export function isHit(listing: Listing<WorkspaceSummary>): boolean {
  return listing.items.length > 0;
}

interface ParsedEntryResolver {
  readonly source: SearchSource;
  readonly text: string;
  readonly parsed: ParsedResolver | undefined;
  readonly error?: string;
}

function parsedResolvers(entry: ResolverEntry): ParsedEntryResolver[] {
  const texts: [SearchSource, string][] = [
    ['resolver', entry.resolver],
    ...(entry.fallbacks ?? []).map((text, i): [SearchSource, string] => [`fallbacks[${i}]`, text]),
  ];
  return texts.map(([source, text]) => {
    try {
      return { source, text, parsed: parseResolver(text) };
    } catch (error) {
      if (!(error instanceof ResolverSyntaxError)) throw error;
      return { source, text, parsed: undefined, error: error.message };
    }
  });
}

function plannedSearch(
  source: SearchSource,
  parsed: ParsedResolver,
  query: Record<string, string>,
): { ok: true; search: PlannedSearch } | { ok: false; message: string } {
  try {
    const params = workspaceSearchParams(query);
    return { ok: true, search: { source, resolver: describeResolver(parsed), query, params } };
  } catch (error) {
    if (!(error instanceof InvalidSearchValue)) throw error;
    return { ok: false, message: error.message };
  }
}

function folderSegments(folder: string | undefined): string[] {
  return folder === undefined
    ? []
    : folder
        .split('/')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

function policy(entry: ResolverEntry): 'First' | 'Fail' {
  return entry.onMultipleMatches ?? 'First';
}
