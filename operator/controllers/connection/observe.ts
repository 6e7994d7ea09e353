// Reads what the connection refers to: its Secrets, fetched on demand (never cached, so memory
// does not grow with the Secrets in the cluster; a read other reconciles started in the last half
// second is shared, runtime/kube/recent-secrets.ts), then — when decide says they are due — the
// probes. Values are reduced to what decide needs — key names, the passphrase's length, the
// certificate's expiry — and dropped.

import type { IManageConnection } from '../../api/generated/types.ts';
import { codePointsUpTo, MIN_PASSPHRASE_LENGTH, passphraseIsPredictable } from '../../api/validation/index.ts';
import { excerpt } from '../../imanage/excerpt.ts';
import type { KubeClient } from '../../runtime/kube/client.ts';
import { type Secret, secrets } from '../../runtime/kube/resources.ts';
import { readSecret, type SecretRef, secretValue } from '../../runtime/kube/secrets.ts';
import type { RecentSecretReads } from '../../runtime/kube/recent-secrets.ts';
import { caBundleRefOf, type ConnectionFacts, connectionKeyOf, encryptionRefsOf } from '../../api/connection.ts';
import type {
  CertificateObservation,
  ObservedConnection,
  PassphraseObservation,
  SecretObservation,
} from './observed.ts';
import { probesDue } from './decide.ts';
import { observeProbes, type ProbeObservers, type ProbeSettings } from './probes.ts';
import { assessReachability } from './outcomes.ts';
import {
  certificateNotAfter,
  readApplication,
  readCaBundle,
  readTokens,
  type TokenContext,
} from '../../tokens/index.ts';

type SecretReader = Pick<KubeClient, 'get'>;

/**
 * `client`, except that each Secret is read at most once for as long as the result lives (one
 * reconcile): the connection's own reads, the client id's and the token key material's each
 * named the same Secrets again (issue 22 counted 13 GETs per connection, with 2–5 Secrets named).
 */
export function readingSecretsOnce(client: SecretReader): SecretReader {
  const reads = new Map<string, Promise<unknown>>();
  return {
    get: ((resource, ref, options) => {
      if (resource !== secrets) return client.get(resource, ref, options);
      const key = `${ref.namespace ?? ''}/${ref.name}`;
      let read = reads.get(key);
      if (!read) reads.set(key, (read = client.get(resource, ref, options)));
      return read;
    }) as SecretReader['get'],
  };
}

function keysOf(secret: Secret | undefined): string[] {
  return Object.keys(secret?.data ?? {}).sort();
}

function observeSecret(name: string, secret: Secret | undefined): SecretObservation {
  return { name, found: secret !== undefined, keys: keysOf(secret) };
}

function observePassphrase(name: string, key: string, secret: Secret | undefined): PassphraseObservation {
  const value = secretValue(secret, key);
  if (value === undefined) return { ...observeSecret(name, secret), key };
  const predictable = passphraseIsPredictable(value);
  return {
    ...observeSecret(name, secret),
    key,
    length: codePointsUpTo(value, MIN_PASSPHRASE_LENGTH),
    ...(predictable ? { predictable } : {}),
  };
}

function observeCertificate(name: string, secret: Secret | undefined): CertificateObservation {
  const pem = secretValue(secret, 'tls.crt');
  if (pem === undefined) return observeSecret(name, secret);
  try {
    return { ...observeSecret(name, secret), notAfter: certificateNotAfter(pem) };
  } catch (error) {
    return { ...observeSecret(name, secret), parseError: excerpt((error as Error).message) };
  }
}

export interface ProbeContext {
  readonly settings: ProbeSettings;
  /** The operator-wide application of Cloud connections without clientSecretRef. */
  readonly defaultClientSecret?: { readonly namespace: string; readonly name: string };
}

export interface ObserveContext {
  readonly facts: ConnectionFacts;
  readonly now: Date;
  readonly signal?: AbortSignal;
  /** Absent when probes are off. */
  readonly probes?: ProbeContext;
  readonly observers?: ProbeObservers;
  /** Absent when the operator does not manage tokens (--tokens=false) or probes are off. */
  readonly tokens?: TokenContext;
  /** Reads of the Secrets the connection names, shared with reconciles of the last moment. */
  readonly recentSecrets?: RecentSecretReads;
}

/**
 * The Secrets the connection names and the operator only reads, which reconciles may share: its
 * application, sign-in account, passphrase, certificate and CA bundle, and the operator's default
 * application. Not its token Secret, which the operator writes.
 */
function namedSecrets(connection: IManageConnection, probes: ProbeContext | undefined): (ref: SecretRef) => boolean {
  const namespace = connection.metadata?.namespace ?? 'default';
  const { clientSecretRef, auth, tokens, caBundleSecretRef } = connection.spec;
  const { passphraseSecretRef, certificateSecretRef } = tokens?.encryption ?? {};
  const named = [
    clientSecretRef,
    auth?.credentialsSecretRef,
    passphraseSecretRef,
    certificateSecretRef,
    caBundleSecretRef,
  ];
  const keys = new Set(named.flatMap((ref) => (ref ? [`${namespace}/${ref.name}`] : [])));
  const operators = probes?.defaultClientSecret;
  if (operators) keys.add(`${operators.namespace}/${operators.name}`);
  return (ref) => keys.has(`${ref.namespace}/${ref.name}`);
}

