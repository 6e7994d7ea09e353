import { imanageConnections } from '../../api/kinds.ts';
import type { PolicyRule, RbacDeclaration } from '../../runtime/rbac.ts';

const { group, plural } = imanageConnections;

export const CONNECTION_RBAC: RbacDeclaration = {
  watched: [
    { apiGroups: [group], resources: [plural], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [group], resources: [`${plural}/status`], verbs: ['get', 'update', 'patch'] },
    // Referenced Secrets are read on demand, by name: `get` only, never list or watch, so the
    // operator learns no Secret it was not pointed at. A namespaced install scopes even that.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    // The token Secret: created and replaced (with its resourceVersion) by name; still no list or watch.
    { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update'] },
    // The revoke-tokens finalizer, the linked-at annotation, and owner references that block deletion.
    { apiGroups: [group], resources: [plural], verbs: ['patch'] },
    { apiGroups: [group], resources: [`${plural}/finalizers`], verbs: ['update'] },
  ],
  ownNamespace: [],
};

/**
 * The default application's Secret (`--default-client-secret ns/name`, read by observe.ts). A
 * namespaced install may not `get` Secrets outside its namespaces, so the chart grants this rule
 * on that one Secret (its value `defaultClientSecret`).
 */
export const DEFAULT_CLIENT_SECRET_RULE: PolicyRule = { apiGroups: [''], resources: ['secrets'], verbs: ['get'] };
