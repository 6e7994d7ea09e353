// Children lists: a plain `data:[…]` with total_count for total=true [C; assumption: total-count].
import type { RequestContext } from '../http/context.ts';
import { json, type Reply } from '../http/reply.ts';
import type { Library } from '../state/model.ts';
import { invalid, PAGING_PARAMS, queryKeyOf, readBoolean, readPageRequest, takePage } from './paging.ts';
import { documentJson, folderJson, type Json } from './render.ts';

const CHILDREN_PARAMS = ['limit', 'offset', 'total', 'exclude_docs', 'timezone_offset'];

export function childrenReply(
  ctx: RequestContext,
  library: Library,
  folderIds: readonly string[],
  documentIds: readonly string[],
): Reply {
  const params = ctx.url.searchParams;
  for (const name of params.keys()) {
    // assumption: unknown-search-parameters (cursor paging is not documented for children)
    if (!CHILDREN_PARAMS.includes(name)) {
      const why = PAGING_PARAMS.includes(name) ? 'is not supported for children' : 'is not a known parameter';
      throw invalid(name, why);
    }
  }
  const folders: Json[] = folderIds.flatMap((id) => {
    const folder = library.folders.get(id);
    return folder ? [folderJson(folder, library)] : [];
  });
  const documents: Json[] = readBoolean(params, 'exclude_docs')
    ? []
    : documentIds.flatMap((id) => {
        const doc = library.documents.get(id);
        return doc ? [documentJson(doc)] : [];
      });
  const queryKey = queryKeyOf(ctx.url.pathname, params);
  const page = takePage([...folders, ...documents], readPageRequest(params, queryKey, false), queryKey);
  return json(200, { data: page.items, ...(page.totalCount === undefined ? {} : { total_count: page.totalCount }) });
}
