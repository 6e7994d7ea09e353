// Valid base objects and a JSON merge patch (RFC 7396), shared by the unit tests and by the
// tests that send the same inputs to the real API server.

import type { IManageConnection, WorkspaceRepository } from '../generated/types.ts';
import { API_VERSION } from '../schemas/index.ts';

export function baseConnection(name = 'acme'): IManageConnection {
  return {
    apiVersion: API_VERSION,
    kind: 'IManageConnection',
    metadata: { name },
    spec: {
      connectionType: 'Cloud',
      url: 'https://acme.cloudimanage.com',
      customerId: '100',
      library: 'ACTIVE_US',
      environments: [
        { name: 'production', baseUrl: 'https://acme.clioweb.com' },
        { name: 'uat', baseUrl: 'https://acme-uat.clioweb.com' },
      ],
    },
  };
}

export function baseRepository(name = 'templates'): WorkspaceRepository {
  return {
    apiVersion: API_VERSION,
    kind: 'WorkspaceRepository',
    metadata: { name },
    spec: {
      connectionRef: { name: 'acme' },
      area: 'DocumentTemplates',
      resolvers: [{ workType: '*', resolver: 'Clio Operate Document Templates', folder: 'Document Templates' }],
    },
  };
}

export function mergePatch<T>(target: T, patch: unknown): T {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch as T;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out as T;
}
