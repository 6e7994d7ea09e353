// Where the sign-in URL lives: a Secret `<connection>-sign-in` in the connection's namespace
// (key `url`, what a person opens; key `authorizeUrl`, iManage's URL it leads to), not status. Whoever opens the URL may link their own account, and status is shown
// to everyone who may read the connection (the `view` role, Argo CD, Flux); a Secret is read only
// by whom RBAC lets read Secrets there (issue 18, finding 7). Status names the Secret; the
// operator writes it, `imanage-operator link` reads it. Owned by the connection (deleted with
// it); a Secret of that name that this connection does not own is never read or replaced.

import { imanageConnections } from '../api/kinds.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { NotFoundError } from '../runtime/kube/errors.ts';
import { type Secret, secrets } from '../runtime/kube/resources.ts';
import { TOKEN_SECRET_LABELS } from './format.ts';
import type { ConnectionIdentity, SignIn } from './ports.ts';

export const signInSecretName = (connection: string): string => `${connection}-sign-in`;

/** A Secret of the sign-in's name exists and is not this connection's: it is left alone. */
export class SignInSecretTaken extends Error {
  override readonly name = 'SignInSecretTaken';
}

const decode = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString();

function ownedBy(secret: Secret, connection: ConnectionIdentity): boolean {
  return (secret.metadata.ownerReferences ?? []).some((o) => o.controller === true && o.uid === connection.uid);
}

function body(connection: ConnectionIdentity, signIn: SignIn): Secret {
  const owner = {
    apiVersion: `${imanageConnections.group}/${imanageConnections.version}`,
    kind: imanageConnections.kind,
    name: connection.name,
    uid: connection.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: signInSecretName(connection.name),
      namespace: connection.namespace,
      labels: {
        [TOKEN_SECRET_LABELS.managedBy]: 'imanage-operator',
        [TOKEN_SECRET_LABELS.component]: 'sign-in',
        [TOKEN_SECRET_LABELS.connection]: connection.name,
      },
      ownerReferences: [owner],
    },
    data: {
      url: Buffer.from(signIn.url).toString('base64'),
      ...(signIn.authorizeUrl ? { authorizeUrl: Buffer.from(signIn.authorizeUrl).toString('base64') } : {}),
      expiresAt: Buffer.from(signIn.expiresAt.toISOString()).toString('base64'),
    },
  } as Secret;
}

async function current(client: Pick<KubeClient, 'get'>, connection: ConnectionIdentity): Promise<Secret | undefined> {
  try {
    return await client.get(secrets, { namespace: connection.namespace, name: signInSecretName(connection.name) });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Writes the sign-in URL to the connection's sign-in Secret; returns the Secret's name. */
export async function publishSignIn(
  client: Pick<KubeClient, 'get' | 'create' | 'replace'>,
  connection: ConnectionIdentity,
  signIn: SignIn,
): Promise<string> {
  const found = await current(client, connection);
  const wanted = body(connection, signIn);
  if (!found) {
    await client.create(secrets, wanted);
  } else if (!ownedBy(found, connection)) {
    throw new SignInSecretTaken(
      `Secret ${connection.namespace}/${wanted.metadata.name} exists and is not this connection's: delete or ` +
        'rename it, so the operator can put the sign-in URL there',
    );
  } else {
    const metadata = { ...wanted.metadata, resourceVersion: found.metadata.resourceVersion };
    await client.replace(secrets, { ...wanted, metadata } as Secret);
  }
  return wanted.metadata.name!;
}

/** The sign-in URL in the connection's own sign-in Secret, if there is one. */
export async function readSignIn(
  client: Pick<KubeClient, 'get'>,
  connection: ConnectionIdentity,
): Promise<SignIn | undefined> {
  const found = await current(client, connection);
  if (!found || !ownedBy(found, connection)) return undefined;
  const url = decode(found.data?.['url']);
  const authorizeUrl = decode(found.data?.['authorizeUrl']);
  const expiresAt = Date.parse(decode(found.data?.['expiresAt']) ?? '');
  if (!url || !Number.isFinite(expiresAt)) return undefined;
  return { url, expiresAt: new Date(expiresAt), ...(authorizeUrl ? { authorizeUrl } : {}) };
}
