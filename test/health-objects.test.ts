// The objects that the Argo CD health.lua tests and the kstatus tests read (tools/health) are
// taken from the real API server: each state is created, its status written through the status
// subresource as the operator writes it, read back, and compared with the committed file, so the
// testdata cannot drift from the CRDs' real shape (defaults, status schema, generation).
// `npx vitest run test/health-objects.test.ts -u` rewrites the files after a deliberate change.
//
// The statuses follow the condition contract of issue 13: Ready summarises; Reconciling=True while
// work is in progress or a failure is retried (reason ProgressingWithRetry, Ready=False); Stalled
// when a human must act (Ready=False); observedGeneration on the status and on each condition.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_SCHEMA } from 'js-yaml';
import type { IManageConnection, WorkspaceRepository } from '../operator/api/generated/types.ts';
import { baseConnection, baseRepository, mergePatch } from '../operator/api/validation/fixtures.ts';
import { toYaml } from '../operator/generate/yaml.ts';
import { KubectlError } from './harness/exec.ts';
import { useTestNamespace } from './harness/namespace.ts';

const root = join(import.meta.dirname, '..');
const ns = useTestNamespace('health');

/** Every condition and the deletion time read back carry this time, so the files stay stable. */
const AT = '2026-01-01T00:00:00Z';
/** The test namespace has a random name; the files name this one. */
const NAMESPACE = 'health';
const TEST_FINALIZER = 'imanage.operator.dev/health-test';

type Kind = 'IManageConnection' | 'WorkspaceRepository';
type ConditionStatus = 'True' | 'False' | 'Unknown';
type Condition = ReturnType<typeof condition>;

/** A step applied to the created object, in order. */
type Step =
  | { readonly spec: Record<string, unknown> }
  | { readonly status: { readonly observedGeneration: number; readonly conditions: readonly Condition[] } }
  | { readonly delete: true };

interface State {
  readonly kind: Kind;
  /** The file's name, without .yaml. */
  readonly state: string;
  /** Argo CD's testdata, or (terminating objects, which Argo CD never hands to a script) kstatus's only. */
  readonly kstatusOnly?: boolean;
  readonly steps: readonly Step[];
}

function condition(type: string, status: ConditionStatus, reason: string, message: string, generation: number) {
  return { type, status, reason, message, lastTransitionTime: AT, observedGeneration: generation };
}

const ready = (generation: number, reason: string, message: string): Condition[] =>
  [condition('Ready', 'True', reason, message, generation)];
const reconciling = (generation: number, reason: string, message: string): Condition[] => [
  condition('Reconciling', 'True', reason, message, generation),
  condition('Ready', 'Unknown', reason, message, generation),
];
/** A failure the operator retries: Ready=False with its reason, Reconciling=True ProgressingWithRetry. */
const retrying = (generation: number, reason: string, message: string): Condition[] => [
  condition('Reconciling', 'True', 'ProgressingWithRetry', message, generation),
  condition('Ready', 'False', reason, message, generation),
];
const stalled = (generation: number, reason: string, message: string): Condition[] => [
  condition('Stalled', 'True', reason, message, generation),
  condition('Ready', 'False', reason, message, generation),
];
const SUSPENDED = condition('Suspended', 'True', 'Suspended',
  'spec.suspend is true: the operator leaves this object alone; set it to false to resume', 2);

const status = (observedGeneration: number, conditions: readonly Condition[]): Step =>
  ({ status: { observedGeneration, conditions } });

const CONNECTED = 'https://acme.cloudimanage.com is reachable and all 2 redirect URIs are registered.';
const UNREACHABLE = 'cannot connect to acme.cloudimanage.com:443; check the host and port in spec.url, firewalls, ' +
  "and that iManage's IP allow-list admits the cluster's egress address; retrying in 40s";
const PENDING = 'spec.environments: uat: Pending — iManage does not accept ' +
  'https://acme-uat.clioweb.com/externalServices/replyFrom yet; registration was requested 3 hours ago ' +
  'and takes up to 48 hours';
const NO_CERTIFICATE = "spec.tokens.encryption.certificateSecretRef.name: Secret 'acme-tokens-cert' " +
  '(token encryption certificate) does not exist; create it with keys tls.crt, tls.key';
const CONFIGURED = "1 resolver parsed; connection 'acme' is Ready.";
const WAITING = "waiting for IManageConnection 'acme' to be reconciled";
const NO_CONNECTION = "spec.connectionRef.name: IManageConnection 'acme' does not exist in this namespace; " +
  'create it or correct the name';

/** Ready at generation 1, then suspended: generation 2 is observed, Ready is kept as it was. */
const suspendedSteps = (readyAtOne: Condition[]): Step[] =>
  [status(1, readyAtOne), { spec: { suspend: true } }, status(2, [...readyAtOne, SUSPENDED])];

/** Ready, then deleted while a finalizer holds it. */
const terminating = (kind: Kind, readyAtOne: Condition[]): State =>
  ({ kind, state: 'terminating', kstatusOnly: true, steps: [status(1, readyAtOne), { delete: true }] });

