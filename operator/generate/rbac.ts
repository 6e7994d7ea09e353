// The chart's RBAC, merged from the declarations beside the code that needs each rule, as a Helm
// template with two shapes (README, "Installing for some namespaces only"):
// - `watchNamespaces` empty: the operator watches every namespace, so the watched rules are one
//   ClusterRole. On Secrets: `get` (the Secrets connections name, never listed) and `create` and
//   `update` (its token Secrets, which the admission policy below holds it to).
// - `watchNamespaces: [a, b]` (run with `--namespaces a,b`): the watched rules are a Role and a
//   RoleBinding in each of those namespaces, and no ClusterRole grants anything on Secrets. The
//   default application's Secret (`defaultClientSecret: ns/name`) gets a Role on that one Secret.
// Rules on cluster-scoped resources are a ClusterRole in both; the Lease a Role in the release's.
// Besides the operator's own grants (docs/install.md, "Who may do what"):
// - ClusterRoles aggregated into the built-in view, edit and admin roles, for the two kinds;
// - a ValidatingAdmissionPolicy narrowing the Secret writes RBAC must grant on every Secret of a
//   namespace to the operator's own Secrets (issue 18, finding 10);
// - a MutatingAdmissionPolicy adding the revoke-tokens finalizer at create (finalizer-policy.ts).
// Every object carries the chart's labels; names come from the chart's fullname helper, so the
// chart works as a subchart.

import { CONNECTION_RBAC, DEFAULT_CLIENT_SECRET_RULE } from '../controllers/connection/rbac.ts';
import { SERVICE_RANGES_RBAC } from '../imanage/service-ranges.ts';
import { REPOSITORY_RBAC } from '../controllers/repository/rbac.ts';
import { ENGINE_RBAC, type PolicyRule, type RbacDeclaration } from '../runtime/rbac.ts';
import { LINK_KEY_SECRET, LINK_RBAC } from '../tokens/link-store.ts';
import { imanageConnections, OPERATOR_KINDS } from '../api/kinds.ts';
import { TOKEN_SECRET_LABELS } from '../tokens/format.ts';
import { revokeFinalizerPolicy } from './finalizer-policy.ts';
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
const NAME = '@NAME@';
const SERVICE_ACCOUNT = '@SERVICE_ACCOUNT@';
const NAMESPACE = '{{ $.Release.Namespace }}';
const WATCHED_NAMESPACE = '{{ . }}';
// Inside `with .Values.defaultClientSecret`, split as the operator's flag is: `ns/name`.
const DEFAULT_SECRET_NAMESPACE = '{{ index (splitList "/" .) 0 }}';
const DEFAULT_SECRET_NAME = '{{ index (splitList "/" .) 1 }}';
const HEADER = '# generated from the RBAC declarations in operator/ by `npm run generate` — do not edit\n';

type Scope = 'watched' | 'clusterScoped' | 'ownNamespace';

// Helm actions hold double quotes, which js-yaml would escape inside a quoted scalar and Helm
// could then not parse: objects carry these markers, replaced after dumping.
const LABELS_MARKER = 'chart-labels.generate.invalid';
const MARKERS: Readonly<Record<string, string>> = {
  [NAME]: '{{ include "imanage-operator.fullname" $ }}',
  [SERVICE_ACCOUNT]: '{{ include "imanage-operator.serviceAccountName" $ }}',
};

/** The chart's labels and `extra`, in a metadata object. */
const labels = (extra: Record<string, string> = {}) => ({ [LABELS_MARKER]: '', ...extra });

/** toYaml, with the markers replaced by their Helm actions. */
function dumpTemplate(value: object): string {
  let text = toYaml(value).replace(
    new RegExp(`^( *)${LABELS_MARKER.replaceAll('.', '\\.')}: .*$`, 'gm'),
    (_line, indent: string) => `${indent}{{- include "imanage-operator.labels" $ | nindent ${indent.length} }}`,
  );
  for (const [marker, action] of Object.entries(MARKERS)) text = text.replaceAll(marker, action);
  return text;
}

