import { imanageConnections } from '../../api/kinds.ts';
import type { RbacDeclaration } from '../../runtime/rbac.ts';

const { group, plural } = imanageConnections;

export const CONNECTION_RBAC: RbacDeclaration = {
  watched: [
    { apiGroups: [group], resources: [plural], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [group], resources: [`${plural}/status`], verbs: ['get', 'update', 'patch'] },
    // Referenced Secrets are read on demand, by name: `get` only, never list or watch, so the
    // operator learns no Secret it was not pointed at. A namespaced install scopes even that.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  ],
  ownNamespace: [],
};
