// What the token code reads and asks about a connection besides its token Secret: the OAuth
// application (client id and secret), the CA bundle, and GET /api. One function each, used by the
// controller, the sign-in callback, the finalizer and the CLI (connection-secrets.test.ts checks
// that no second copy appears).

import { apiBaseOf, applicationSourceOf, caBundleRefOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { type Discovery, discover } from '../imanage/discovery.ts';
import { readSecret, type SecretReader, type SecretRef, secretValue } from '../runtime/kube/secrets.ts';

/** The connection's application as read now: where it is kept, and its values when there. */
export interface ApplicationRead {
  readonly where: SecretRef & { readonly operators: boolean };
  readonly found: boolean;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Where the client id is kept, in the words status may use; never the id. */
  readonly source: string;
}

/** The connection's own application Secret, or for Cloud the operator's default; undefined when it names none. */
export async function readApplication(
  client: SecretReader,
  connection: IManageConnection,
  operatorDefault: SecretRef | undefined,
  signal?: AbortSignal,
): Promise<ApplicationRead | undefined> {
  const where = applicationSourceOf(connection, operatorDefault);
  if (!where) return undefined;
  const secret = await readSecret(client, where, signal);
  const clientId = secretValue(secret, 'clientId');
  const clientSecret = secretValue(secret, 'clientSecret');
  const source = where.operators
    ? "the operator's default application (--default-client-secret)"
    : `Secret '${where.name}' key clientId`;
  return {
    where,
    found: secret !== undefined,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    source,
  };
}

/** The CA bundle iManage's certificate is checked against (caBundleSecretRef); undefined for the system's roots. */
export async function readCaBundle(
  client: SecretReader,
  connection: IManageConnection,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const ref = caBundleRefOf(connection);
  if (!ref) return undefined;
  const secret = await readSecret(client, { namespace: connection.metadata.namespace ?? 'default', name: ref.name }, signal);
  return secretValue(secret, ref.key);
}

/** GET /api of the connection's Work API (spec.apiUrl, else spec.url) with an access token: the account and the libraries. */
export async function discoverConnection(
  connection: IManageConnection,
  accessToken: string,
  network: Parameters<typeof discover>[2],
  ca: string | undefined,
  now: () => Date,
): Promise<Discovery> {
  return discover(new URL(apiBaseOf(connection)), accessToken, network, ca, now);
}
