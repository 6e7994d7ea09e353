// Workspace search (one library, or several), one workspace, and a workspace's children.
import { ApiError } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import { json, type Reply } from '../http/reply.ts';
import type { Library, Workspace } from '../state/model.ts';
import { libraryOf, type Caller } from './auth.ts';
import { childrenReply } from './children.ts';
import { workspaceIn } from './lookup.ts';
import { queryKeyOf, readPageRequest, takePage } from './paging.ts';
import { workspaceJson, workspaceSearchResultJson } from './render.ts';
import { matchesAll, workspaceFilters } from './search.ts';

/** Per library: `{cursor, data:{results:[…]}}`, plus total_count for total=true [C]. */
export function searchLibrary(ctx: RequestContext, caller: Caller): Reply {
  const library = libraryOf(caller, ctx.params['lib']);
  const params = ctx.url.searchParams;
  const filters = workspaceFilters(params);
  const queryKey = queryKeyOf(ctx.url.pathname, params);
  const request = readPageRequest(params, queryKey);
  const matches = inCreationOrder(library).filter((w) => matchesAll(w, filters));
  const page = takePage(matches, request, queryKey);
  return json(200, {
    ...(page.nextCursor === undefined ? {} : { cursor: page.nextCursor }),
    data: { results: page.items.map((w) => workspaceSearchResultJson(w, library, ctx.host.name)) },
    ...(page.totalCount === undefined ? {} : { total_count: page.totalCount }),
  });
}

/** Across libraries: `{data:{results:[…]}, total_count}` (assumption: cross-library-default, total-count). */
export function searchAcrossLibraries(ctx: RequestContext, caller: Caller): Reply {
  const params = ctx.url.searchParams;
  const libraries = librariesParam(caller, params.get('libraries'));
  const filters = workspaceFilters(params, ['libraries']);
  const queryKey = queryKeyOf(ctx.url.pathname, params);
  const request = readPageRequest(params, queryKey, false);
  const matches = libraries.flatMap((library) =>
    inCreationOrder(library)
      .filter((w) => matchesAll(w, filters))
      .map((w) => ({ w, library })),
  );
  const page = takePage(matches, { ...request, total: true }, queryKey);
  return json(200, {
    data: { results: page.items.map(({ w, library }) => workspaceSearchResultJson(w, library, ctx.host.name)) },
    total_count: page.totalCount ?? matches.length,
  });
}

export function getWorkspace(ctx: RequestContext, caller: Caller): Reply {
  const library = libraryOf(caller, ctx.params['lib']);
  return json(200, { data: workspaceJson(workspaceIn(library, ctx.params['id']), library) });
}

export function workspaceChildren(ctx: RequestContext, caller: Caller): Reply {
  const library = libraryOf(caller, ctx.params['lib']);
  const workspace = workspaceIn(library, ctx.params['id']);
  return childrenReply(ctx, library, workspace.folderIds, []);
}

function librariesParam(caller: Caller, value: string | null): Library[] {
  if (value === null || value === '') return [...caller.customer.libraries.values()];
  return value.split(',').map((id) => {
    try {
      return libraryOf(caller, id.trim());
    } catch {
      throw new ApiError(400, 'INVALID_PARAMETER', `libraries: no library '${id.trim()}'`, {
        messages: [{ field: 'libraries', code: 'invalid', code_message: `no library '${id.trim()}'` }],
      });
    }
  });
}

/** assumption: search-order */
function inCreationOrder(library: Library): Workspace[] {
  const number = (w: Workspace): number => Number(w.id.slice(w.id.indexOf('!') + 1));
  return [...library.workspaces.values()].sort((a, b) => number(a) - number(b));
}
