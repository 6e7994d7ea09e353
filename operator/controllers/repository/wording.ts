// What a resolution means, in status: an entry's or a preview's outcome as status.…resolution,
// with the message an SRE reads (what was searched, what to do). Pure; decide.ts uses it.

import type { Resolution as ResolutionStatus } from '../../api/generated/types.ts';
import type { SentSearch } from '../../imanage/resolve.ts';
import type { WorkspaceSummary } from '../../imanage/work.ts';
import type { EntryResult } from './observed.ts';

const ref = (w: WorkspaceSummary) => ({ id: w.id, name: w.name });

/** `name=Clio Operate Instructions (0 matches), then custom2=MAT-1 (0 matches)`: what was sent. */
export function describeSearches(searches: readonly SentSearch[]): string {
  return searches
    .map((s) => {
      const query = Object.entries(s.query)
        .map(([field, value]) => `${field}=${value}`)
        .join(', ');
      return `${query} (${s.matches} match${s.matches === 1 ? '' : 'es'})`;
    })
    .join(', then ');
}

/** The status form of one result; `field` is the spec path of its entry, for the message. */
export function resolutionStatus(result: EntryResult, field: string): ResolutionStatus {
  switch (result.kind) {
    case 'NeedsWorkItem':
      return { outcome: 'NeedsWorkItem', message: `${result.message}; see status.previews for the samples` };
    case 'IncompleteWorkItem':
    case 'InvalidResolver':
      return { outcome: result.kind, message: result.message };
    case 'NoResolver':
      return { outcome: 'NoResolver', message: 'no resolvers entry for this work type and no * entry; add one' };
    case 'Unavailable':
      return { outcome: 'Unavailable', message: `${result.error.message}; the operator retries` };
    case 'Searched':
      return searchedStatus(result.outcome, field);
  }
}

function searchedStatus(
  outcome: Extract<EntryResult, { kind: 'Searched' }>['outcome'],
  field: string,
): ResolutionStatus {
  const searched = describeSearches(outcome.searches);
  switch (outcome.kind) {
    case 'Resolved':
      return {
        outcome: 'Resolved',
        workspace: ref(outcome.workspace),
        ...(outcome.folder ? { folder: { id: outcome.folder.id, path: outcome.folder.path } } : {}),
        matches: outcome.matches,
        matchedBy: outcome.matchedBy,
      };
    case 'NoMatch':
      return {
        outcome: 'NoMatch',
        message:
          `no workspace matches (searched ${searched}), so the product has no workspace to file in; create the ` +
          `workspace in iManage or correct ${field}.resolver`,
      };
    case 'AmbiguousMatch':
      return {
        outcome: 'AmbiguousMatch',
        matches: outcome.matches,
        matchedBy: outcome.matchedBy,
        candidates: outcome.candidates.map(ref),
        message:
          `${outcome.matches} workspaces match (searched ${searched}) and onMultipleMatches is Fail; ` +
          `narrow ${field}.resolver, or set onMultipleMatches: First`,
      };
    case 'FolderMissing':
      return {
        outcome: 'FolderMissing',
        workspace: ref(outcome.workspace),
        matches: outcome.matches,
        matchedBy: outcome.matchedBy,
        message:
          `workspace '${outcome.workspace.name}' has no folder '${outcome.missing}' in ${where(outcome.existing)}; ` +
          `create it, correct ${field}.folder, or set spec.ensureFolders: true`,
      };
    case 'Forbidden':
      return { outcome: 'Forbidden', message: `${outcome.detail}; grant the connection's account access to it` };
    case 'LibraryNotFound':
      return {
        outcome: 'LibraryNotFound',
        message:
          `iManage has no library '${outcome.library}' for this customer; correct spec.library or the ` +
          "connection's spec.library",
      };
  }
}

const where = (existing: string) => (existing === '' ? 'its top level' : `'${existing}'`);

/** `* → Shared Administration / Document Templates`: one resolved entry for the Ready message. */
export function resolvedSummary(workType: string, status: ResolutionStatus): string {
  const folder = status.folder ? ` / ${status.folder.path}` : '';
  return `${workType} → ${status.workspace?.name ?? '?'}${folder}`;
}
