// The admin API over HTTP, on its own loopback port so a client under test never sees it.
// Every route is JSON in, JSON out, and maps onto one Admin method.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, NotFoundError } from '../errors.ts';
import { parseJsonObject, readBody } from '../http/body.ts';
import { send } from '../http/dispatch.ts';
import { json, type Reply } from '../http/reply.ts';
import { Router, type Route } from '../http/router.ts';
import type { Handler, RequestContext } from '../http/context.ts';
import type { Admin } from './admin.ts';

export const ADMIN_PREFIX = '/_admin';

/** Request bodies are untrusted JSON; every Admin method validates its input with the config readers. */
function spec<T>(body: Record<string, unknown>): T {
  return body as T;
}

type AdminAction = (params: Record<string, string>, body: Record<string, unknown>, query: URLSearchParams) => unknown;

/** [method, path under /_admin, description, action]: the table is also the index page. */
function table(admin: Admin, caPem: string): [string, string, string, AdminAction | Reply][] {
  return [
    [
      'GET',
      '/ca.pem',
      'the test CA certificate (PEM) to trust',
      { status: 200, headers: { 'content-type': 'application/x-pem-file' }, body: caPem },
    ],
    ['GET', '/state', 'hosts, customers, applications, token counts, faults (no secrets)', () => admin.summary()],
    [
      'GET',
      '/requests',
      'request log; filters: host, method, path (prefix with *)',
      (_p, _b, q) => admin.requestLog(logFilter(q)),
    ],
    ['DELETE', '/requests', 'clear the request log', () => admin.clearRequestLog()],
    ['GET', '/faults', 'active faults', () => admin.faults()],
    ['POST', '/faults', 'add a fault (body: a fault as in the scenario file)', (_p, b) => admin.addFault(spec(b))],
    ['DELETE', '/faults', 'remove every fault', () => admin.clearFaults()],
    ['DELETE', '/faults/:id', 'remove one fault', (p) => ({ removed: admin.removeFault(p['id'] ?? '') })],
    ['PUT', '/hosts/:name', 'add or replace a virtual host', (p, b) => admin.putHost(spec({ ...b, name: p['name'] }))],
    ['POST', '/customers', 'add a customer', (_p, b) => admin.addCustomer(spec(b))],
    ['POST', '/customers/:cid/users', 'add or replace a user', (p, b) => admin.addUser(p['cid'] ?? '', spec(b))],
    [
      'PUT',
      '/customers/:cid/applications/:clientId',
      'create or replace an application',
      (p, b) => admin.putApplication(p['cid'] ?? '', spec({ ...b, clientId: p['clientId'] })),
    ],
    [
      'POST',
      '/customers/:cid/applications/:clientId/pending-redirect-uris',
      'request a redirect URI registration (body: uri, registeredAfterSeconds)',
      (p, b) => admin.requestRedirectUri(p['cid'] ?? '', p['clientId'] ?? '', spec(b)),
    ],
    [
      'POST',
      '/customers/:cid/libraries/:lib/workspaces',
      'add a workspace (answers its id)',
      (p, b) => admin.addWorkspace(p['cid'] ?? '', p['lib'] ?? '', spec(b)),
    ],
    ['DELETE', '/tokens', 'revoke every token and code', () => admin.revokeAllTokens()],
  ];
}

export function adminRouter(admin: Admin, caPem: string): Router {
  const rows = table(admin, caPem);
  const index: Route = {
    method: 'GET',
    pattern: ADMIN_PREFIX,
    handler: () =>
      json(200, {
        endpoints: rows.map(([method, path, description]) => ({ method, path: ADMIN_PREFIX + path, description })),
      }),
  };
  return new Router([
    index,
    ...rows.map(([method, path, , action]) => ({ method, pattern: ADMIN_PREFIX + path, handler: toHandler(action) })),
  ]);
}

function toHandler(action: AdminAction | Reply): Handler {
  if (typeof action !== 'function') return () => action;
  return async (ctx: RequestContext) => {
    const body = ctx.method === 'GET' || ctx.method === 'DELETE' ? {} : parseJsonObject(await ctx.body());
    const result = action(ctx.params, body, ctx.url.searchParams);
    return result === undefined
      ? { status: 204, headers: {}, body: '' }
      : json(ctx.method === 'POST' ? 201 : 200, result);
  };
}

function logFilter(q: URLSearchParams): { host?: string; method?: string; path?: string } {
  const pick = (name: string): Record<string, string> => {
    const v = q.get(name);
    return v === null ? {} : { [name]: v };
  };
  return { ...pick('host'), ...pick('method'), ...pick('path') };
}

/** The admin port's request listener. */
export function adminHandler(router: Router, context: Pick<RequestContext, 'world' | 'host'>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://admin.invalid');
      let reply: Reply;
      try {
        const match = router.match(req.method ?? 'GET', url.pathname);
        if (match.kind !== 'found')
          throw new NotFoundError(`no admin endpoint ${req.method ?? ''} ${url.pathname}; see GET ${ADMIN_PREFIX}`);
        let body: Promise<Buffer> | undefined;
        reply = await match.handler({
          ...context,
          req,
          method: req.method ?? 'GET',
          url,
          origin: '',
          params: match.params,
          body: () => (body ??= readBody(req)),
        });
      } catch (err) {
        reply = adminError(err);
      }
      send(res, reply);
    })();
  };
}

function adminError(err: unknown): Reply {
  if (err instanceof ConfigError)
    return json(400, { error: { code: 'INVALID_CONFIG', path: err.path, message: err.message } });
  if (err instanceof NotFoundError) return json(404, { error: { code: 'NOT_FOUND', message: err.message } });
  const message = err instanceof Error ? err.message : String(err);
  return json(400, { error: { code: 'BAD_REQUEST', message } });
}
