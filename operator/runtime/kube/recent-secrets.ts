// Secret reads that reconciles starting moments apart share. A vendor's connections in a namespace
// name the same few Secrets (the application's client secret, the sign-in account, the CA bundle,
// the passphrase, the token certificate): at 1,000 connections, 5 of the 6 GETs of every connection
// reconcile were of the same 5 Secrets (issue 22). A read is shared with every read of the same
// Secret that starts while it is in flight or within RECENT_SECRET_MS of its start, then forgotten.
//
// This is not a cache of Secrets: what it holds is what reconciles of the last half second read,
// at most MAX_ENTRIES Secrets and MAX_BYTES of their values, so memory does not grow with the
// Secrets in the cluster. A changed Secret is seen by every reconcile that starts RECENT_SECRET_MS
// after the change. A failed read (a missing Secret included) is never shared after it ends: a
// missing or malformed Secret is looked at again after the queue's first backoff, at least 800 ms
// (1 s less its 20 % jitter), so a recheck never gets the answer its reconcile had.
//
// Only Secrets the operator reads and never writes go through here (the caller says which): a
// token Secret it has just written must be read as written.

import { type Secret, secrets } from './resources.ts';
import type { SecretReader, SecretRef } from './secrets.ts';

export const RECENT_SECRET_MS = 500;
const MAX_ENTRIES = 256;
const MAX_BYTES = 4 * 1024 * 1024;
/** A Secret larger than this is not kept for the next reader (a CA bundle of the system roots is 0.2 MiB). */
const MAX_SECRET_BYTES = 512 * 1024;

interface Entry {
  readonly startedAt: number;
  readonly read: Promise<Secret>;
  /** The signal of the reconcile that sent the GET: when it aborted, the others ask again themselves. */
  readonly signal: AbortSignal | undefined;
  bytes: number;
}

/** The base64 text of a Secret's values: about the memory it holds. */
function sizeOf(secret: Secret): number {
  let bytes = 0;
  for (const value of Object.values(secret.data ?? {})) bytes += value.length;
  return bytes;
}

/** `read`, or the reason `signal` gives when it aborts first. */
function untilAborted<T>(read: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return read;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', stop, { once: true });
    read.then(
      (value) => {
        signal.removeEventListener('abort', stop);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', stop);
        reject(error as Error);
      },
    );
  });
}

export class RecentSecretReads {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #bytes = 0;

  /** `now` in milliseconds, monotonic in production (the engine's clock in tests). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Secrets held for readers to come. */
  get size(): number {
    return this.#entries.size;
  }

  /** `client`, except that the Secrets `shareable` accepts are read through here. */
  sharing(client: SecretReader, shareable: (ref: SecretRef) => boolean): SecretReader {
    return {
      get: ((resource, ref, options) => {
        const secretRef = { namespace: ref.namespace ?? '', name: ref.name };
        if (resource !== secrets || !shareable(secretRef)) return client.get(resource, ref, options);
        return this.#get(client, secretRef, options?.signal);
      }) as SecretReader['get'],
    };
  }

  async #get(client: SecretReader, ref: SecretRef, signal: AbortSignal | undefined): Promise<Secret> {
    this.#forgetOld();
    const entry = this.#entries.get(`${ref.namespace}/${ref.name}`);
    if (!entry) return this.#start(client, ref, signal);
    try {
      return await untilAborted(entry.read, signal);
    } catch (error) {
      // The reconcile that sent the GET was stopped, not this one: this one asks for itself.
      if (entry.signal?.aborted && !signal?.aborted) return this.#start(client, ref, signal);
      throw error;
    }
  }

  #start(client: SecretReader, ref: SecretRef, signal: AbortSignal | undefined): Promise<Secret> {
    const key = `${ref.namespace}/${ref.name}`;
    const read = client.get(secrets, ref, signal ? { signal } : {});
    const entry: Entry = { startedAt: this.#now(), read, signal, bytes: 0 };
    this.#forget(key);
    this.#entries.set(key, entry);
    read.then(
      (secret) => this.#keep(key, entry, secret),
      () => this.#entries.get(key) === entry && this.#entries.delete(key),
    );
    return read;
  }

  #keep(key: string, entry: Entry, secret: Secret): void {
    if (this.#entries.get(key) !== entry) return;
    entry.bytes = sizeOf(secret);
    if (entry.bytes > MAX_SECRET_BYTES) return void this.#entries.delete(key);
    this.#bytes += entry.bytes;
    this.#forgetOld();
  }

  #forget(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#bytes -= entry.bytes;
    this.#entries.delete(key);
  }

  /** Entries are in the order their reads started: drop from the oldest while too old or too many. */
  #forgetOld(): void {
    const oldest = this.#now() - RECENT_SECRET_MS;
    for (const [key, entry] of this.#entries) {
      const over = this.#entries.size > MAX_ENTRIES || this.#bytes > MAX_BYTES;
      if (entry.startedAt >= oldest && !over) return;
      this.#forget(key);
    }
  }
}