function statesOf(kind: Kind, states: Record<string, readonly Step[]>): State[] {
  return Object.entries(states).map(([state, steps]) => ({ kind, state, steps }));
}

const connectionReady = ready(1, 'Connected', CONNECTED);
const newLibrary: Step = { spec: { library: 'ARCHIVE_US' } };
const connectionStates: State[] = [
  ...statesOf('IManageConnection', {
    'new': [],
    'healthy': [status(1, connectionReady)],
    'progressing-new-generation': [status(1, connectionReady), newLibrary],
    'progressing-reconciling': [newLibrary, status(2, reconciling(2, 'RegistrationPending', PENDING))],
    'progressing-retry': [status(1, retrying(1, 'ConnectFailed', UNREACHABLE))],
    'degraded-stalled': [status(1, stalled(1, 'SecretNotFound', NO_CERTIFICATE))],
    'degraded-not-ready': [status(1, [condition('Ready', 'False', 'ConnectFailed', UNREACHABLE, 1)])],
    'suspended': suspendedSteps(connectionReady),
  }),
  terminating('IManageConnection', connectionReady),
];

const repositoryReady = ready(1, 'Configured', CONFIGURED);
const renamedFolder = {
  resolvers: [{ workType: '*', resolver: 'Clio Operate Document Templates', folder: 'Templates' }],
};
const repositoryStates: State[] = [
  ...statesOf('WorkspaceRepository', {
    'new': [],
    'healthy': [status(1, repositoryReady)],
    'progressing-new-generation': [status(1, repositoryReady), { spec: renamedFolder }],
    'progressing-waiting': [status(1, reconciling(1, 'WaitingForConnection', WAITING))],
    'degraded-stalled': [status(1, stalled(1, 'ConnectionNotFound', NO_CONNECTION))],
    'suspended': suspendedSteps(repositoryReady),
  }),
  terminating('WorkspaceRepository', repositoryReady),
];

function testdataPath({ kind, state, kstatusOnly }: State): string {
  return kstatusOnly
    ? join(root, 'tools', 'health', 'testdata', kind, `${state}.yaml`)
    : join(root, 'resource_customizations', 'imanage.operator.dev', kind, 'testdata', `${state}.yaml`);
}

function initialObject({ kind, state, steps }: State): IManageConnection | WorkspaceRepository {
  const object = kind === 'IManageConnection' ? baseConnection(`acme-${state}`) : baseRepository(`templates-${state}`);
  const deleted = steps.some((step) => 'delete' in step);
  return deleted ? mergePatch(object, { metadata: { finalizers: [TEST_FINALIZER] } }) : object;
}

async function kubectl(args: readonly string[], input?: string): Promise<string> {
  const result = await ns.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) throw new KubectlError(args, result);
  return result.stdout;
}

async function apply(resource: string, step: Step): Promise<void> {
  if ('delete' in step) {
    await kubectl(['delete', resource, '--wait=false']);
    return;
  }
  const patch = ['patch', resource, '--type=merge', '-p', JSON.stringify(step)];
  await kubectl('status' in step ? [...patch, '--subresource=status'] : patch);
}

/** Creates the object, takes it through the steps, and returns it as the API server has it. */
async function readBack(state: State): Promise<Record<string, unknown>> {
  const object = initialObject(state);
  const resource = `${state.kind.toLowerCase()}/${object.metadata.name}`;
  await kubectl(['create', '-f', '-'], JSON.stringify(object));
  try {
    for (const step of state.steps) await apply(resource, step);
    return JSON.parse(await kubectl(['get', resource, '-o', 'json'])) as Record<string, unknown>;
  } finally {
    // Our finalizer would keep the object, and so the test namespace, for ever.
    if (object.metadata.finalizers) {
      await kubectl(['patch', resource, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: null } })]);
    }
  }
}

/** Drops what changes on every run, keeping what tools read: generation, deletion, finalizers. */
function withoutVolatileMetadata(object: Record<string, unknown>): Record<string, unknown> {
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, managedFields: _m, ...metadata } =
    object['metadata'] as Record<string, unknown>;
  metadata['namespace'] = NAMESPACE;
  if (metadata['deletionTimestamp'] !== undefined) metadata['deletionTimestamp'] = AT;
  return { ...object, metadata };
}

function render(state: State, object: Record<string, unknown>): string {
  const header = `# ${state.kind} '${state.state}' as the API server returned it, written by ` +
    'test/health-objects.test.ts\n# (vitest -u; do not edit): uid, resourceVersion, creationTimestamp, ' +
    'managedFields dropped; namespace and deletionTimestamp fixed.\n';
  return header + toYaml(object, { schema: CORE_SCHEMA });
}

describe('health testdata read from the API server', () => {
  it.each([...connectionStates, ...repositoryStates].map((s) => [`${s.kind} ${s.state}`, s] as const))(
    '%s matches the committed file', async (_title, state) => {
      const object = withoutVolatileMetadata(await readBack(state));
      await expect(render(state, object)).toMatchFileSnapshot(testdataPath(state));
    },
  );
});