function rulesOf(scope: Scope): PolicyRule[] {
  return mergeRules(DECLARATIONS.flatMap((d) => d[scope] ?? []));
}

/** A Role or ClusterRole and its binding to the chart's ServiceAccount; none for no rules. */
function grant(kind: 'Role' | 'ClusterRole', name: string, rules: readonly PolicyRule[], namespace?: string): object[] {
  if (rules.length === 0) return [];
  const metadata = namespace === undefined ? { name, labels: labels() } : { name, namespace, labels: labels() };
  const subjects = [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE }];
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind, name };
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, rules },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: `${kind}Binding`, metadata, roleRef, subjects },
  ];
}

/** Each document after a `---`, so template directives can sit between documents. */
function documents(docs: readonly object[]): string {
  return docs.map((d) => `---\n${dumpTemplate(d)}`).join('');
}

function defaultClientSecretGrant(): object[] {
  const rule = { ...DEFAULT_CLIENT_SECRET_RULE, resourceNames: [DEFAULT_SECRET_NAME] };
  return grant('Role', `${NAME}-default-client-secret`, [rule], DEFAULT_SECRET_NAMESPACE);
}

/** The ServiceAccount, unless the values name one made elsewhere. */
function serviceAccount(): string {
  const metadata = { name: SERVICE_ACCOUNT, namespace: NAMESPACE, labels: labels() };
  return [
    '{{- if .Values.serviceAccount.create }}\n',
    documents([{ apiVersion: 'v1', kind: 'ServiceAccount', metadata }]).replace(
      /^(metadata:\n(?:  .*\n)*)/m,
      '$1  {{- with .Values.serviceAccount.annotations }}\n  annotations:\n    {{- toYaml . | nindent 4 }}\n  {{- end }}\n',
    ),
    '{{- end }}\n',
  ].join('');
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * ClusterRoles that the built-in view, edit and admin roles aggregate: view reads the two kinds;
 * edit and admin also write them. Writing an IManageConnection lets its author have the operator
 * read the Secrets of the namespace, which edit may read already, so edit is the right bound.
 */
function aggregatedRoles(): object[] {
  const rule = (verbs: string[]) => ({
    apiGroups: [...new Set(OPERATOR_KINDS.map((k) => k.group))],
    resources: OPERATOR_KINDS.map((k) => k.plural),
    verbs,
  });
  const role = (suffix: string, aggregateTo: string[], verbs: string[]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: `${NAME}-${suffix}`,
      labels: labels(
        Object.fromEntries(aggregateTo.map((r) => [`rbac.authorization.k8s.io/aggregate-to-${r}`, 'true'])),
      ),
    },
    rules: [rule(verbs)],
  });
  return [role('view', ['view'], READ), role('edit', ['edit', 'admin'], [...READ, ...WRITE])];
}

/** A CEL test that the Secret `o` is a token Secret the operator made for a connection. */
function ownTokenSecret(o: string): string {
  const label = (key: string) => `${o}.metadata.labels['${key}']`;
  const has = (key: string) => `'${key}' in ${o}.metadata.labels`;
  const { group, kind } = imanageConnections;
  return [
    `has(${o}.metadata.labels)`,
    `${has(TOKEN_SECRET_LABELS.managedBy)} && ${label(TOKEN_SECRET_LABELS.managedBy)} == 'imanage-operator'`,
    `${has(TOKEN_SECRET_LABELS.component)} && ${label(TOKEN_SECRET_LABELS.component)} == 'oauth-tokens'`,
    `${has(TOKEN_SECRET_LABELS.connection)}`,
    `has(${o}.metadata.ownerReferences)`,
    `${o}.metadata.ownerReferences.exists(r, r.kind == '${kind}' && r.apiVersion.startsWith('${group}/') && ` +
      `has(r.controller) && r.controller && r.name == ${label(TOKEN_SECRET_LABELS.connection)})`,
  ].join(' && ');
}

