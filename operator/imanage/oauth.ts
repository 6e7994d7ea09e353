// The one OAuth client the operator uses with iManage, on openid-client v6. iManage publishes no
// discovery document, so the server metadata is written here from the known paths
// (shared/imanage-api.md): authorize, token and revoke-token under {base}/auth/oauth2/.
//
// Transport: openid-client's requests go through `customFetch`, implemented with node:https
// instead of the global fetch, because the operator must (1) connect to the address the SSRF
// guard approved, not one a second DNS lookup returns (rebinding), (2) honour host overrides like
// curl's --resolve (tests and the demo reach every virtual host on one loopback port), and
// (3) trust a connection's own CA bundle. Node's global fetch can do none of these without an
// undici Agent, which is not a dependency. `allowInsecureRequests` is never used: every request
// is HTTPS with a verified certificate and host name.
//
// Grants: password, client credentials, authorization code (PKCE S256 + state), refresh
// (rotating: each response's refresh token replaces the presented one), and revocation.
// Failures become the typed errors of oauth-errors.ts.

import { type Agent, request } from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { sharedAgents } from './agents.ts';
import { DnsLookupError, type HostOverrides, type ProbeGuard, ProbeTargetForbiddenError } from './network.ts';
import { InvalidRequest, ServerError, StateMismatch, TransportFailure, toOAuthError } from './oauth-errors.ts';

/** How the client reaches iManage: the probes' host overrides and SSRF guard, and a time limit. */
export interface OAuthNetwork {
  readonly overrides: HostOverrides;
  readonly guard: ProbeGuard;
  /** Per request; openid-client counts it in whole seconds. */
  readonly timeoutMs: number;
}

export interface OAuthServer {
  /** The iManage base URL, e.g. https://acme.cloudimanage.com (a path prefix is kept). */
  readonly baseUrl: URL;
  readonly clientId: string;
  readonly clientSecret: string;
  /** PEM bundle to trust instead of the system's roots (the connection's caBundleSecretRef). */
  readonly ca?: string;
}

export interface IssuedTokens {
  readonly accessToken: string;
  /** Absent when the application does not allow refresh tokens (Control Center's default). */
  readonly refreshToken: string | undefined;
  readonly tokenType: string;
  /** expires_in; at iManage a window of inactivity, not a fixed lifetime. */
  readonly expiresInSeconds: number | undefined;
  readonly scope: string | undefined;
  readonly obtainedAt: Date;
}

export interface RefreshedTokens extends IssuedTokens {
  /** The response named a new refresh token: the presented one may already be dead. */
  readonly refreshTokenRotated: boolean;
}

/** What the callback needs to finish an authorization; the verifier is a secret, store it as one. */
export interface PendingAuthorization {
  readonly url: string;
  readonly redirectUri: string;
  readonly state: string;
  readonly codeVerifier: string;
}

export interface AuthorizationStart {
  /** Must match a registered redirect URI exactly; no query or fragment. */
  readonly redirectUri: string;
  /** Opaque; at least 128 random bits (a caller may bind it to an object, e.g. uid + random). */
  readonly state?: string;
  /** @default 'user' */
  readonly scope?: string;
  /**
   * RFC 7636 verifier; random when absent. A caller that must recompute it elsewhere (any replica
   * finishing a sign-in, operator/tokens/link-state.ts) derives it from a shared key instead.
   */
  readonly codeVerifier?: string;
}

export type TokenKind = 'access_token' | 'refresh_token';

