// The chart's RBAC, merged from the declarations beside the code that needs each rule.

import { stringify } from 'yaml';
import { CONNECTION_RBAC } from '../controllers/connection/rbac.ts';
import { SERVICE_RANGES_RBAC } from '../controllers/connection/service-ranges.ts';
import { REPOSITORY_RBAC } from '../controllers/repository/rbac.ts';
import { ENGINE_RBAC, type PolicyRule, type RbacDeclaration } from '../runtime/rbac.ts';

const DECLARATIONS: readonly RbacDeclaration[] = [ENGINE_RBAC, CONNECTION_RBAC, SERVICE_RANGES_RBAC, REPOSITORY_RBAC];

/** One rule per (group, resource), verbs merged and sorted, so the output is stable. */
export function mergeRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const verbs = new Map<string, Set<string>>();
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const key = `${group}\u0000${resource}`;
        const set = verbs.get(key) ?? new Set<string>();
        rule.verbs.forEach((v) => set.add(v));
        verbs.set(key, set);
      }
    }
  }
  return [...verbs].sort(([a], [b]) => a.localeCompare(b)).map(([key, set]) => {
    const [group, resource] = key.split('\u0000') as [string, string];
    return { apiGroups: [group], resources: [resource], verbs: [...set].sort() };
  });
}

const NAME = '{{ .Release.Name }}';
const NAMESPACE = '{{ .Release.Namespace }}';

export function rbacManifest(): string {
  const subject = [{ kind: 'ServiceAccount', name: NAME, namespace: NAMESPACE }];
  const docs = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, namespace: NAMESPACE } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: NAME }, rules: mergeRules(DECLARATIONS.flatMap((d) => d.cluster)) },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: NAME }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME }, subjects: subject },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: `${NAME}-leader-election`, namespace: NAMESPACE }, rules: mergeRules(DECLARATIONS.flatMap((d) => d.ownNamespace)) },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `${NAME}-leader-election`, namespace: NAMESPACE }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NAME}-leader-election` }, subjects: subject },
  ];
  return '# generated from the RBAC declarations in operator/ by `npm run generate` — do not edit\n' + docs.map((d) => stringify(d)).join('---\n');
}
