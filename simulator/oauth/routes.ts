// The OAuth endpoints of every host.
import type { Clock } from '../clock.ts';
import { parseForm } from '../http/body.ts';
import { json } from '../http/reply.ts';
import type { Route } from '../http/router.ts';
import { authorize, signIn, signInPage } from './authorize.ts';
import { SignInRequests } from './signin-requests.ts';
import { rejectUnknown, token } from './token.ts';

const REVOKE_PARAMETERS: ReadonlySet<string> = new Set(['access_token']);

export function oauthRoutes(clock: Clock): Route[] {
  const signIns = new SignInRequests(clock);
  return [
    { method: 'GET', pattern: '/auth/oauth2/authorize', handler: (ctx) => authorize(ctx, signIns) },
    { method: 'GET', pattern: '/auth/signin', handler: (ctx) => signInPage(ctx, signIns) },
    { method: 'POST', pattern: '/auth/signin', handler: (ctx) => signIn(ctx, signIns) },
    { method: 'POST', pattern: '/auth/oauth2/token', handler: token },
    {
      method: 'POST',
      pattern: '/auth/oauth2/revoke-token',
      // assumption: revoke — RFC 7009 §2.2: unknown tokens are not an error.
      // assumption: revoke-refresh-token — RFC 7009's `token` field names an access or a refresh token.
      handler: async (ctx) => {
        const form = parseForm(await ctx.body());
        // assumption: unknown-oauth-parameters — a strict host knows only what public clients send.
        if (ctx.host.dialect.unknownParameters === 'reject') rejectUnknown(form, REVOKE_PARAMETERS);
        ctx.world.tokens.revokeAccessToken(form.get('access_token') ?? '');
        const token = form.get('token') ?? '';
        ctx.world.tokens.revokeAccessToken(token);
        ctx.world.tokens.revokeRefreshToken(token);
        return json(200, {});
      },
    },
  ];
}
