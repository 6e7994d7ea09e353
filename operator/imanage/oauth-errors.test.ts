import { ResponseBodyError } from 'openid-client';
import { describe, expect, it } from 'vitest';
import { excerpt } from './excerpt.ts';
import { discover } from './discovery.ts';
import { HostOverrides, ProbeGuard } from './network.ts';
import { IManageOAuthClient } from './oauth.ts';
import { InvalidClient, TargetForbidden, toOAuthError } from './oauth-errors.ts';
import { errorFromResponse } from './work-errors.ts';

const refusal = (description: string) =>
  new ResponseBodyError('refused', {
    cause: { error: 'invalid_client', error_description: description },
    response: new Response(null, { status: 401 }),
  });

describe('the secret values a request sent are masked in what the server says back (issue 18, finding 13)', () => {
  const SECRET = 'Zq9-client-secret-value';

  it.each([
    ['after a key with no separator', `bad client_secret ${SECRET} for app`],
    ['with no key at all', `you sent ${SECRET}`],
    ['inside a word', `x${SECRET}y`],
  ])('%s', (_title, description) => {
    const error = toOAuthError(refusal(description), 'the password grant at acme.example', new Date(), [SECRET]);
    expect(error).toBeInstanceOf(InvalidClient);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('[masked]');
  });

  it('excerpt masks each value it is given, and keeps the words around it', () => {
    expect(excerpt('client_secret hunter2 and password pa55', 80, ['hunter2', 'pa55'])).toBe(
      'client_secret [masked] and password [masked]',
    );
  });
});

describe('the access token a Work API request sent is masked in its error body', () => {
  it.each([
    ['a page', 'your token tok_short_1 is not valid'],
    ['iManage JSON', JSON.stringify({ error: { code: 'NRC_X', code_message: 'token tok_short_1 expired' } })],
  ])('%s', (_t, body) => {
    const error = errorFromResponse(401, new Headers(), body, 'GET /api', 'object', new Date(), ['tok_short_1']);
    expect(error.message).not.toContain('tok_short_1');
  });
});

describe('a host name the SSRF guard refuses (issue 18, finding 11)', () => {
  // A stub resolver: no request leaves the process (the guard refuses before any connect).
  const network = {
    overrides: new HostOverrides([], async () => ({ address: '10.20.30.40' })),
    guard: new ProbeGuard({ allowLoopback: false, serviceCidrs: [] }),
    timeoutMs: 2_000,
  };
  const server = { baseUrl: new URL('https://vault.corp.internal'), clientId: 'c', clientSecret: 'unused-secret' };

  it('reads "cannot connect" on the token path, never the address the name resolved to', async () => {
    const error = await new IManageOAuthClient(server, network).password('u', 'p').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetForbidden);
    expect((error as Error).message).toBe(
      'the password grant at vault.corp.internal: cannot connect to vault.corp.internal',
    );
  });

  it('reads "cannot connect" on GET /api too', async () => {
    const error = await discover(server.baseUrl, 'token', network, undefined).catch((e: unknown) => e);
    expect((error as Error).message).not.toContain('10.20.30.40');
    expect((error as Error).message).toContain('cannot connect to vault.corp.internal');
  });
});
