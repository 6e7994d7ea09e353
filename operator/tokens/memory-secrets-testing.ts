// Token Secrets in memory, with resourceVersions and conditional writes as the API server has them:
// for the token pass tests that run against the simulator without an API server.
import { ConflictError, NotFoundError } from '../runtime/kube/errors.ts';
import type { Secret } from '../runtime/kube/resources.ts';

/** Secrets by name, with resourceVersions and conditional writes as the API server has them. */
export class MemorySecrets {
  readonly stored = new Map<string, Secret>();
  writes = 0;
  #version = 0;
  async get(_r: unknown, ref: { name: string }): Promise<Secret> {
    const found = this.stored.get(ref.name);
    if (!found) throw new NotFoundError('not found', { status: 404, reason: 'NotFound' });
    return structuredClone(found);
  }
  async create(_r: unknown, object: Secret): Promise<Secret> {
    if (this.stored.has(object.metadata.name ?? ''))
      throw new ConflictError('exists', { status: 409, reason: 'AlreadyExists' });
    return this.#write(object);
  }
  async replace(_r: unknown, object: Secret): Promise<Secret> {
    const current = this.stored.get(object.metadata.name ?? '');
    if (current?.metadata.resourceVersion !== object.metadata.resourceVersion) {
      throw new ConflictError('conflict', { status: 409, reason: 'Conflict' });
    }
    return this.#write(object);
  }
  async patch(): Promise<never> {
    throw new Error('not used');
  }
  account(name: string): string | undefined {
    const value = this.stored.get(name)?.data?.['account'];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
  }
  #write(object: Secret): Secret {
    this.writes++;
    const saved = { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.#version) } };
    this.stored.set(object.metadata.name ?? '', saved);
    return structuredClone(saved);
  }
}
