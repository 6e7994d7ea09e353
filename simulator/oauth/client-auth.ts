// Client authentication at the token endpoint (assumption: client-authentication): form fields
// or HTTP Basic (RFC 6749 §2.3.1), never both at once. An application registered without a secret
// (assumption: public-client) is named by client_id alone, and refuses any secret sent with it.
import type { IncomingMessage } from 'node:http';
import type { HostConfig } from '../config/types.ts';
import { OAuthError } from '../errors.ts';
import type { Application } from '../state/model.ts';
import type { Found, World } from '../state/world.ts';
import { sameSecret } from './secrets.ts';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly viaBasic: boolean;
}

export function clientCredentials(req: IncomingMessage, form: URLSearchParams): ClientCredentials | undefined {
  const basic = basicCredentials(req.headers.authorization);
  const formId = form.get('client_id');
  if (basic && formId !== null) {
    throw new OAuthError(400, 'invalid_request', 'send client credentials in the form or in Basic auth, not both');
  }
  if (basic) return basic;
  if (formId === null) return undefined;
  return { clientId: formId, clientSecret: form.get('client_secret') ?? '', viaBasic: false };
}

function secretMatches(given: string, expected: string | undefined): boolean {
  return expected === undefined ? given === '' : sameSecret(given, expected);
}

function basicCredentials(header: string | undefined): ClientCredentials | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError(400, 'invalid_request', 'malformed Basic credentials');
  // RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
  const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  return { clientId: decode(decoded.slice(0, colon)), clientSecret: decode(decoded.slice(colon + 1)), viaBasic: true };
}

/**
 * Every application on this host with this id and secret. Usually one; on cloudimanage.com a
 * global application exists once per customer, and the grant decides which customer applies.
 */
export function authenticateClient(
  world: World,
  host: HostConfig,
  client: ClientCredentials | undefined,
): Found<Application>[] {
  if (!client) throw new OAuthError(401, 'invalid_client', 'client authentication is required for this grant');
  const matches = world
    .applicationsOn(host, client.clientId)
    .filter((a) => secretMatches(client.clientSecret, a.item.config.clientSecret));
  if (matches.length === 0) {
    // RFC 6749 §5.2: 401, with WWW-Authenticate when the client used the Authorization header.
    const headers: Record<string, string> = client.viaBasic ? { 'www-authenticate': 'Basic realm="iManage"' } : {};
    throw new OAuthError(401, 'invalid_client', 'unknown client or wrong client secret', headers);
  }
  return matches;
}
