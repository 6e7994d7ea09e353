import { nearest } from './edit-distance.ts';

/** The root every reference starts with: `[workitem.title]`. */
export const WORK_ITEM_ROOT = 'workitem';

export interface WorkItemPath {
  /** Dotted path under `workitem`, e.g. `client.reference`. */
  readonly path: string;
  readonly description: string;
}

/**
 * The work-item values a resolver may use. Products (Clio Operate, Actionstep) map their own
 * records onto this shape, so the list stays small: only values that identify a workspace.
 * Only leaves are listed (`[workitem.client]` is not a value a workspace can be searched by), the
 * likeliest first, since error messages list them in this order.
 */
export const WORK_ITEM_PATHS: readonly WorkItemPath[] = [
  { path: 'title', description: 'Title of the work item, usually the matter name.' },
  { path: 'reference', description: 'Reference (matter number) of the work item.' },
  { path: 'client.reference', description: 'Reference (client number) of the client.' },
  { path: 'client.name', description: 'Name of the client.' },
  { path: 'client.id', description: 'Identifier of the client in the product.' },
  { path: 'matterType', description: 'Matter type (practice area) of the work item.' },
  { path: 'fileReference', description: "The firm's file reference for the work item." },
  { path: 'id', description: 'Identifier of the work item in the product.' },
  { path: 'matterId', description: 'Identifier of the matter the work item belongs to.' },
  { path: 'owner.name', description: 'Name of the person responsible for the work item.' },
];

const byPath = new Map(WORK_ITEM_PATHS.map((entry) => [entry.path, entry]));

/** The declared entry for a path under `workitem` (e.g. `client.reference`), matched exactly. */
export function lookupWorkItemPath(path: string): WorkItemPath | undefined {
  return byPath.get(path);
}

/** Full reference spelling of a path under `workitem`: `client.name` → `workitem.client.name`. */
export function fullWorkItemPath(path: string): string {
  return `${WORK_ITEM_ROOT}.${path}`;
}

/**
 * The declared path an unknown one most likely meant: the first value under it when it names an
 * object (`client` → `client.reference`), else the nearest by edit distance if that is close enough.
 */
export function suggestWorkItemPath(path: string): string | undefined {
  // Every short path is 'near' the empty one; '[workitem]' gets the full list instead.
  if (path === '') return undefined;
  const child = WORK_ITEM_PATHS.find((entry) => entry.path.startsWith(`${path}.`));
  // A dropped dot or an abbreviation ('clientref') reads as a prefix of the path without dots.
  const squashed = (p: string) => p.replaceAll('.', '').toLowerCase();
  const abbreviated = WORK_ITEM_PATHS.find((entry) => squashed(entry.path).startsWith(squashed(path)));
  return (
    child?.path ??
    abbreviated?.path ??
    nearest(
      path,
      WORK_ITEM_PATHS.map((entry) => entry.path),
    )
  );
}

/** How to fix a reference to an unknown path: the likely intended one, then every valid one. */
export function unknownWorkItemPathFix(path: string): string {
  const valid = `valid paths are ${WORK_ITEM_PATHS.map((entry) => fullWorkItemPath(entry.path)).join(', ')}`;
  const suggestion = suggestWorkItemPath(path);
  return suggestion === undefined ? valid : `did you mean '${fullWorkItemPath(suggestion)}'? ${valid}`;
}
