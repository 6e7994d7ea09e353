// RBAC is declared next to the code that needs it; `npm run generate` builds the chart's RBAC
// from these declarations, and a test runs the operator with nothing more, cluster-wide and
// namespaced (test/rbac.test.ts).

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** Only these objects; set by the generator for objects named in the chart's values. */
  readonly resourceNames?: readonly string[];
}

export interface RbacDeclaration {
  /**
   * Rules on namespaced resources, needed in every watched namespace: one ClusterRole when the
   * operator watches all namespaces, a Role in each watched namespace when it watches a list
   * (the chart's `watchNamespaces`, the operator's `--namespaces`).
   */
  readonly watched?: readonly PolicyRule[];
  /** Rules on cluster-scoped resources: a ClusterRole in either install. */
  readonly clusterScoped?: readonly PolicyRule[];
  /** Rules needed only in the operator's own namespace (a Role). */
  readonly ownNamespace?: readonly PolicyRule[];
}

/** The engine: Events on transitions, and the leader-election Lease in its own namespace. */
export const ENGINE_RBAC: RbacDeclaration = {
  watched: [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] }],
  ownNamespace: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }],
};
