import type { RbacDeclaration } from '../../runtime/rbac.ts';

export const CONNECTION_RBAC: RbacDeclaration = {
  cluster: [
    { apiGroups: ['imanage.operator.dev'], resources: ['imanageconnections'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['imanage.operator.dev'], resources: ['imanageconnections/status'], verbs: ['get', 'update', 'patch'] },
    // Referenced Secrets are read on demand, by name: no list or watch over every Secret.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  ],
  ownNamespace: [],
};
