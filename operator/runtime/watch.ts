// The watches a controller needs, registered in one place: its own kind (every add, and every
// change that needs a reconcile), and optionally a kind its objects refer to by name, indexed so
// that a change there requeues exactly the objects that name it.

import type { ObjectRef } from './object-ref.ts';
import type { InformerSet } from './informer-set.ts';
import type { KubeObject, Resource } from './kube/resources.ts';
import type { Priority } from './queue.ts';

interface Meta {
  readonly metadata: {
    readonly namespace?: string;
    readonly name?: string;
    readonly generation?: number;
    readonly deletionTimestamp?: string;
    readonly labels?: Record<string, string>;
  };
  readonly status?: { readonly observedGeneration?: number };
}

export function refOf(object: Meta): ObjectRef {
  return { namespace: object.metadata.namespace ?? 'default', name: object.metadata.name ?? '' };
}

/**
 * Our own status writes come back as updates; they need no reconcile. A new generation (spec),
 * a deletion or a label change does.
 */
export function specChanged(old: Meta, current: Meta): boolean {
  return (
    old.metadata.generation !== current.metadata.generation ||
    old.metadata.deletionTimestamp !== current.metadata.deletionTimestamp ||
    JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(current.metadata.labels ?? {})
  );
}

/** A kind that a controller's objects name (in their own namespace), e.g. a connection. */
export interface Reference<T extends KubeObject, R extends KubeObject> {
  readonly resource: Resource<R>;
  /** The name of the referenced object, or undefined when the object names none. */
  readonly nameOf: (object: T) => string | undefined;
  /** Whether a change to a referenced object can change the outcome of the objects naming it. */
  readonly changed: (old: R, current: R) => boolean;
}

export interface Watched<T extends KubeObject> {
  /** The cache of the controller's own kind. */
  readonly own: InformerSet<T>;
  /** Watches a referenced kind; its adds, deletions and relevant changes requeue the dependents. */
  references<R extends KubeObject>(reference: Reference<T, R>): InformerSet<R>;
}

/** What `watchKind` needs of the engine. */
export interface WatchHost {
  informer<T extends KubeObject>(resource: Resource<T>): InformerSet<T>;
  enqueue(kind: string, ref: ObjectRef, priority?: Priority): void;
}

export function watchKind<T extends KubeObject>(host: WatchHost, kind: string, resource: Resource<T>): Watched<T> {
  const own = host.informer(resource);
  own.on({
    add: (o) => host.enqueue(kind, refOf(o)),
    // A new generation of an object reconciled before is a user's edit: it goes ahead of
    // first-time work, so that it is not stuck behind a large sync.
    update: (old, o) => specChanged(old, o) && host.enqueue(kind, refOf(o), reconciledBefore(old) ? 'edit' : 'change'),
  });
  return { own, references: (reference) => watchReference(host, kind, own, reference) };
}

function reconciledBefore(object: KubeObject): boolean {
  return (object as Meta).status?.observedGeneration !== undefined;
}

function watchReference<T extends KubeObject, R extends KubeObject>(
  host: WatchHost,
  kind: string,
  own: InformerSet<T>,
  reference: Reference<T, R>,
): InformerSet<R> {
  const index = `references:${reference.resource.group}/${reference.resource.plural}`;
  const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? 'default'}/${name}`;
  own.addIndex(index, (o) => {
    const name = reference.nameOf(o);
    return name ? keyOf(o.metadata.namespace, name) : undefined;
  });
  const requeueDependents = (r: R) => {
    for (const o of own.byIndex(index, keyOf(r.metadata.namespace, r.metadata.name ?? '')))
      host.enqueue(kind, refOf(o));
  };
  const referenced = host.informer(reference.resource);
  referenced.on({
    add: requeueDependents,
    update: (old, r) => reference.changed(old, r) && requeueDependents(r),
    delete: requeueDependents,
  });
  return referenced;
}
