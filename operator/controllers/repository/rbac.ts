import type { RbacDeclaration } from '../../runtime/rbac.ts';

export const REPOSITORY_RBAC: RbacDeclaration = {
  cluster: [
    { apiGroups: ['imanage.operator.dev'], resources: ['workspacerepositories'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['imanage.operator.dev'], resources: ['workspacerepositories/status'], verbs: ['get', 'update', 'patch'] },
    { apiGroups: ['imanage.operator.dev'], resources: ['imanageconnections'], verbs: ['get', 'list', 'watch'] },
  ],
  ownNamespace: [],
};
