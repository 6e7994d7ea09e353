// The chart's RBAC, merged from the declarations beside the code that needs each rule, as a Helm
// template with two shapes (README, "Installing for some namespaces only"):
// - `watchNamespaces` empty: the operator watches every namespace, so the watched rules are one
//   ClusterRole. Its only Secret verb is `get`: it reads the Secrets connections name, never lists.
// - `watchNamespaces: [a, b]` (run with `--namespaces a,b`): the watched rules are a Role and a
//   RoleBinding in each of those namespaces, and no ClusterRole grants anything on Secrets. The
//   default application's Secret (`defaultClientSecret: ns/name`) gets a Role on that one Secret.
// Rules on cluster-scoped resources are a ClusterRole in both; the Lease a Role in the release's.

import { CONNECTION_RBAC, DEFAULT_CLIENT_SECRET_RULE } from '../controllers/connection/rbac.ts';
import { SERVICE_RANGES_RBAC } from '../imanage/service-ranges.ts';
import { REPOSITORY_RBAC } from '../controllers/repository/rbac.ts';
import { ENGINE_RBAC, type PolicyRule, type RbacDeclaration } from '../runtime/rbac.ts';
import { LINK_RBAC } from '../tokens/link-store.ts';
import { toYaml } from './yaml.ts';

const DECLARATIONS: readonly RbacDeclaration[] = [
  ENGINE_RBAC,
  CONNECTION_RBAC,
  SERVICE_RANGES_RBAC,
  REPOSITORY_RBAC,
  LINK_RBAC,
];

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
  return [...verbs]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, set]) => {
      const [group, resource] = key.split('\u0000') as [string, string];
      return { apiGroups: [group], resources: [resource], verbs: [...set].sort() };
    });
}

// `$` is the template's root, so the names work inside `range` too, where `.` is a namespace.
const NAME = '{{ $.Release.Name }}';
const NAMESPACE = '{{ $.Release.Namespace }}';
const WATCHED_NAMESPACE = '{{ . }}';
// Inside `with .Values.defaultClientSecret`, split as the operator's flag is: `ns/name`.
const DEFAULT_SECRET_NAMESPACE = '{{ index (splitList "/" .) 0 }}';
const DEFAULT_SECRET_NAME = '{{ index (splitList "/" .) 1 }}';
const HEADER = '# generated from the RBAC declarations in operator/ by `npm run generate` — do not edit\n';

type Scope = 'watched' | 'clusterScoped' | 'ownNamespace';

function rulesOf(scope: Scope): PolicyRule[] {
  return mergeRules(DECLARATIONS.flatMap((d) => d[scope] ?? []));
}

/** A Role or ClusterRole and its binding to the chart's ServiceAccount; none for no rules. */
function grant(kind: 'Role' | 'ClusterRole', name: string, rules: readonly PolicyRule[], namespace?: string): object[] {
  if (rules.length === 0) return [];
  const metadata = namespace === undefined ? { name } : { name, namespace };
  const subjects = [{ kind: 'ServiceAccount', name: NAME, namespace: NAMESPACE }];
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind, name };
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, rules },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: `${kind}Binding`, metadata, roleRef, subjects },
  ];
}

/** Each document after a `---`, so template directives can sit between documents. */
function documents(docs: readonly object[]): string {
  return docs.map((d) => `---\n${toYaml(d)}`).join('');
}

function defaultClientSecretGrant(): object[] {
  const rule = { ...DEFAULT_CLIENT_SECRET_RULE, resourceNames: [DEFAULT_SECRET_NAME] };
  return grant('Role', `${NAME}-default-client-secret`, [rule], DEFAULT_SECRET_NAMESPACE);
}

export function rbacManifest(): string {
  const serviceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, namespace: NAMESPACE } };
  return [
    HEADER,
    toYaml(serviceAccount),
    documents(grant('ClusterRole', `${NAME}-cluster-scoped`, rulesOf('clusterScoped'))),
    documents(grant('Role', `${NAME}-leader-election`, rulesOf('ownNamespace'), NAMESPACE)),
    '{{- if .Values.watchNamespaces }}\n{{- range .Values.watchNamespaces }}\n',
    documents(grant('Role', NAME, rulesOf('watched'), WATCHED_NAMESPACE)),
    '{{- end }}\n{{- with .Values.defaultClientSecret }}\n',
    documents(defaultClientSecretGrant()),
    '{{- end }}\n{{- else }}\n',
    documents(grant('ClusterRole', NAME, rulesOf('watched'))),
    '{{- end }}\n',
  ].join('');
}
