// Plays an admin's browser through the simulator's own sign-in (assumption: signin-flow): opens a
// sign-in URL (GET /auth/oauth2/authorize), follows the redirect to the sign-in form, posts the
// user's credentials, and returns where iManage sends the browser next: the client's redirect URI
// with `code` and `state` (or `error`). It does not follow that last redirect: the test decides
// which replica of the operator receives it.
import { form, send, type Target } from './client.ts';

export interface BrowserUser {
  readonly username: string;
  readonly password: string;
}

export class SignInFlowError extends Error {
  override readonly name = 'SignInFlowError';
}

/** `target` is the simulator host of the sign-in URL (its port, virtual host and CA). */
export async function signInThroughBrowser(target: Target, signInUrl: string, user: BrowserUser): Promise<URL> {
  const url = new URL(signInUrl);
  const authorized = await send(target, { path: `${url.pathname}${url.search}` });
  const form1 = redirectOf(authorized.status, authorized.headers.location, 'authorize');
  const request = form1.searchParams.get('request');
  if (form1.pathname !== '/auth/signin' || !request) {
    throw new SignInFlowError(`authorize did not lead to the sign-in form but to ${form1.pathname}`);
  }
  const page = await send(target, { path: `${form1.pathname}${form1.search}` });
  if (page.status !== 200) throw new SignInFlowError(`the sign-in form answered HTTP ${page.status}`);
  const posted = form({ request, username: user.username, password: user.password });
  const signedIn = await send(target, { method: 'POST', path: '/auth/signin', ...posted });
  return redirectOf(signedIn.status, signedIn.headers.location, 'sign-in');
}

function redirectOf(status: number, location: string | undefined, step: string): URL {
  if (status !== 302 || !location) throw new SignInFlowError(`${step} answered HTTP ${status}, not a redirect`);
  return new URL(location);
}
