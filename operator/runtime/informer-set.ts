// One informer per watched namespace (or one for all), seen as a single cache, with the ledger
// of this process's own status writes that the cache has not shown yet (status.ts).

import type { KubeClient } from './kube/client.ts';
import {
  type IndexFunction,
  Informer,
  type InformerFailure,
  type InformerHandlers,
  type RestartReason,
} from './kube/informer.ts';
import type { KubeObject, Resource } from './kube/resources.ts';
import { StatusLedger, type StatusObject } from './status.ts';

export interface InformerSetOptions {
  /** Empty: all namespaces. */
  readonly namespaces: readonly string[];
  readonly labelSelector?: string;
  readonly onRestart?: (reason: RestartReason) => void;
  readonly onError?: (error: unknown, failure: InformerFailure) => void;
}

export class InformerSet<T extends KubeObject> {
  readonly resource: Resource<T>;
  readonly statusLedger = new StatusLedger();
  readonly #informers: Informer<T>[];

  constructor(client: KubeClient, resource: Resource<T>, options: InformerSetOptions) {
    this.resource = resource;
    const scopes = options.namespaces.length > 0 ? options.namespaces : [undefined];
    this.#informers = scopes.map(
      (namespace) =>
        new Informer(client, resource, {
          ...(namespace ? { namespace } : {}),
          ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
          ...(options.onRestart ? { onRestart: options.onRestart } : {}),
          ...(options.onError ? { onError: options.onError } : {}),
          // Watches sleeping in their backoff resume as soon as the server answers again.
          availability: client.availability,
        }),
    );
    const ledger = this.statusLedger;
    this.on({
      add: (o) => ledger.observe(o as StatusObject),
      update: (_old, o) => ledger.observe(o as StatusObject),
      delete: (o) => ledger.forget(o.metadata.uid),
    });
  }

  start(): void {
    for (const informer of this.#informers) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return this.#informers.every((i) => i.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all(this.#informers.map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  on(handlers: InformerHandlers<T>): void {
    for (const informer of this.#informers) informer.on(handlers);
  }

  get(namespace: string, name: string): T | undefined {
    for (const informer of this.#informers) {
      const found = informer.get(namespace, name);
      if (found) return found;
    }
    return undefined;
  }

  list(): T[] {
    return this.#informers.flatMap((i) => i.list());
  }

  addIndex(name: string, fn: IndexFunction<T>): void {
    for (const informer of this.#informers) informer.addIndex(name, fn);
  }

  byIndex(name: string, value: string): T[] {
    return this.#informers.flatMap((i) => i.byIndex(name, value));
  }
}
