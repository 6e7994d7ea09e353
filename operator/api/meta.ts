// Kubernetes object metadata and the descriptor that addresses a resource: the vocabulary that
// operator/api (our kinds) and operator/runtime (the engine, which knows no kind) share. It lives
// here because api/ may import nothing from runtime/, while runtime/ may use this pure module.

/** The parts of metav1.ObjectMeta the operator reads and writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/**
 * All the REST client and the informer need to address a kind; no discovery round-trip. The type
 * parameter only carries the object type to the client's return values.
 */
export interface Resource<T extends KubeObject = KubeObject> {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Never set; lets `Resource<Secret>` carry `Secret` to the client's return types. */
  readonly __type?: T;
}

/** `apiVersion` as written in an object: `v1` or `group/version`. */
export function apiVersionOf(resource: Resource): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}
