// Descriptors of the built-in resources the engine uses, and the paths built from descriptors.
// The descriptor type and object metadata come from operator/api/meta.ts; our own kinds'
// descriptors live in operator/api/kinds.ts, because the runtime knows no kind of ours.

import type { KubeObject, Resource } from '../../api/meta.ts';

export { apiVersionOf, type KubeObject, type ObjectMeta, type OwnerReference, type Resource } from '../../api/meta.ts';

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface Secret extends KubeObject {
  type?: string;
  /** Base64-encoded values. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/** events.k8s.io/v1 Event. */
export interface EventV1 extends KubeObject {
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  type: 'Normal' | 'Warning';
  note?: string;
  regarding?: { apiVersion?: string; kind?: string; namespace?: string; name?: string; uid?: string };
  series?: { count: number; lastObservedTime: string };
}

export const configMaps: Resource<ConfigMap> = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};
export const secrets: Resource<Secret> = {
  group: '',
  version: 'v1',
  plural: 'secrets',
  kind: 'Secret',
  namespaced: true,
};
export const namespaces: Resource = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};
export const events: Resource<EventV1> = {
  group: 'events.k8s.io',
  version: 'v1',
  plural: 'events',
  kind: 'Event',
  namespaced: true,
};
export const leases: Resource<Lease> = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
};
/** Thrown when a namespaced resource is addressed without a namespace or vice versa. */
export class ResourcePathError extends Error {
  override name = 'ResourcePathError';
}

export interface PathParts {
  /** Required for namespaced resources, except for a list or watch across all namespaces. */
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: 'status';
}

/**
 * `/api/v1/namespaces/ns/secrets/name`, `/apis/group/version/plural`, … Each segment is
 * URI-encoded, so a name can never climb out of its collection.
 */
export function resourcePath(resource: Resource, parts: PathParts = {}): string {
  const { namespace, name, subresource } = parts;
  if (name === '' || namespace === '') {
    throw new ResourcePathError(`an empty ${name === '' ? 'name' : 'namespace'} cannot address ${resource.plural}`);
  }
  if (!resource.namespaced && namespace !== undefined) {
    throw new ResourcePathError(`${resource.plural} is cluster-scoped; no namespace may be given (got '${namespace}')`);
  }
  if (resource.namespaced && name !== undefined && namespace === undefined) {
    throw new ResourcePathError(`${resource.plural} is namespaced; '${name}' needs a namespace`);
  }
  if (subresource !== undefined && name === undefined) {
    throw new ResourcePathError(`the ${subresource} subresource of ${resource.plural} needs a name`);
  }
  const segments = [resource.group ? `/apis/${resource.group}` : '/api', resource.version];
  if (namespace !== undefined) segments.push('namespaces', encodeURIComponent(namespace));
  segments.push(resource.plural);
  if (name !== undefined) segments.push(encodeURIComponent(name));
  if (subresource !== undefined) segments.push(subresource);
  return segments.join('/');
}
