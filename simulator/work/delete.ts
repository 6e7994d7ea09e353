// Deleting a folder or a document (assumption: delete-objects). No public client shows deletion
// under /work/api/v2; the paths mirror the object paths GET reads (…/folders/{id}, and the
// document id form LIB!n.v under …/documents/{id}). Deletion never cascades: a folder that still
// holds folders or documents answers 409, so a client can only remove what it emptied itself.
import { ApiError } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import type { Reply } from '../http/reply.ts';
import { findContainer } from '../state/library.ts';
import { libraryOf, type Caller } from './auth.ts';
import { documentIn, folderIn } from './lookup.ts';

const NO_CONTENT: Reply = { status: 204, headers: {}, body: '' };

/** DELETE …/libraries/{lib}/folders/{id} */
export function deleteFolder(ctx: RequestContext, caller: Caller): Reply {
  const library = libraryOf(caller, ctx.params['lib']);
  const folder = folderIn(library, ctx.params['id']);
  if (folder.folderIds.length > 0 || folder.documentIds.length > 0) {
    throw new ApiError(409, 'FOLDER_NOT_EMPTY', `folder '${folder.id}' still holds folders or documents`);
  }
  const parent = findContainer(library, folder.parentId);
  removeFrom(parent?.folderIds, folder.id);
  library.folders.delete(folder.id);
  if (parent) parent.editDate = ctx.world.clock.now();
  return NO_CONTENT;
}

/** DELETE …/libraries/{lib}/documents/{id} */
export function deleteDocument(ctx: RequestContext, caller: Caller): Reply {
  const library = libraryOf(caller, ctx.params['lib']);
  const document = documentIn(library, ctx.params['id']);
  const folder = library.folders.get(document.folderId);
  removeFrom(folder?.documentIds, document.id);
  library.documents.delete(document.id);
  if (folder) folder.editDate = ctx.world.clock.now();
  return NO_CONTENT;
}

function removeFrom(list: string[] | undefined, id: string): void {
  const index = list?.indexOf(id) ?? -1;
  if (index >= 0) list!.splice(index, 1);
}
