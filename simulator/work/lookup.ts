// Finding objects named in a path. Ids carry their library before the `!`; a workspace id from
// another library is "not found" here, as it would be at iManage.
import { ApiError } from '../errors.ts';
import type { Folder, Library, StoredDocument, Workspace } from '../state/model.ts';

const CONTAINER_ID = /^([^!]+)!([0-9]+)$/;
const DOCUMENT_ID = /^([^!]+)!([0-9]+)\.([0-9]+)$/;

/** Canonical `LIB!n` for an id whose library part may differ in case (assumption: ids). */
function canonicalId(library: Library, id: string): string | undefined {
  const m = CONTAINER_ID.exec(id);
  if (!m || (m[1] ?? '').toLowerCase() !== library.id.toLowerCase()) return undefined;
  return `${library.id}!${Number(m[2])}`;
}

export function workspaceIn(library: Library, id: string | undefined): Workspace {
  const key = id === undefined ? undefined : canonicalId(library, id);
  const workspace = key === undefined ? undefined : library.workspaces.get(key);
  if (!workspace) throw notFound('workspace', id);
  return workspace;
}

export function folderIn(library: Library, id: string | undefined): Folder {
  const key = id === undefined ? undefined : canonicalId(library, id);
  const folder = key === undefined ? undefined : library.folders.get(key);
  if (!folder) throw notFound('folder', id);
  return folder;
}

/** A document by its `LIB!number.version` id (assumption: ids). */
export function documentIn(library: Library, id: string | undefined): StoredDocument {
  const m = id === undefined ? null : DOCUMENT_ID.exec(id);
  const sameLibrary = m !== null && (m[1] ?? '').toLowerCase() === library.id.toLowerCase();
  const document = sameLibrary ? library.documents.get(`${library.id}!${Number(m[2])}.${Number(m[3])}`) : undefined;
  if (!document) throw notFound('document', id);
  return document;
}

function notFound(kind: string, id: string | undefined): ApiError {
  return new ApiError(404, 'NOT_FOUND', `no ${kind} '${id ?? ''}' in this library`);
}
