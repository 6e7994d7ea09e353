import { imanageConnections } from '../../api/kinds.ts';
import type { RbacDeclaration } from '../../runtime/rbac.ts';

const { group, plural } = imanageConnections;

export const CONNECTION_RBAC: RbacDeclaration = {
  cluster: [
    { apiGroups: [group], resources: [plural], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [group], resources: [`${plural}/status`], verbs: ['get', 'update', 'patch'] },
    // Referenced Secrets are read on demand, by name: no list or watch over every Secret.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  ],
  ownNamespace: [],
};
