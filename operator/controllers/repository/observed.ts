// What the repository controller observed, as plain data for decide: the connection from the
// cache and, when the operator resolves, what iManage answered for each resolver entry, each
// preview sample and the access check. Outcomes say what happened; decide says what it means.

import type { IManageConnection } from '../../api/generated/types.ts';
import type { FolderFound, Outcome } from '../../imanage/resolve.ts';
import type { WorkApiError } from '../../imanage/work-errors.ts';
import type { NoAccessToken } from '../../tokens/index.ts';

/** One resolver entry (or preview sample) as resolution left it. */
export type EntryResult =
  /** A dynamic resolver ([workitem…]): it resolves only for a work item. */
  | { readonly kind: 'NeedsWorkItem'; readonly message: string }
  /** A preview's work item lacks a value that every resolver of its entry needs. */
  | { readonly kind: 'IncompleteWorkItem'; readonly message: string }
  /** A preview whose work type has no entry and there is no `*`. */
  | { readonly kind: 'NoResolver' }
  /** A value its search field cannot hold (custom25=yes): refused before any request. */
  | { readonly kind: 'InvalidResolver'; readonly message: string }
  | { readonly kind: 'Searched'; readonly outcome: Outcome; readonly created?: readonly FolderFound[] }
  /** iManage did not give an answer that decides anything (an outage, a 5xx, a refused token). */
  | { readonly kind: 'Unavailable'; readonly error: WorkApiError };

export interface PreviewResult {
  readonly workType: string;
  /** The workType of the entry used, or undefined when none applies. */
  readonly entry?: string;
  readonly result: EntryResult;
}

export type AccessResult =
  | { readonly ok: true; readonly checked: readonly string[] }
  | { readonly ok: false; readonly where: string; readonly error: WorkApiError };

export type Resolution =
  | { readonly kind: 'NoAccessToken'; readonly reason: NoAccessToken['reason']; readonly message: string }
  /** The connection names no customer id or library yet (and the repository no library). */
  | { readonly kind: 'NoTarget'; readonly missing: 'customerId' | 'library' }
  | {
      readonly kind: 'Resolved';
      readonly library: string;
      /** One per spec.resolvers entry, in order. */
      readonly entries: readonly EntryResult[];
      /** One per spec.preview sample, in order. */
      readonly previews: readonly PreviewResult[];
      /** Present when spec.accessCheck is on and every static entry resolved. */
      readonly access?: AccessResult;
    };

export interface ObservedRepository {
  /** The referenced connection from the cache; undefined when it does not exist. */
  readonly connection?: IManageConnection;
  /**
   * Absent when the operator does not resolve (probes off: no iManage calls at all), or did not
   * get that far (the spec is invalid, the connection not Ready).
   */
  readonly resolution?: Resolution;
}