/** Largest token response read: iManage's are a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1 << 20;

export class IManageOAuthClient {
  readonly #config: client.Configuration;
  readonly #host: string;
  readonly #now: () => Date;

  constructor(server: OAuthServer, network: OAuthNetwork, now: () => Date = () => new Date()) {
    const base = server.baseUrl.href.replace(/\/$/, '');
    const metadata: client.ServerMetadata = {
      issuer: base,
      authorization_endpoint: `${base}/auth/oauth2/authorize`,
      token_endpoint: `${base}/auth/oauth2/token`,
      revocation_endpoint: `${base}/auth/oauth2/revoke-token`,
    };
    // Form fields, as iManage's public clients send them (Basic works at the simulator too).
    const auth = client.ClientSecretPost(server.clientSecret);
    this.#config = new client.Configuration(metadata, server.clientId, undefined, auth);
    this.#config.timeout = Math.ceil(network.timeoutMs / 1000);
    this.#config[client.customFetch] = pinnedFetch(network, server.ca);
    this.#host = server.baseUrl.host;
    this.#now = now;
  }

  password(username: string, password: string, scope = 'user'): Promise<IssuedTokens> {
    return this.#grant('the password grant', () =>
      client.genericGrantRequest(this.#config, 'password', { username, password, scope }),
    );
  }

  clientCredentials(scope = 'user'): Promise<IssuedTokens> {
    return this.#grant('the client credentials grant', () => client.clientCredentialsGrant(this.#config, { scope }));
  }

  async beginAuthorization(start: AuthorizationStart): Promise<PendingAuthorization> {
    requireUsableRedirectUri(start.redirectUri);
    const codeVerifier = start.codeVerifier ?? client.randomPKCECodeVerifier();
    const state = start.state ?? client.randomState();
    const url = client.buildAuthorizationUrl(this.#config, {
      redirect_uri: start.redirectUri,
      scope: start.scope ?? 'user',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, redirectUri: start.redirectUri, state, codeVerifier };
  }

  /** Exchanges the code the callback received; `callback` is the callback request's query. */
  completeAuthorization(callback: URLSearchParams, pending: PendingAuthorization): Promise<IssuedTokens> {
    // Checked here, before any call, so a forged callback never reaches the token endpoint.
    if (!sameState(callback.get('state'), pending.state)) {
      return Promise.reject(new StateMismatch('the callback does not belong to this authorization (state differs)'));
    }
    const currentUrl = new URL(pending.redirectUri);
    for (const [key, value] of callback) currentUrl.searchParams.append(key, value);
    return this.#grant('the authorization code exchange', () =>
      client.authorizationCodeGrant(this.#config, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
      }),
    );
  }

  /** One refresh. The result's refreshToken is the one to keep from now on (rotated or not). */
  async refresh(refreshToken: string): Promise<RefreshedTokens> {
    const tokens = await this.#grant('the refresh', () => client.refreshTokenGrant(this.#config, refreshToken));
    const rotated = tokens.refreshToken !== undefined && tokens.refreshToken !== refreshToken;
    return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken, refreshTokenRotated: rotated };
  }

  /** RFC 7009 revocation; an access token is also named in iManage's own `access_token` field. */
  async revoke(token: string, kind: TokenKind): Promise<void> {
    const extra: Record<string, string> = { token_type_hint: kind };
    if (kind === 'access_token') extra['access_token'] = token;
    try {
      await client.tokenRevocation(this.#config, token, extra);
    } catch (error) {
      throw toOAuthError(error, `revoking the ${kind.replace('_', ' ')} at ${this.#host}`, this.#now());
    }
  }

  async #grant(operation: string, call: () => Promise<client.TokenEndpointResponse>): Promise<IssuedTokens> {
    const obtainedAt = this.#now();
    let response: client.TokenEndpointResponse;
    try {
      response = await call();
    } catch (error) {
      throw toOAuthError(error, `${operation} at ${this.#host}`, this.#now());
    }
    return {
      accessToken: response.access_token,
      refreshToken: response.refresh_token,
      tokenType: response.token_type,
      expiresInSeconds: response.expires_in,
      scope: response.scope,
      obtainedAt,
    };
  }
}

/** openid-client derives redirect_uri from the callback URL without its query: it must round-trip. */
function requireUsableRedirectUri(uri: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(uri);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'https:' || parsed.href !== uri || parsed.search !== '' || parsed.hash !== '') {
    throw new InvalidRequest(
      `redirect URI '${uri}' must be an absolute https URL in canonical form, without query or fragment`,
    );
  }
}

function sameState(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

type FetchInput = Parameters<client.CustomFetch>;

/** A fetch that connects only to addresses the SSRF guard approved, over verified TLS, on kept-alive sockets (agents.ts); work.ts reuses it. */
export function pinnedFetch(network: OAuthNetwork, ca: string | undefined): client.CustomFetch {
  return async (url: string, options: FetchInput[1]): Promise<Response> => {
    const target = new URL(url);
    const route = { host: target.hostname, port: Number(target.port || 443), ca, ...network };
    return send(target, sharedAgents.agentFor(route), options);
  };
}

function send(target: URL, agent: Agent, options: FetchInput[1]): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: Number(target.port || 443),
        path: `${target.pathname}${target.search}`,
        method: options.method,
        headers: options.headers,
        agent,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new ServerError(`${target.host} sent more than 1 MiB`));
          else chunks.push(chunk);
        });
        res.once('end', () => {
          try {
            resolve(toResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks)));
          } catch (error) {
            reject(error);
          }
        });
        res.once('error', reject);
      },
    );
    req.once('error', (error) => reject(transportError(error, target, options.signal)));
    req.end(bodyOf(options.body));
  });
}

function transportError(error: Error, target: URL, signal: AbortSignal | undefined): unknown {
  if (error instanceof ServerError) return error;
  // The agent's new socket was refused by the SSRF guard, or its name did not resolve.
  if (error instanceof ProbeTargetForbiddenError || error instanceof DnsLookupError)
    return new TransportFailure(error.message, error instanceof ProbeTargetForbiddenError, error);
  // An abort from openid-client's timeout: hand back its reason (a TimeoutError) as fetch would.
  if (signal?.aborted) return signal.reason;
  const what = (error as NodeJS.ErrnoException).code ?? error.message;
  return new TransportFailure(`${target.host}: ${what}`, false, error);
}

function bodyOf(body: FetchInput[1]['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('the OAuth client sends only form and JSON bodies');
}

function toResponse(status: number, raw: NodeJS.Dict<string | string[]>, body: Buffer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const v of Array.isArray(value) ? value : [value ?? '']) headers.append(name, v);
  }
  const empty = status === 204 || status === 304 || body.length === 0;
  if (status < 200 || status > 599) throw new ServerError(`unexpected HTTP status ${status}`, { httpStatus: status });
  return new Response(empty ? null : new Uint8Array(body), { status, headers });
}
