// X-Auth-Token checks for the Work API and discovery.
import { ApiError } from '../errors.ts';
import type { Handler, RequestContext } from '../http/context.ts';
import type { Reply } from '../http/reply.ts';
import type { Customer, Library } from '../state/model.ts';
import type { Principal } from '../state/tokens.ts';

export interface Caller {
  readonly principal: Principal;
  readonly customer: Customer;
}

export type CallerHandler = (ctx: RequestContext, caller: Caller) => Reply | Promise<Reply>;

/** The header clients send [C]; `Authorization: Bearer` is not accepted (assumption: auth-header). */
const TOKEN_HEADER = 'x-auth-token';

export function withToken(handler: CallerHandler): Handler {
  return (ctx) => handler(ctx, caller(ctx));
}

function caller(ctx: RequestContext): Caller {
  const header = ctx.req.headers[TOKEN_HEADER];
  const token = Array.isArray(header) ? header[0] : header;
  if (!token) throw unauthorized('an X-Auth-Token header is required');
  const principal = ctx.world.tokens.useAccessToken(token);
  // assumption: token-customer-binding — a token is good on the hosts that serve its customer.
  const customer =
    principal && ctx.host.customers.includes(principal.customerId)
      ? ctx.world.customer(principal.customerId)
      : undefined;
  if (!principal || !customer) throw unauthorized('the access token is invalid or has expired');
  return { principal, customer };
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'UNAUTHORIZED', message);
}

/** For paths under /customers/{cid}: the caller's own customer only (assumption: token-customer-binding). */
export function withCustomer(handler: CallerHandler): Handler {
  return withToken((ctx, c) => {
    if (ctx.params['cid'] !== c.customer.id) {
      throw new ApiError(403, 'FORBIDDEN', `this token does not grant access to customer '${ctx.params['cid']}'`);
    }
    return handler(ctx, c);
  });
}

/** assumption: access-model — every user of the customer sees every library. */
export function libraryOf(c: Caller, libraryId: string | undefined): Library {
  const library = libraryId === undefined ? undefined : findCaseInsensitive(c.customer.libraries, libraryId);
  if (!library) throw new ApiError(404, 'NOT_FOUND', `no library '${libraryId}'`);
  return library;
}

/** assumption: ids — iManage examples write library ids in lower case too (`active_us!22`). */
function findCaseInsensitive<T>(map: ReadonlyMap<string, T>, key: string): T | undefined {
  const exact = map.get(key);
  if (exact !== undefined) return exact;
  for (const [k, v] of map) if (k.toLowerCase() === key.toLowerCase()) return v;
  return undefined;
}