export async function observeConnection(
  client: SecretReader,
  connection: IManageConnection,
  context: ObserveContext,
): Promise<ObservedConnection> {
  const { facts, signal, probes, recentSecrets } = context;
  client = readingSecretsOnce(recentSecrets ? recentSecrets.sharing(client, namedSecrets(connection, probes)) : client);
  const namespace = connection.metadata?.namespace ?? 'default';
  const spec = connection.spec;
  const read = (name: string | undefined) =>
    name === undefined ? Promise.resolve(undefined) : readSecret(client, { namespace, name }, signal);
  const encryption = spec.tokens?.encryption;
  const [clientSecret, credentials, passphrase, certificate, caBundle] = await Promise.all([
    read(spec.clientSecretRef?.name),
    read(spec.auth?.credentialsSecretRef?.name),
    read(encryption?.passphraseSecretRef?.name),
    read(encryption?.certificateSecretRef?.name),
    read(spec.caBundleSecretRef?.name),
  ]);
  const secretsObserved = observeSecrets(connection, { clientSecret, credentials, passphrase, certificate, caBundle });
  if (!probes || !probesDue(connection, facts, secretsObserved, context.now)) return secretsObserved;
  const application = await clientIdOf(client, connection, probes, signal);
  const ca = await readCaBundle(client, connection, signal);
  const owner = connectionKeyOf(connection);
  const inputs = { ...(application ? { clientId: application.id } : {}), ...(ca ? { ca } : {}) };
  const observed = await observeProbes(probes.settings, owner, facts, inputs, context.observers);
  const probed = {
    ...secretsObserved,
    ...observed,
    ...(application ? { clientIdSource: application.source } : {}),
    workApiTrust: ca === undefined ? {} : { ca },
  };
  if (!context.tokens || !assessReachability(observed.reachability.value).ok) return probed;
  // The operator's own application secret is sent only over TLS the system's roots vouch for: a
  // tenant's caBundleSecretRef would let its author present any certificate and read it (issue 18, 17).
  const tokenCa = application?.operators ? undefined : ca;
  const tokenReading = await readTokens(client, connection, context.tokens, {
    facts,
    ...(application && (application.secret !== undefined || spec.auth?.grant === 'Password')
      ? { application: { clientId: application.id, clientSecret: application.secret } }
      : {}),
    ...(tokenCa ? { ca: tokenCa } : {}),
    credentials: {
      username: secretValue(credentials, 'username'),
      password: secretValue(credentials, 'password'),
      refreshToken: secretValue(credentials, 'refreshToken'),
    },
    // The reconcile holds a worker: it comes back once its key is derived (controller.ts).
    waitForKey: false,
  });
  return { ...probed, tokenReading };
}

/** The client id to ask iManage with, and where it is kept (the words status may use). */
async function clientIdOf(
  client: SecretReader,
  connection: IManageConnection,
  probes: ProbeContext,
  signal?: AbortSignal,
): Promise<{ id: string; secret?: string; source: string; operators?: true } | undefined> {
  // The connection's own Secret was read with the others (read once: this reads it from memory).
  const app = await readApplication(client, connection, probes.defaultClientSecret, signal);
  if (app?.clientId === undefined) return undefined;
  const { clientId: id, clientSecret: secret, source, where } = app;
  return { id, ...(secret !== undefined ? { secret } : {}), source, ...(where.operators ? { operators: true } : {}) };
}

interface ReadSecrets {
  readonly clientSecret?: Secret;
  readonly credentials?: Secret;
  readonly passphrase?: Secret;
  readonly certificate?: Secret;
  readonly caBundle?: Secret;
}

function observeSecrets(connection: IManageConnection, secrets: ReadSecrets): ObservedConnection {
  const { clientSecret, credentials, passphrase, certificate, caBundle } = secrets;
  const spec = connection.spec;
  const encryption = encryptionRefsOf(connection);
  const caRef = caBundleRefOf(connection);
  return {
    ...(caRef ? { caBundle: { ...observeSecret(caRef.name, caBundle), key: caRef.key } } : {}),
    ...(spec.clientSecretRef ? { clientSecret: observeSecret(spec.clientSecretRef.name, clientSecret) } : {}),
    ...(spec.auth?.credentialsSecretRef
      ? { credentials: observeSecret(spec.auth.credentialsSecretRef.name, credentials) }
      : {}),
    ...(encryption
      ? {
          passphrase: observePassphrase(encryption.passphrase.name, encryption.passphrase.key, passphrase),
          certificate: observeCertificate(encryption.certificate.name, certificate),
        }
      : {}),
  };
}
