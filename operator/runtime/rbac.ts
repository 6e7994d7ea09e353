// RBAC is declared next to the code that needs it; `npm run generate` builds the chart's RBAC
// from these declarations, and a test runs the operator with nothing more.

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

export interface RbacDeclaration {
  /** Rules needed in every watched namespace (a ClusterRole). */
  readonly cluster: readonly PolicyRule[];
  /** Rules needed only in the operator's own namespace (a Role). */
  readonly ownNamespace: readonly PolicyRule[];
}

/** The engine: Events on transitions, and the leader-election Lease in its own namespace. */
export const ENGINE_RBAC: RbacDeclaration = {
  cluster: [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] }],
  ownNamespace: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }],
};