/**
 * The annotation by which a Secret's owner lets one connection take it over as its token Secret
 * (docs/tokens.md); must equal ADOPT_BY_ANNOTATION in operator/tokens/store.ts.
 */
const ADOPT_BY = `${imanageConnections.group}/adopt-by`;

/** A CEL test that `o` has no controller and an annotation adopting it for the connection `object` names. */
function adoptable(o: string): string {
  const connection = `object.metadata.labels['${TOKEN_SECRET_LABELS.connection}']`;
  return [
    `has(${o}.metadata.annotations) && '${ADOPT_BY}' in ${o}.metadata.annotations`,
    `${o}.metadata.annotations['${ADOPT_BY}'] == ${connection}`,
    `(!has(${o}.metadata.ownerReferences) || !${o}.metadata.ownerReferences.exists(r, has(r.controller) && r.controller))`,
  ].join(' && ');
}

/**
 * RBAC grants create and update on every Secret of the watched namespaces; this policy lets the
 * operator's ServiceAccount write only token Secrets it labelled as its own and that an
 * IManageConnection controls (before an update too, unless the Secret's owner let that connection
 * adopt it), and the sign-in key in its namespace.
 */
function secretWritePolicy(): object[] {
  const name = `${NAME}-secret-writes`;
  const linkKey = `request.namespace == '${NAMESPACE}' && object.metadata.name == '${LINK_KEY_SECRET}'`;
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels: labels() },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['secrets'] },
        ],
      },
      matchConditions: [
        {
          name: 'the-operators-service-account',
          expression: `request.userInfo.username == 'system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}'`,
        },
      ],
      variables: [
        { name: 'ownAfter', expression: ownTokenSecret('object') },
        {
          name: 'ownBefore',
          expression: `request.operation == 'CREATE' || (${ownTokenSecret('oldObject')}) || (${adoptable('oldObject')})`,
        },
        { name: 'linkKey', expression: linkKey },
      ],
      validations: [
        {
          expression: 'variables.linkKey || (variables.ownAfter && variables.ownBefore)',
          reason: 'Forbidden',
          message:
            `the imanage-operator may write only its own Secrets: token Secrets labelled ` +
            `${TOKEN_SECRET_LABELS.managedBy}=imanage-operator, ${TOKEN_SECRET_LABELS.component}=oauth-tokens and ` +
            `${TOKEN_SECRET_LABELS.connection}=<connection>, controlled by that IManageConnection, and ` +
            `${LINK_KEY_SECRET} in its own namespace`,
        },
      ],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels: labels() },
    spec: { policyName: name, validationActions: ['Deny'] },
  };
  return [policy, binding];
}

export function rbacManifest(): string {
  return [
    HEADER,
    serviceAccount(),
    documents(grant('ClusterRole', `${NAME}-cluster-scoped`, rulesOf('clusterScoped'))),
    documents(grant('Role', `${NAME}-leader-election`, rulesOf('ownNamespace'), NAMESPACE)),
    '{{- if .Values.watchNamespaces }}\n{{- range .Values.watchNamespaces }}\n',
    documents(grant('Role', NAME, rulesOf('watched'), WATCHED_NAMESPACE)),
    '{{- end }}\n{{- with .Values.defaultClientSecret }}\n',
    documents(defaultClientSecretGrant()),
    '{{- end }}\n{{- else }}\n',
    documents(grant('ClusterRole', NAME, rulesOf('watched'))),
    '{{- end }}\n{{- if .Values.aggregatedRoles.enabled }}\n',
    documents(aggregatedRoles()),
    '{{- end }}\n{{- if .Values.secretWritePolicy.enabled }}\n',
    documents(secretWritePolicy()),
    '{{- end }}\n{{- if .Values.revokeFinalizerPolicy.enabled }}\n',
    documents(revokeFinalizerPolicy({ name: `${NAME}-revoke-finalizer`, labels: labels() })),
    '{{- end }}\n',
  ].join('');
}
