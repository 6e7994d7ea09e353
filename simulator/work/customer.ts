// Customer-level endpoints: libraries, ping, a user's profile.
import { ApiError } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import { json, type Reply } from '../http/reply.ts';
import type { Caller } from './auth.ts';
import { readBoolean } from './paging.ts';

/** `{data:[{id, type, is_hidden}]}` [C, iManCloudCore customers/getAvailableLibraries.go]. */
export function libraries(_ctx: RequestContext, { customer }: Caller): Reply {
  const data = [...customer.libraries.values()].map((l) => ({ id: l.id, type: l.type, is_hidden: l.isHidden }));
  return json(200, { data });
}

/** assumption: ping-body */
export function ping(): Reply {
  return json(200, {});
}

/** assumption: users-endpoint */
export function userProfile(ctx: RequestContext, { customer }: Caller): Reply {
  const wanted = (ctx.params['userId'] ?? '').toLowerCase();
  const user = [...customer.users.values()].find((u) => u.id.toLowerCase() === wanted);
  if (!user) throw new ApiError(404, 'NOT_FOUND', `no user '${ctx.params['userId'] ?? ''}'`);
  const preferred = user.preferredLibrary ?? [...customer.libraries.keys()][0] ?? '';
  const data: Record<string, unknown> = {
    id: user.id,
    email: user.email,
    full_name: user.fullName,
    preferred_library: preferred,
  };
  if (readBoolean(ctx.url.searchParams, 'include_libraries')) {
    data['libraries'] = [...customer.libraries.keys()].map((id) => ({
      id,
      library_id: id,
      preferred: id === preferred,
    }));
  }
  return json(200, { data });
}
