// The token Secret of one connection, read and written by the one store the controller and the
// interactive link share. Every write is conditional: a create fails if the Secret appeared, a
// replace carries the resourceVersion it read, so two writers (the leader refreshing, a replica
// finishing a sign-in) never overwrite each other's tokens unseen (flow.ts decides what a
// conflict means). The key material is read on demand, like every Secret the connection names.
//
// Ownership: a connection's author may name any Secret as spec.tokens.secretName, including another
// connection's. So a token Secret is only loaded (and so only replaced, with the resourceVersion that
// load read) when its controller owner is this connection's uid, or when it has no controller and an
// annotation adopts it for this connection by name. Anything else is TokenSecretNotOwned: nothing is
// read from it, sent anywhere, or changed (issue 18: connection B read and took over A's tokens).

import { encryptionRefsOf } from '../api/connection.ts';
import { tokenSecretNameOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { imanageConnections } from '../api/kinds.ts';
import type { IssuedTokens } from '../imanage/oauth.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { NotFoundError } from '../runtime/kube/errors.ts';
import { type Secret, secrets } from '../runtime/kube/resources.ts';
import {
  EncryptionKeyChanged,
  hasPassphraseVerifier,
  KeyDerivationPending,
  type Keyrings,
  type SealedTokens,
  type TokenPayload,
} from './envelope.ts';
import { type CertificateKey, readCertificateKey } from './keys.ts';
import { lastLink, linkedAnnotations } from './link-annotations.ts';
import type { RewriteReason } from './plan.ts';
import type { ConnectionIdentity, TokenSink } from './ports.ts';
import { encryptedTokenSecret, plainTokenSecret, readStoredSecret, type StoredPayload } from './stored.ts';
import { payloadOf } from './schedule.ts';

/** Annotation on the connection that a finished sign-in sets: the leader's watch reconciles on it. */
export { LINKED_AT_ANNOTATION } from './link-annotations.ts';

/** On a token Secret with no controller owner: the name of the connection that may take it over. */
export const ADOPT_BY_ANNOTATION = `${imanageConnections.group}/adopt-by`;

export interface KeyMaterial {
  readonly certificate: CertificateKey;
  readonly passphrase: string;
  readonly previousPassphrase?: string;
}

export interface LoadedTokens {
  readonly payload: StoredPayload;
  readonly resourceVersion: string;
  /**
   * Stored in another format or under the previous passphrase, or adopted (no owner yet): rewrite it in
   * the current one, with this connection as its controller.
   */
  readonly rewrite?: RewriteReason | undefined;
  /** The key fingerprint the Secret records, when encrypted. */
  readonly fingerprint?: string;
}

type SecretClient = Pick<KubeClient, 'get' | 'create' | 'replace'>;

/** Whose turn in the derivation line (the namespace), and whether a derivation may be waited for. */
interface OpenOptions {
  readonly owner: string;
  readonly waitForKey: boolean;
}

export class TokenStore implements TokenSink {
  readonly #client: SecretClient & Pick<KubeClient, 'patch'>;
  readonly #keyrings: Keyrings;
  readonly #now: () => Date;

  constructor(client: SecretClient & Pick<KubeClient, 'patch'>, keyrings: Keyrings, now: () => Date) {
    this.#client = client;
    this.#keyrings = keyrings;
    this.#now = now;
  }

  /**
   * Undefined when there is no Secret; throws TokenSecretNotOwned (before reading anything from it),
   * EncryptionKeyChanged, EncryptionRemoved, UnknownTokenSecret, TokensUnreadable. With
   * `waitForKey: false` (a reconcile, which holds a worker), a key not derived yet is not waited
   * for: its derivation starts and KeyDerivationPending is thrown.
   */
  async load(
    connection: IManageConnection,
    material: KeyMaterial | undefined,
    { waitForKey = true }: { readonly waitForKey?: boolean } = {},
  ): Promise<LoadedTokens | undefined> {
    const namespace = connection.metadata.namespace ?? 'default';
    const name = tokenSecretNameOf(connection);
    const secret = await getOrUndefined(this.#client, namespace, name);
    if (!secret) return undefined;
    const adopted = ownership(secret, connection) === 'adopted';
    const loaded = await this.#open(secret, name, material, { owner: namespace, waitForKey });
    return adopted ? { ...loaded, rewrite: 'Adopted' } : loaded;
  }

  /**
   * For a reconcile, before it obtains or refreshes tokens it will have to seal: the derivation of
   * the sealing key, started now, or undefined when none is needed. Ask after `load`: the key of the
   * Secret there is is reused for sealing.
   */
  pendingSeal(connection: IManageConnection, material: KeyMaterial | undefined): Promise<boolean> | undefined {
    if (!material) return undefined;
    return this.#keyrings.pendingSeal(
      material.certificate,
      material.passphrase,
      connection.metadata.namespace ?? 'default',
    );
  }

  /** Opens `sealed`; without `waitForKey`, throws KeyDerivationPending rather than wait for a derivation. */
  async #openSealed(
    sealed: SealedTokens,
    certificate: CertificateKey,
    passphrase: string,
    { owner, waitForKey }: OpenOptions,
  ): Promise<TokenPayload> {
    const pending = waitForKey ? undefined : this.#keyrings.pendingOpen(sealed, certificate, passphrase, owner);
    if (pending) throw new KeyDerivationPending(pending);
    return this.#keyrings.open(sealed, certificate, passphrase, owner);
  }

  async #open(
    secret: Secret,
    name: string,
    material: KeyMaterial | undefined,
    options: OpenOptions,
  ): Promise<LoadedTokens> {
    const resourceVersion = secret.metadata.resourceVersion ?? '';
    const stored = readStoredSecret(secret);
    if (stored.format === 'plain')
      return { payload: stored.payload, resourceVersion, ...(material ? { rewrite: 'Encrypt' } : {}) };
    if (!material) throw new EncryptionRemoved(name);
    const { fingerprint } = stored.sealed;
    // A fingerprint in the earlier format holds a passphrase verifier: rewritten at once, under a key id.
    const verifier = hasPassphraseVerifier(stored.sealed);
    try {
      const payload = await this.#openSealed(stored.sealed, material.certificate, material.passphrase, options);
      return {
        payload: payload as StoredPayload,
        resourceVersion,
        ...(verifier ? { rewrite: 'PassphraseVerifier' as const } : {}),
        fingerprint,
      };
    } catch (error) {
      if (!(error instanceof EncryptionKeyChanged) || material.previousPassphrase === undefined) throw error;
      const payload = await this.#openSealed(stored.sealed, material.certificate, material.previousPassphrase, options);
      return { payload: payload as StoredPayload, resourceVersion, rewrite: 'PreviousPassphrase', fingerprint };
    }
  }

  /** Creates (no resourceVersion) or replaces the Secret; a ConflictError means someone wrote first. */
  async save(
    connection: IManageConnection,
    payload: StoredPayload,
    material: KeyMaterial | undefined,
    resourceVersion: string | undefined,
  ): Promise<{ resourceVersion: string; fingerprint?: string }> {
    const namespace = connection.metadata.namespace ?? 'default';
    const name = tokenSecretNameOf(connection);
    const owner = {
      apiVersion: `${imanageConnections.group}/${imanageConnections.version}`,
      kind: imanageConnections.kind,
      name: connection.metadata.name ?? '',
      uid: connection.metadata.uid ?? '',
    };
    const sealed = material
      ? await this.#keyrings.seal(payload, material.certificate, material.passphrase, namespace)
      : undefined;
    const body = sealed
      ? encryptedTokenSecret(namespace, name, owner, sealed)
      : plainTokenSecret(namespace, name, owner, payload);
    const object = {
      ...body,
      metadata: { ...body.metadata, ...(resourceVersion ? { resourceVersion } : {}) },
    } as Secret;
    const saved = resourceVersion
      ? await this.#client.replace(secrets, object)
      : await this.#client.create(secrets, object);
    return {
      resourceVersion: saved.metadata.resourceVersion ?? '',
      ...(sealed ? { fingerprint: sealed.fingerprint } : {}),
    };
  }

  /**
   * TokenSink: the interactive link's tokens, from whichever replica received the callback. Refused
   * when the connection was replaced or linked again since the sign-in began (its generation moved).
   */
  async storeLinkedTokens(
    identity: ConnectionIdentity,
    tokens: IssuedTokens,
    account: string | undefined,
    generation: number,
  ): Promise<void> {
    const ref = { namespace: identity.namespace, name: identity.name };
    const connection = (await this.#client.get(imanageConnections, ref)) as IManageConnection;
    if (connection.metadata.uid !== identity.uid) {
      throw new LinkTargetChanged(
        `IManageConnection ${ref.namespace}/${ref.name} was replaced since the sign-in began`,
      );
    }
    const previous = lastLink(connection);
    if (previous.generation !== generation) {
      throw new LinkTargetChanged(`IManageConnection ${ref.namespace}/${ref.name} was linked since the sign-in began`);
    }
    const material = await readKeyMaterial(this.#client, connection);
    const before = await this.load(connection, material);
    const payload = payloadOf(tokens, undefined, account === undefined ? {} : { account });
    await this.save(connection, payload, material, before?.resourceVersion);
    const annotations = linkedAnnotations(previous, this.#now(), account);
    await this.#client.patch(imanageConnections, ref, { metadata: { annotations } });
  }
}

/** The Secret holds encrypted tokens but spec.tokens.encryption is gone: nothing to open them with. */
export class EncryptionRemoved extends Error {
  override readonly name = 'EncryptionRemoved';
  constructor(secretName: string) {
    super(`Secret '${secretName}' holds tokens encrypted (nested-jwe/v1), but spec.tokens.encryption was removed`);
  }
}

/** The token Secret belongs to someone else (another controller, or nobody without an adopt-by annotation). */
export class TokenSecretNotOwned extends Error {
  override readonly name = 'TokenSecretNotOwned';
}

/** Owned: this connection is the controller; adopted: no controller, and adopt-by names it. Else throws. */
function ownership(secret: Secret, connection: IManageConnection): 'owned' | 'adopted' {
  const controller = secret.metadata.ownerReferences?.find((o) => o.controller === true);
  const name = connection.metadata.name ?? '';
  if (controller && controller.uid === connection.metadata.uid) return 'owned';
  if (!controller && secret.metadata.annotations?.[ADOPT_BY_ANNOTATION] === name) return 'adopted';
  const secretName = secret.metadata.name ?? '';
  const fix = controller
    ? `its controller is ${controller.kind} ${controller.name}, so it is not this connection's; set ` +
      `spec.tokens.secretName to a Secret of this connection's own (or remove it to use '${name}-tokens')`
    : `it has no controller owner; to hand it to this connection, annotate it: kubectl annotate secret ` +
      `${secretName} ${ADOPT_BY_ANNOTATION}=${name}; or set spec.tokens.secretName to another name`;
  throw new TokenSecretNotOwned(
    `Secret '${secretName}' was not created by this connection: ${fix}. The operator neither reads nor changes it`,
  );
}

export class LinkTargetChanged extends Error {
  override readonly name = 'LinkTargetChanged';
}

async function getOrUndefined(
  client: Pick<KubeClient, 'get'>,
  namespace: string,
  name: string,
): Promise<Secret | undefined> {
  try {
    return await client.get(secrets, { namespace, name });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function decoded(secret: Secret | undefined, key: string): string | undefined {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** The certificate key and passphrases of spec.tokens.encryption; undefined when tokens are stored plain. */
export async function readKeyMaterial(
  client: Pick<KubeClient, 'get'>,
  connection: IManageConnection,
): Promise<KeyMaterial | undefined> {
  const encryption = connection.spec.tokens?.encryption;
  const refs = encryptionRefsOf(connection);
  if (!encryption || !refs) return undefined;
  const namespace = connection.metadata.namespace ?? 'default';
  const read = (name: string) => getOrUndefined(client, namespace, name);
  const previousRef = encryption.previousPassphraseSecretRef;
  const [certificate, passphrase, previous] = await Promise.all([
    read(encryption.certificateSecretRef.name),
    read(encryption.passphraseSecretRef.name),
    previousRef ? read(previousRef.name) : Promise.resolve(undefined),
  ]);
  const tls = { 'tls.crt': decoded(certificate, 'tls.crt') ?? '', 'tls.key': decoded(certificate, 'tls.key') ?? '' };
  const previousPassphrase = previousRef ? decoded(previous, refs.previousPassphrase!.key) : undefined;
  return {
    certificate: readCertificateKey(tls),
    passphrase: decoded(passphrase, refs.passphrase.key) ?? '',
    ...(previousPassphrase !== undefined ? { previousPassphrase } : {}),
  };
}
