// What the replicas share to finish each other's sign-ins, kept in the API server (never in one
// process's memory), in the operator's own namespace:
// - the HMAC key of link-state.ts, in the Secret `imanage-operator-link-key`, created on first use
//   with create-if-absent semantics: every replica reads it; when it is missing, each tries to
//   create one, the API server lets exactly one create win (409 AlreadyExists for the others), and
//   the losers read the winner's. No setup for the admin, and nothing to keep in sync between
//   Deployments. Deleting the Secret rotates the key: within KEY_CACHE_MS every replica reads the
//   new one, sign-in URLs already shown stop working (they say so), and the next URL uses it. The
//   key is held in memory for KEY_CACHE_MS, one read at a time: the callback is unauthenticated,
//   and a flood of forged states must not become a flood of Secret GETs (issue 18, finding 4). A key from a flag-named Secret would need
//   the admin to make and rotate it by hand for no gain: the key never leaves the cluster.
// - the spent states, in the ConfigMap `imanage-operator-link-spent`: one entry per state
//   (its nonce → its expiry), claimed with optimistic concurrency (a replace conditional on
//   resourceVersion, retried on conflict), so two replicas receiving the same callback cannot
//   both exchange it. Entries past their expiry are dropped on each write: the map holds at most
//   the sign-ins of the last 10 minutes. A ConfigMap rather than the token Secret, because the
//   connection controller owns that Secret's writes and a spent state is not a secret.

import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../runtime/kube/client.ts';
import { ConflictError, NotFoundError } from '../runtime/kube/errors.ts';
import { configMaps, type KubeObject, type Resource, type Secret, secrets } from '../runtime/kube/resources.ts';
import type { RbacDeclaration } from '../runtime/rbac.ts';
import { MIN_KEY_BYTES } from './link-state.ts';

export const LINK_KEY_SECRET = 'imanage-operator-link-key';
export const SPENT_STATES_CONFIGMAP = 'imanage-operator-link-spent';
const KEY_FIELD = 'hmacKey';
const LABELS = { 'app.kubernetes.io/managed-by': 'imanage-operator', 'app.kubernetes.io/component': 'link' };
/** How long a replica uses the key it read before reading it again (a rotation shows within this). */
export const KEY_CACHE_MS = 60_000;
/** Conflicts mean another replica wrote at the same moment; a few retries settle it. */
const MAX_CLAIM_ATTEMPTS = 8;

export const LINK_RBAC: RbacDeclaration = {
  ownNamespace: [
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create'] },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update'] },
  ],
};

export type LinkStoreClient = Pick<KubeClient, 'get' | 'create' | 'replace'>;

/** The shared key is present but unusable: a person must delete it so a new one is made. */
export class LinkKeyError extends Error {
  override readonly name = 'LinkKeyError';
}

export class LinkStore {
  readonly #client: LinkStoreClient;
  readonly #namespace: string;
  readonly #now: () => Date;
  #cached: { readonly key: Buffer; readonly at: number } | undefined;
  #reading: Promise<Buffer> | undefined;

  constructor(client: LinkStoreClient, namespace: string, now: () => Date = () => new Date()) {
    this.#client = client;
    this.#namespace = namespace;
    this.#now = now;
  }

  /** The shared key, made by whichever replica first needs it; held for KEY_CACHE_MS, read once at a time. */
  async key(): Promise<Buffer> {
    const now = this.#now().getTime();
    if (this.#cached && now - this.#cached.at >= 0 && now - this.#cached.at < KEY_CACHE_MS) return this.#cached.key;
    this.#reading ??= this.#readKey().then(
      (key) => {
        this.#cached = { key, at: now };
        this.#reading = undefined;
        return key;
      },
      (error: unknown) => {
        this.#reading = undefined;
        throw error;
      },
    );
    return this.#reading;
  }

  async #readKey(): Promise<Buffer> {
    const found = await this.#get(secrets, LINK_KEY_SECRET);
    if (found) return this.#keyOf(found);
    const made: Secret = {
      metadata: { name: LINK_KEY_SECRET, namespace: this.#namespace, labels: LABELS },
      type: 'Opaque',
      data: { [KEY_FIELD]: randomBytes(MIN_KEY_BYTES).toString('base64') },
    };
    try {
      return this.#keyOf(await this.#client.create(secrets, made));
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const winner = await this.#get(secrets, LINK_KEY_SECRET);
      if (!winner) throw error;
      return this.#keyOf(winner);
    }
  }

  /**
   * Marks the state named by `nonce` spent; false when it already was (a replay, or the same
   * callback on two replicas at once: only one gets true).
   */
  async claim(nonce: string, expiresAt: Date, now: Date): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#claimOnce(nonce, expiresAt, now);
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_CLAIM_ATTEMPTS) throw error;
      }
    }
  }

  /** Un-spends a state whose exchange failed, so the admin can sign in again with the same URL. */
  async release(nonce: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.#get(configMaps, SPENT_STATES_CONFIGMAP);
      if (!current?.data?.[nonce]) return;
      const { [nonce]: _released, ...rest } = current.data;
      try {
        await this.#client.replace(configMaps, { ...current, data: rest });
        return;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_CLAIM_ATTEMPTS) throw error;
      }
    }
  }

  async #claimOnce(nonce: string, expiresAt: Date, now: Date): Promise<boolean> {
    const current = await this.#get(configMaps, SPENT_STATES_CONFIGMAP);
    if (current?.data?.[nonce] !== undefined) return false;
    const data = { ...unexpired(current?.data ?? {}, now), [nonce]: expiresAt.toISOString() };
    if (current) {
      await this.#client.replace(configMaps, { ...current, data });
    } else {
      const metadata = { name: SPENT_STATES_CONFIGMAP, namespace: this.#namespace, labels: LABELS };
      await this.#client.create(configMaps, { metadata, data }); // 409 if another replica made it: retried
    }
    return true;
  }

  #keyOf(secret: Secret): Buffer {
    const key = Buffer.from(secret.data?.[KEY_FIELD] ?? '', 'base64');
    if (key.length < MIN_KEY_BYTES) {
      throw new LinkKeyError(
        `Secret ${this.#namespace}/${LINK_KEY_SECRET} has no key ${KEY_FIELD} of ${MIN_KEY_BYTES} bytes or more: ` +
          'delete it and the operator makes a new one (sign-in URLs shown so far stop working)',
      );
    }
    return key;
  }

  async #get<T extends KubeObject>(resource: Resource<T>, name: string): Promise<T | undefined> {
    try {
      return await this.#client.get(resource, { namespace: this.#namespace, name });
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }
}

function unexpired(data: Record<string, string>, now: Date): Record<string, string> {
  return Object.fromEntries(Object.entries(data).filter(([, until]) => Date.parse(until) > now.getTime()));
}
