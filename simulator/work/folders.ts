// Folder profile, folder children, and creating folders and subfolders (assumption: create-folder).
import { ApiError } from '../errors.ts';
import { parseJsonObject } from '../http/body.ts';
import type { RequestContext } from '../http/context.ts';
import { json, type Reply } from '../http/reply.ts';
import { addFolder } from '../state/library.ts';
import type { Container, Library } from '../state/model.ts';
import { libraryOf, type Caller } from './auth.ts';
import { childrenReply } from './children.ts';
import { folderIn, workspaceIn } from './lookup.ts';
import { folderJson } from './render.ts';

export function getFolder(ctx: RequestContext, caller: Caller): Reply {
  const library = libraryOf(caller, ctx.params['lib']);
  return json(200, { data: folderJson(folderIn(library, ctx.params['id']), library) });
}

export function folderChildren(ctx: RequestContext, caller: Caller): Reply {
  const library = libraryOf(caller, ctx.params['lib']);
  const folder = folderIn(library, ctx.params['id']);
  return childrenReply(ctx, library, folder.folderIds, folder.documentIds);
}

/** POST …/workspaces/{id}/folders */
export async function createFolder(ctx: RequestContext, caller: Caller): Promise<Reply> {
  const library = libraryOf(caller, ctx.params['lib']);
  return create(ctx, caller, library, workspaceIn(library, ctx.params['id']));
}

/** POST …/folders/{id}/subfolders */
export async function createSubfolder(ctx: RequestContext, caller: Caller): Promise<Reply> {
  const library = libraryOf(caller, ctx.params['lib']);
  return create(ctx, caller, library, folderIn(library, ctx.params['id']));
}

async function create(ctx: RequestContext, caller: Caller, library: Library, parent: Container): Promise<Reply> {
  const body = parseJsonObject(await ctx.body());
  const name = typeof body['name'] === 'string' ? body['name'].trim() : '';
  if (name === '') {
    throw new ApiError(400, 'INVALID_PARAMETER', 'a folder needs a name', {
      messages: [{ field: 'name', code: 'required', code_message: 'name is required' }],
    });
  }
  const description = typeof body['description'] === 'string' ? body['description'] : '';
  const owner = caller.customer.users.get(caller.principal.username)?.id ?? caller.principal.username.toUpperCase();
  const now = ctx.world.clock.now();
  const folder = addFolder(
    library,
    parent,
    { name, description, folderType: 'regular', folders: [], documents: [] },
    owner,
    now,
    'body',
  );
  if (typeof body['default_security'] === 'string') folder.defaultSecurity = body['default_security'];
  parent.editDate = now;
  return json(201, { data: folderJson(folder, library) });
}
