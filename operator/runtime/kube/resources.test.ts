import { describe, expect, it } from 'vitest';
import {
  apiVersionOf,
  configMaps,
  events,
  imanageConnections,
  leases,
  namespaces,
  resourcePath,
  ResourcePathError,
  secrets,
  workspaceRepositories,
  type PathParts,
  type Resource,
} from './resources.ts';

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
    [imanageConnections, { namespace: 'ns', name: 'work', subresource: 'status' }, '/apis/imanage.operator.dev/v1alpha1/namespaces/ns/imanageconnections/work/status'],
    [workspaceRepositories, {}, '/apis/imanage.operator.dev/v1alpha1/workspacerepositories'],
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
    [imanageConnections, 'imanage.operator.dev/v1alpha1'],
    [workspaceRepositories, 'imanage.operator.dev/v1alpha1'],
  ])('%o → %s', (resource, apiVersion) => {
    expect(apiVersionOf(resource)).toBe(apiVersion);
  });
});
