// The MutatingAdmissionPolicy that adds the revoke-tokens finalizer to every IManageConnection at
// admission (issue 22, writes per object): the API server writes it with the create, so the
// operator's own finalizer PATCH (ensureFinalizer, kept as a fallback for clusters without the
// policy) finds it there and makes no write. Generated twice from these objects: into the chart's
// rbac.yaml (value `revokeFinalizerPolicy.enabled`) and as crds/admission/revoke-finalizer.yaml,
// which the tests, demo and benches apply with the CRDs, so what is measured is what users get.
//
// CREATE and UPDATE: an update adds it to connections made before the policy was installed, and
// back after someone removed it while the connection lives. Never once deletion began: the API
// server forbids new finalizers then, and removing it is how deletion finishes.

import { imanageConnections } from '../api/kinds.ts';
import { REVOKE_FINALIZER } from '../tokens/lifecycle.ts';
import { toYaml } from './yaml.ts';

const API_VERSION = 'admissionregistration.k8s.io/v1';
export const FINALIZER_POLICY_FILE = 'crds/admission/revoke-finalizer.yaml';
/**
 * The policy's name in the plain manifest. The chart names its own after the release
 * (`<fullname>-revoke-finalizer`), so a release on a cluster that has this one cannot collide with it.
 */
export const FINALIZER_POLICY_NAME = 'revoke-tokens.imanage.operator.dev';
const HEADER = '# generated from operator/generate/finalizer-policy.ts by `npm run generate` — do not edit\n';

/** The JSON patch: a new list when there is none, else the finalizer appended. */
const ADD_FINALIZER = [
  'has(object.metadata.finalizers)',
  `? [JSONPatch{op: 'add', path: '/metadata/finalizers/-', value: '${REVOKE_FINALIZER}'}]`,
  `: [JSONPatch{op: 'add', path: '/metadata/finalizers', value: ['${REVOKE_FINALIZER}']}]`,
].join(' ');

/** The policy and its binding, with `metadata` (name and labels) on both. */
export function revokeFinalizerPolicy(metadata: { readonly name: string; readonly [key: string]: unknown }): object[] {
  const { group, plural } = imanageConnections;
  const policy = {
    apiVersion: API_VERSION,
    kind: 'MutatingAdmissionPolicy',
    metadata,
    spec: {
      failurePolicy: 'Fail',
      reinvocationPolicy: 'IfNeeded',
      matchConstraints: {
        resourceRules: [{ apiGroups: [group], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: [plural] }],
      },
      matchConditions: [
        { name: 'not-being-deleted', expression: '!has(object.metadata.deletionTimestamp)' },
        {
          name: 'finalizer-missing',
          expression: `!has(object.metadata.finalizers) || !('${REVOKE_FINALIZER}' in object.metadata.finalizers)`,
        },
      ],
      mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: ADD_FINALIZER } }],
    },
  };
  const binding = {
    apiVersion: API_VERSION,
    kind: 'MutatingAdmissionPolicyBinding',
    metadata,
    spec: { policyName: metadata.name },
  };
  return [policy, binding];
}

/** crds/admission/revoke-finalizer.yaml, for `kubectl apply --server-side -f` beside the CRDs. */
export function finalizerPolicyManifest(): string {
  const labels = { 'app.kubernetes.io/name': 'imanage-operator' };
  return HEADER + revokeFinalizerPolicy({ name: FINALIZER_POLICY_NAME, labels }).map((o) => `---\n${toYaml(o)}`).join('');
}
