// GET /api and GET /work/api: who is signed in, and which libraries they have [C]. The answer
// carries every field a public client reads (shared/imanage-api.md, Discovery), in the place that
// client reads it: the preferred library under data.work (and data.user), the user's name as name
// (and full_name), the version as data.dms_version or data.versions where the host sets one.
import type { HostConfig } from '../config/types.ts';
import type { RequestContext } from '../http/context.ts';
import { json, type Reply } from '../http/reply.ts';
import type { Caller } from './auth.ts';

export function discovery(ctx: RequestContext, { principal, customer }: Caller): Reply {
  const user = customer.users.get(principal.username);
  const libraries = [...customer.libraries.values()];
  const preferred = user?.preferredLibrary ?? libraries[0]?.id ?? '';
  const name = user?.fullName ?? principal.username;
  const data: Record<string, unknown> = {
    // assumption: discovery-user — data.user.id names the account the token acts as.
    user: {
      customer_id: ctx.host.dialect.customerIdAs === 'number' ? Number(customer.id) : customer.id,
      id: user?.id ?? principal.username.toUpperCase(),
      name,
      full_name: name,
      email: user?.email ?? '',
      preferred_library: preferred,
    },
    // assumption: discovery-libraries
    work: {
      preferred_library: preferred,
      libraries: libraries.map((l) => ({ alias: l.id, type: l.type, is_hidden: l.isHidden })),
    },
    ...versionFields(ctx.host, ctx.origin),
  };
  return json(200, { data });
}

/** assumption: discovery-version — present only when the host configures one. */
function versionFields(host: HostConfig, origin: string): Record<string, unknown> {
  const versions = host.versions;
  return {
    ...(host.dmsVersion === undefined ? {} : { dms_version: host.dmsVersion }),
    ...(versions === undefined
      ? {}
      : {
          versions: Array.isArray(versions)
            ? versions.map((v: string) => ({ name: v, url: `${origin}/work/api/${v}` }))
            : versions,
        }),
  };
}
