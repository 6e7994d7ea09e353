// GET /api and GET /work/api: who is signed in, and which libraries they have [C].
import type { RequestContext } from '../http/context.ts';
import { json, type Reply } from '../http/reply.ts';
import type { Caller } from './auth.ts';

export function discovery(ctx: RequestContext, { principal, customer }: Caller): Reply {
  const user = customer.users.get(principal.username);
  const libraries = [...customer.libraries.values()];
  const data: Record<string, unknown> = {
    // assumption: discovery-user — data.user.id names the account the token acts as.
    user: {
      customer_id: customer.id,
      id: user?.id ?? principal.username.toUpperCase(),
      email: user?.email ?? '',
      full_name: user?.fullName ?? principal.username,
      preferred_library: user?.preferredLibrary ?? libraries[0]?.id ?? '',
    },
    // assumption: discovery-libraries
    work: { libraries: libraries.map((l) => ({ alias: l.id, type: l.type, is_hidden: l.isHidden })) },
  };
  // assumption: discovery-version — a simulator extension, present only when configured.
  if (ctx.host.versions !== undefined) data['versions'] = ctx.host.versions;
  return json(200, { data });
}
