import { imanageConnections, workspaceRepositories } from '../../api/kinds.ts';
import type { RbacDeclaration } from '../../runtime/rbac.ts';

const { group, plural } = workspaceRepositories;

export const REPOSITORY_RBAC: RbacDeclaration = {
  watched: [
    { apiGroups: [group], resources: [plural], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [group], resources: [`${plural}/status`], verbs: ['get', 'update', 'patch'] },
    { apiGroups: [imanageConnections.group], resources: [imanageConnections.plural], verbs: ['get', 'list', 'watch'] },
    // The connection's CA bundle Secret (caBundleSecretRef), read by name for Work API calls (observe.ts).
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  ],
  ownNamespace: [],
};
