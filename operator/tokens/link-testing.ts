// An in-memory API server for the link's unit tests: get, create and a conditional replace with
// the real server's answers (404, 409 AlreadyExists, 409 Conflict on a stale resourceVersion), so
// that two LinkStores on it behave as two replicas on one cluster.

import type { KubeObject, Resource } from '../runtime/kube/resources.ts';
import { ConflictError, NotFoundError } from '../runtime/kube/errors.ts';
import type { LinkStoreClient } from './link-store.ts';

export class MemoryApi implements LinkStoreClient {
  /** Reads answered, by kind (plural): what a flood of callbacks costs the API server. */
  readonly reads = new Map<string, number>();
  readonly #objects = new Map<string, KubeObject>();
  #version = 0;
  /** Writes accepted, by kind (plural). */
  readonly writes = new Map<string, number>();

  #key(resource: Resource, namespace: string | undefined, name: string | undefined): string {
    return `${resource.plural}/${namespace ?? ''}/${name ?? ''}`;
  }

  /** Puts an object as is, with a fresh resourceVersion (a test's kubectl apply). */
  put<T extends KubeObject>(resource: Resource<T>, object: T): void {
    const key = this.#key(resource, object.metadata.namespace, object.metadata.name);
    this.#objects.set(
      key,
      structuredClone({ ...object, metadata: { ...object.metadata, resourceVersion: this.#next() } }),
    );
  }

  remove(resource: Resource, namespace: string, name: string): void {
    this.#objects.delete(this.#key(resource, namespace, name));
  }

  async get<T extends KubeObject>(resource: Resource<T>, ref: { namespace?: string; name: string }): Promise<T> {
    this.reads.set(resource.plural, (this.reads.get(resource.plural) ?? 0) + 1);
    const found = this.#objects.get(this.#key(resource, ref.namespace, ref.name));
    if (!found)
      throw new NotFoundError(`${resource.plural} "${ref.name}" not found`, { status: 404, reason: 'NotFound' });
    return structuredClone(found) as T;
  }

  async create<T extends KubeObject>(resource: Resource<T>, object: T): Promise<T> {
    const key = this.#key(resource, object.metadata.namespace, object.metadata.name);
    if (this.#objects.has(key)) {
      throw new ConflictError(`${resource.plural} "${object.metadata.name}" already exists`, {
        status: 409,
        reason: 'AlreadyExists',
      });
    }
    return this.#store(resource, key, object);
  }

  async replace<T extends KubeObject>(resource: Resource<T>, object: T): Promise<T> {
    const key = this.#key(resource, object.metadata.namespace, object.metadata.name);
    const current = this.#objects.get(key);
    if (!current) throw new NotFoundError(`${resource.plural} not found`, { status: 404, reason: 'NotFound' });
    if (object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new ConflictError('the object has been modified', { status: 409, reason: 'Conflict' });
    }
    return this.#store(resource, key, object);
  }

  /** A merge patch (RFC 7386: null removes a key), as the link patches annotations. */
  async patch<T extends KubeObject>(resource: Resource<T>, ref: { namespace?: string; name: string }, patch: unknown) {
    const key = this.#key(resource, ref.namespace, ref.name);
    const current = this.#objects.get(key);
    if (!current) throw new NotFoundError(`${resource.plural} not found`, { status: 404, reason: 'NotFound' });
    return this.#store(resource, key, merged(current, patch) as T);
  }

  #store<T extends KubeObject>(resource: Resource<T>, key: string, object: T): T {
    const stored = structuredClone({ ...object, metadata: { ...object.metadata, resourceVersion: this.#next() } });
    this.#objects.set(key, stored);
    this.writes.set(resource.plural, (this.writes.get(resource.plural) ?? 0) + 1);
    return structuredClone(stored);
  }

  #next(): string {
    this.#version += 1;
    return String(this.#version);
  }
}

function merged(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merged(out[k], v);
  }
  return out;
}
