import { describe, expect, it } from 'vitest';
import {
  apiVersionOf,
  configMaps,
  events,
  leases,
  namespaces,
  resourcePath,
  ResourcePathError,
  secrets,
  type PathParts,
  type Resource,
} from './resources.ts';

/** A custom resource as the runtime sees one: any group, any kind. */
const widgets: Resource = {
  group: 'example.com',
  version: 'v1beta1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};
const clusterWidgets: Resource = { ...widgets, plural: 'clusterwidgets', kind: 'ClusterWidget', namespaced: false };

describe('resourcePath', () => {
  it.each<[Resource, PathParts, string]>([
    [secrets, { namespace: 'ns', name: 'token' }, '/api/v1/namespaces/ns/secrets/token'],
    [secrets, { namespace: 'ns' }, '/api/v1/namespaces/ns/secrets'],
    [secrets, {}, '/api/v1/secrets'],
    [configMaps, { namespace: 'ns', name: 'c' }, '/api/v1/namespaces/ns/configmaps/c'],
    [namespaces, { name: 'ns' }, '/api/v1/namespaces/ns'],
    [namespaces, { name: 'ns', subresource: 'status' }, '/api/v1/namespaces/ns/status'],
    [events, { namespace: 'ns' }, '/apis/events.k8s.io/v1/namespaces/ns/events'],
    [leases, { namespace: 'ns', name: 'leader' }, '/apis/coordination.k8s.io/v1/namespaces/ns/leases/leader'],
    [
      widgets,
      { namespace: 'ns', name: 'w', subresource: 'status' },
      '/apis/example.com/v1beta1/namespaces/ns/widgets/w/status',
    ],
    [widgets, {}, '/apis/example.com/v1beta1/widgets'],
    [clusterWidgets, { name: 'c' }, '/apis/example.com/v1beta1/clusterwidgets/c'],
    [secrets, { namespace: 'ns', name: '../../x?y=1' }, '/api/v1/namespaces/ns/secrets/..%2F..%2Fx%3Fy%3D1'],
  ])('%o %o → %s', (resource, parts, path) => {
    expect(resourcePath(resource, parts)).toBe(path);
  });

  it.each<[Resource, PathParts, string]>([
    [secrets, { name: 'x' }, "secrets is namespaced; 'x' needs a namespace"],
    [namespaces, { namespace: 'a', name: 'x' }, "namespaces is cluster-scoped; no namespace may be given (got 'a')"],
    [secrets, { namespace: 'ns', subresource: 'status' }, 'the status subresource of secrets needs a name'],
    [secrets, { namespace: 'ns', name: '' }, 'an empty name cannot address secrets'],
    [secrets, { namespace: '', name: 'x' }, 'an empty namespace cannot address secrets'],
  ])('%o %o is refused: %s', (resource, parts, message) => {
    expect(() => resourcePath(resource, parts)).toThrow(new ResourcePathError(message));
  });
});

describe('apiVersionOf', () => {
  it.each([
    [secrets, 'v1'],
    [events, 'events.k8s.io/v1'],
    [leases, 'coordination.k8s.io/v1'],
    [widgets, 'example.com/v1beta1'],
  ])('%o → %s', (resource, apiVersion) => {
    expect(apiVersionOf(resource)).toBe(apiVersion);
  });
});
