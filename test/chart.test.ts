// The Helm chart with the real helm (v4, from tools/controlplane.sh) and a real API server: lint,
// render, server-side dry run, install and upgrade from the folder and from the packaged .tgz,
// values the schema refuses, and the CRDs' life with the release. There is no kubelet, so pods
// never run: the tests read the objects the API server holds. The operator's own parser reads the
// rendered arguments, so a flag the chart writes wrong fails here, not in a crash-looping pod.

import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dump, load, loadAll } from 'js-yaml';
import { readRunConfig, RUN_FLAGS } from '../operator/cli/run-flags.ts';
import { baseConnection } from '../operator/api/validation/fixtures.ts';
import { NODE_PROFILES } from '../bench/node-profiles.ts';
import { startControlPlane, type ControlPlane } from './harness/controlplane.ts';
import { run, runKubectl, type KubectlResult } from './harness/exec.ts';
import { useTestNamespace } from './harness/namespace.ts';
import { waitFor } from './harness/operator.ts';

const root = join(import.meta.dirname, '..');
const chart = join(root, 'charts', 'imanage-operator');
const ns = useTestNamespace('chart');
/** Flags for running outside a cluster or in tests; the chart sets none of them. */
const NOT_FOR_A_CLUSTER = [
  'kubeconfig',
  'context',
  'resolve',
  'allow-loopback-probes',
  'callback-tls-cert-file', // an Ingress terminates TLS in a cluster
  'callback-tls-key-file',
];
/** Every optional value set, so that every flag and optional object is rendered. */
const set = (...values: string[]): string[] => values.flatMap((value) => ['--set', value]);
const EVERY_VALUE = [
  ...set('watchNamespaces={team-a,team-b}', 'defaultClientSecret=team-a/app-default', 'maxReconcilesPerSecond=0.5'),
  ...set('imanageProbes.serviceCidrs={10.96.0.0/12}', 'imanageProbes.allowCidrs={10.20.0.0/16,fd00::/8}'),
  ...set(`image.digest=sha256:${'ab'.repeat(32)}`, 'callbackUrl=https://imanage-operator.example.com/oauth/callback'),
  ...['--set-string', 'labelSelector=shard in (a\\, b)'],
  ...set('egressProxy.httpsProxy=http://proxy.example.com:3128', 'egressProxy.noProxy={.svc,10.0.0.0/8}'),
  ...set('tokens.requireEncryption=true', 'nodeProfile=memory'),
];
/** The Prometheus Operator's kinds, as a cluster that has its CRDs serves them. */
const MONITORING_APIS = ['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule'];
const WITH_MONITORING_APIS = MONITORING_APIS.flatMap((api) => ['--api-versions', api]);
const WITH_MONITOR = [...set('serviceMonitor.enabled=true', 'prometheusRule.enabled=true'), ...WITH_MONITORING_APIS];
/** Every optional object besides the monitoring ones, the Gateway API's HTTPRoute too. */
const EVERY_OBJECT = [
  ...set('callback.ingress.enabled=true', 'callback.ingress.tlsSecretName=callback-tls', 'networkPolicy.enabled=true'),
  ...set('grafanaDashboard.enabled=true'),
  ...set('callback.httpRoute.enabled=true', 'callback.httpRoute.parentRefs[0].name=public'),
  ...['--api-versions', 'gateway.networking.k8s.io/v1/HTTPRoute'],
];
/** The name the chart gives a release's objects (its fullname helper). */
const fullname = (release: string) =>
  (release.includes('imanage-operator') ? release : `${release}-imanage-operator`).slice(0, 63).replace(/-+$/, '');

interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: object;
    readonly labels?: Record<string, string>;
  };
  readonly spec?: Record<string, any>;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'chart-test-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** helm against one API server, with its own config, cache and data folders (never ~/.config/helm). */
function helm(args: readonly string[], kubeconfig = inject('kubeconfigPath')): Promise<KubectlResult> {
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    KUBECACHEDIR: join(work, 'kube-cache'),
    HELM_CONFIG_HOME: join(work, 'config'),
    HELM_CACHE_HOME: join(work, 'cache'),
    HELM_DATA_HOME: join(work, 'data'),
  };
  return run(join(inject('binDir'), 'helm'), args, { env });
}

async function helmOk(args: readonly string[], kubeconfig?: string): Promise<string> {
  const result = await helm(args, kubeconfig);
  expect(result.code, `helm ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

async function render(values: readonly string[] = []): Promise<Manifest[]> {
  const out = await helmOk(['template', 'imanage-operator', chart, '--namespace', 'imanage-system', ...values]);
  return (loadAll(out) as (Manifest | null)[]).filter((d): d is Manifest => d !== null);
}

const only = (docs: readonly Manifest[], kind: string) => docs.filter((d) => d.kind === kind);

function operatorContainer(docs: readonly Manifest[]) {
  const [deployment] = only(docs, 'Deployment');
  return {
    deployment: deployment!,
    pod: deployment!.spec!['template'].spec,
    container: deployment!.spec!['template'].spec.containers[0],
  };
}

describe('the chart, rendered', () => {
  it.each([
    ['the defaults', []],
    // helm lint passes the cluster checks below (its `fail` only logs), so every object lints.
    ['every optional value', [...EVERY_VALUE, ...WITH_MONITOR, ...EVERY_OBJECT]],
  ])('passes helm lint --strict with %s', async (_name, values) => {
    const notForLint = (v: string, i: number, all: readonly string[]) =>
      v === '--api-versions' || all[i - 1] === '--api-versions';
    await helmOk(['lint', '--strict', chart, ...values.filter((v, i, all) => !notForLint(v, i, all))]);
  });

  it('renders the ServiceMonitor and PrometheusRule where the cluster serves them, and says why not elsewhere', async () => {
    const docs = await render([...EVERY_VALUE, ...WITH_MONITOR, ...EVERY_OBJECT]);
    expect(only(docs, 'ServiceMonitor')).toHaveLength(1);
    expect(only(docs, 'PrometheusRule')).toHaveLength(1);
    const refused = await helm(['template', 'x', chart, '--set', 'serviceMonitor.enabled=true']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'serviceMonitor.enabled=true: this cluster does not serve monitoring.coreos.com/v1/ServiceMonitor; ' +
        "install the Prometheus Operator's CRDs first, or set serviceMonitor.enabled=false",
    );
  });

  it('runs restricted: user 65532, read-only root, no escalation, no capabilities, RuntimeDefault', async () => {
    const { pod, container } = operatorContainer(await render());
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('runs two replicas that prefer different nodes, probed on /healthz and /readyz, with POD_NAME', async () => {
    const { deployment, pod, container } = operatorContainer(await render());
    expect(deployment.spec!['replicas']).toBe(2);
    const [term] = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(term.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(term.podAffinityTerm.labelSelector.matchLabels).toEqual(deployment.spec!['selector'].matchLabels);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(container.ports).toEqual([
      { name: 'health', containerPort: 8080, protocol: 'TCP' },
      { name: 'callback', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(container.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NODE_OPTIONS', value: '--max-semi-space-size=4 --max-old-space-size=96' },
    ]);
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '160Mi' }, limits: { memory: '256Mi' } });

    expect(pod.terminationGracePeriodSeconds).toBe(40); // --shutdown-grace 30s, plus 10
  });

  it('without a heap ceiling still replaces the image\'s NODE_OPTIONS, keeping its young-generation cap', async () => {
    // The image's NODE_OPTIONS carries a ceiling of 96 MiB: maxHeapMiB 0 must remove it, not inherit it.
    for (const none of ['maxHeapMiB=0', 'maxHeapMiB=null']) {
      const { container } = operatorContainer(await render(['--set', none]));
      expect(container.env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-semi-space-size=4' });
    }
  });

  it.each([
    [[], false],
    [['resources.limits.memory=128Mi'], false],
    [['resources.limits.memory=100Mi'], true],
    [['nodeProfile=throughput', 'resources.limits.memory=1Gi'], false],
    [['nodeProfile=memory', 'resources.limits.memory=120Mi'], false],
    [['nodeProfile=memory', 'resources.limits.memory=100Mi'], true],
  ])('the install notes warn of %j below the profile\'s measured floor: %s', async (values, warns) => {
    const install = ['install', 'notes', chart, '--dry-run=client', '--namespace', 'imanage-system'];
    const notes = await helmOk([...install, ...set(...values)]);
    expect(notes).toContain('NOTES:');
    expect(notes.includes('WARNING: nodeProfile=')).toBe(warns);
  });

  it('runs Node as nodeProfile says: the image\'s entrypoint for throughput, --optimize-for-size --no-opt and 1 MiB semi-spaces for memory, as the benches do', async () => {
    // The image's entrypoint, from its build script: node, its flags, the operator.
    const build = await readFile(join(root, 'tools', 'image', 'build.sh'), 'utf8');
    const entrypoint = JSON.parse(/--entrypoint '(\[[^\]]*\])'/.exec(build)![1]!) as string[];
    const nodeFlags = (container: { command?: string[]; env: { name: string; value?: string }[] }): string[] => {
      const command = container.command ?? entrypoint;
      const options = container.env.find((e) => e.name === 'NODE_OPTIONS')!.value!.split(' ');
      return [...command.filter((arg) => arg.startsWith('--')), ...options].sort();
    };

    const throughput = operatorContainer(await render()).container;
    expect(throughput.command).toBeUndefined();
    expect(nodeFlags(throughput)).toEqual([...NODE_PROFILES.throughput].sort());

    const memory = operatorContainer(await render(set('nodeProfile=memory'))).container;
    // The image's node and program, with the flags NODE_OPTIONS refuses between them.
    expect(memory.command!.filter((arg: string) => !arg.startsWith('--'))).toEqual(entrypoint);
    expect(nodeFlags(memory)).toEqual([...NODE_PROFILES.memory].sort());
    expect(memory.args[0]).toBe('run');

    const refused = await helm(['template', 'x', chart, ...set('nodeProfile=fast')]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/nodeProfile/);
  });

  it('sets every operator flag meant for a cluster from a value, and the operator accepts them', async () => {
    const { container } = operatorContainer(await render(EVERY_VALUE));
    const [command, ...args] = container.args as string[];
    expect(command).toBe('run');
    const given = new Set(args.map((a) => /^--([a-z-]+)=/.exec(a)?.[1]));
    const expected = Object.keys(RUN_FLAGS).filter((flag) => !NOT_FOR_A_CLUSTER.includes(flag));
    expect(expected.filter((flag) => !given.has(flag))).toEqual([]);
    const config = readRunConfig(args, {});
    expect(config).toMatchObject({
      namespaces: ['team-a', 'team-b'],
      labelSelector: 'shard in (a, b)',
      health: { port: 8080 },
      reconcilesPerSecond: 0.5,
      resyncLooksPerSecond: 100,
      leaderElect: true,
      leaderElectionNamespace: 'imanage-system',
      leaderElectionId: 'imanage-operator',
      shutdownGraceMs: 30_000,
      probes: {
        defaultClientSecret: { namespace: 'team-a', name: 'app-default' },
        serviceCidrs: ['10.96.0.0/12'],
        allowedCidrs: ['10.20.0.0/16', 'fd00::/8'],
        expiryWarningDays: 14,
      },
    });
    expect(container.image).toBe(`ghcr.io/imanage-operator/imanage-operator@sha256:${'ab'.repeat(32)}`);
  });

  it('grants and watches the same namespaces, from the one value watchNamespaces', async () => {
    const docs = await render(['--set', 'watchNamespaces={team-a,team-b}']);
    const watchRoles = only(docs, 'Role').filter((r) => r.metadata.name === 'imanage-operator');
    const { container } = operatorContainer(docs);
    expect(watchRoles.map((r) => r.metadata.namespace)).toEqual(['team-a', 'team-b']);
    expect(container.args).toContain('--namespaces=team-a,team-b');
    // The operator's only ClusterRole lists ServiceCIDRs; view and edit are the users' (aggregated).
    expect(only(docs, 'ClusterRole').map((r) => r.metadata.name)).toEqual([
      'imanage-operator-cluster-scoped',
      'imanage-operator-view',
      'imanage-operator-edit',
    ]);
    const bound = only(docs, 'ClusterRoleBinding').map((b) => (b as any).roleRef.name);
    expect(bound).toEqual(['imanage-operator-cluster-scoped']);
  });

  it('refuses two replicas without leader election, naming the values', async () => {
    const result = await helm(['template', 'x', chart, '--set', 'leaderElection.enabled=false']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('replicas: 2 replicas need leaderElection.enabled=true');
    await helmOk(['template', 'x', chart, '--set', 'leaderElection.enabled=false', '--set', 'replicas=1']);
  });

  it('renders a PDB, a metrics Service, and a ServiceMonitor only when enabled', async () => {
    const docs = await render();
    expect(only(docs, 'PodDisruptionBudget')[0]!.spec).toMatchObject({ maxUnavailable: 1 });
    const services = only(docs, 'Service');
    expect(services.map((s) => s.metadata.name)).toEqual(['imanage-operator-metrics']);
    expect(services[0]!.spec!['ports']).toEqual([
      { name: 'metrics', port: 8080, targetPort: 'health', protocol: 'TCP' },
    ]);
    expect(only(docs, 'ServiceMonitor')).toEqual([]);
    const [monitor] = only(
      await render([...WITH_MONITOR, '--set', 'serviceMonitor.labels.release=prom']),
      'ServiceMonitor',
    );
    expect(monitor!.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor!.spec!['endpoints']).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s', honorLabels: true },
    ]);
    expect(monitor!.spec!['selector'].matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'metrics' });
    expect(monitor!.metadata).toMatchObject({ labels: { release: 'prom' } });
  });

  it('gives the callback its own Service, Ingress and HTTPRoute for callbackUrl, apart from /metrics', async () => {
    const url = 'callbackUrl=https://imanage-operator.example.com/oauth/callback';
    const docs = await render(['--set', url, ...EVERY_OBJECT]);
    const services = only(docs, 'Service');
    expect(services.map((s) => [s.metadata.name, s.spec!['ports'].map((p: { name: string }) => p.name)])).toEqual([
      ['imanage-operator-metrics', ['metrics']],
      ['imanage-operator-callback', ['callback']],
    ]);
    const [ingress] = only(docs, 'Ingress');
    expect(ingress!.spec).toEqual({
      tls: [{ hosts: ['imanage-operator.example.com'], secretName: 'callback-tls' }],
      rules: [
        {
          host: 'imanage-operator.example.com',
          http: {
            paths: [
              {
                path: '/oauth/callback',
                pathType: 'Exact',
                backend: { service: { name: 'imanage-operator-callback', port: { name: 'callback' } } },
              },
            ],
          },
        },
      ],
    });
    const [route] = only(docs, 'HTTPRoute');
    expect(route!.spec).toMatchObject({
      parentRefs: [{ name: 'public' }],
      hostnames: ['imanage-operator.example.com'],
      rules: [{ matches: [{ path: { type: 'Exact', value: '/oauth/callback' } }] }],
    });
    const [policy] = only(docs, 'NetworkPolicy');
    const ports = policy!.spec!['ingress'].map((rule: { ports: { port: string }[] }) => rule.ports[0]!.port);
    expect(ports).toEqual(['health', 'callback']);
    // Without callbackUrl nothing listens there: no Service, and a route is refused.
    expect(only(await render(), 'Service').map((s) => s.metadata.name)).toEqual(['imanage-operator-metrics']);
    const refused = await helm(['template', 'x', chart, '--set', 'callback.ingress.enabled=true']);
    expect(refused.stderr).toContain('callback.ingress.enabled or callback.httpRoute.enabled: set callbackUrl');
  });

  it('puts the standard labels on every object it renders, RBAC and CRDs included', async () => {
    const docs = await render([...EVERY_VALUE, ...WITH_MONITOR, ...EVERY_OBJECT]);
    expect(new Set(docs.map((d) => d.kind))).toEqual(
      new Set([
        ...['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'CustomResourceDefinition'],
        ...['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'Deployment', 'PodDisruptionBudget'],
        ...['MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding'],
        ...['Service', 'Ingress', 'HTTPRoute', 'NetworkPolicy', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap'],
      ]),
    );
    for (const doc of docs) {
      expect(doc.metadata.labels, `${doc.kind} ${doc.metadata.name}`).toMatchObject({
        'app.kubernetes.io/name': 'imanage-operator',
        'app.kubernetes.io/instance': 'imanage-operator',
        'app.kubernetes.io/version': '0.1.0',
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': 'imanage-operator-0.1.0',
      });
    }
  });

  it('takes pod values: labels, annotations, env, args, scheduling, and a ServiceAccount of its own or yours', async () => {
    const values = [
      ...set('podLabels.team=platform', 'podAnnotations.note=yes', 'extraEnv[0].name=HTTPS_PROXY'),
      ...set('extraEnv[0].value=http://proxy.corp:3128', 'extraArgs={--log-level=debug}', 'nodeSelector.pool=ops'),
      ...set('tolerations[0].key=ops', 'tolerations[0].operator=Exists', 'priorityClassName=system-cluster-critical'),
      ...set('topologySpreadConstraints[0].maxSkew=1', 'topologySpreadConstraints[0].topologyKey=zone'),
      ...set('topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway', 'affinity.nodeAffinity.x=y'),
      ...set('serviceAccount.annotations.role=arn', 'nameOverride=imo', 'fullnameOverride=platform-imo'),
    ];
    const docs = await render(values);
    const { deployment, pod, container } = operatorContainer(docs);
    expect(deployment.metadata.name).toBe('platform-imo');
    expect(deployment.spec!['template'].metadata.labels).toMatchObject({
      team: 'platform',
      'app.kubernetes.io/name': 'imo',
    });
    expect(deployment.spec!['template'].metadata.annotations).toEqual({ note: 'yes' });
    expect(container.env).toContainEqual({ name: 'HTTPS_PROXY', value: 'http://proxy.corp:3128' });
    expect(container.args.at(-1)).toBe('--log-level=debug');
    expect(pod).toMatchObject({
      nodeSelector: { pool: 'ops' },
      tolerations: [{ key: 'ops', operator: 'Exists' }],
      priorityClassName: 'system-cluster-critical',
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }],
      affinity: { nodeAffinity: { x: 'y' } },
      serviceAccountName: 'platform-imo',
    });
    expect(only(docs, 'ServiceAccount')[0]!.metadata).toMatchObject({
      name: 'platform-imo',
      annotations: { role: 'arn' },
    });

    const yours = await render(set('serviceAccount.create=false', 'serviceAccount.name=made-by-you'));
    expect(only(yours, 'ServiceAccount')).toEqual([]);
    expect(operatorContainer(yours).pod.serviceAccountName).toBe('made-by-you');
    const subjects = only(yours, 'ClusterRoleBinding').flatMap((b) => (b as any).subjects.map((s: any) => s.name));
    expect(new Set(subjects)).toEqual(new Set(['made-by-you']));
    const unnamed = await helm(['template', 'x', chart, '--set', 'serviceAccount.create=false']);
    expect(unnamed.stderr).toContain('serviceAccount.name: name the ServiceAccount to run as');
  });

  it('runs one Deployment, Lease and label selector per shard', async () => {
    const shards = set(
      'shards[0].name=a',
      'shards[0].labelSelector=imanage.operator.dev/shard=a',
      'shards[1].name=b',
      'shards[1].labelSelector=imanage.operator.dev/shard=b',
    );
    const docs = await render(shards);
    const deployments = only(docs, 'Deployment');
    expect(deployments.map((d) => d.metadata.name)).toEqual(['imanage-operator-a', 'imanage-operator-b']);
    for (const [i, shard] of ['a', 'b'].entries()) {
      const spec = deployments[i]!.spec!;
      const args = spec['template'].spec.containers[0].args as string[];
      expect(args).toContain(`--label-selector=imanage.operator.dev/shard=${shard}`);
      expect(args).toContain(`--leader-election-id=imanage-operator-${shard}`);
      expect(readRunConfig(args.slice(1), {})).toMatchObject({ labelSelector: `imanage.operator.dev/shard=${shard}` });
      expect(spec['selector'].matchLabels).toMatchObject({ 'imanage.operator.dev/shard': shard });
      expect(spec['template'].metadata.labels).toMatchObject({ 'imanage.operator.dev/shard': shard });
    }
    expect(
      only(docs, 'PodDisruptionBudget').map((p) => p.spec!['selector'].matchLabels['imanage.operator.dev/shard']),
    ).toEqual(['a', 'b']);
    const both = await helm(['template', 'x', chart, ...shards, '--set', 'labelSelector=team=a']);
    expect(both.stderr).toContain('labelSelector and shards: set one');
  });

  it('renders the CRDs of crds/, kept unless crds.keep=false, and none for crds.enabled=false', async () => {
    const files = (await readdir(join(root, 'crds'))).filter((f) => f.endsWith('.yaml')).sort();
    const fromCrds = await Promise.all(files.map(async (f) => load(await readFile(join(root, 'crds', f), 'utf8'))));
    const kept = only(await render(), 'CustomResourceDefinition');
    expect(kept.map((c) => c.metadata.annotations)).toEqual(files.map(() => ({ 'helm.sh/resource-policy': 'keep' })));
    const notKept = only(await render(['--set', 'crds.keep=false']), 'CustomResourceDefinition');
    const withoutLabels = (crd: any) => ({ ...crd, metadata: { ...crd.metadata, labels: undefined } });
    expect(notKept.map(withoutLabels)).toEqual(fromCrds.map(withoutLabels));
    expect(only(await render(['--set', 'crds.enabled=false']), 'CustomResourceDefinition')).toEqual([]);
  });

  it('renders the revoke-finalizer policy of crds/admission/, named after the release, and none when disabled', async () => {
    const plain = (loadAll(await readFile(join(root, 'crds/admission/revoke-finalizer.yaml'), 'utf8')) as (Manifest | null)[])
      .filter((d): d is Manifest => d !== null);
    const docs = await render();
    const rendered = [...only(docs, 'MutatingAdmissionPolicy'), ...only(docs, 'MutatingAdmissionPolicyBinding')];
    expect(rendered.map((d) => d.metadata.name)).toEqual(['imanage-operator-revoke-finalizer', 'imanage-operator-revoke-finalizer']);
    expect(rendered[1]!.spec).toEqual({ policyName: 'imanage-operator-revoke-finalizer' });
    // One source: the chart's policy is the manifest the tests and benches install.
    expect(plain.map((d) => d.kind)).toEqual(['MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding']);
    expect(rendered[0]!.spec).toEqual(plain[0]!.spec);
    const off = await render(['--set', 'revokeFinalizerPolicy.enabled=false']);
    expect(off.filter((d) => d.kind.startsWith('MutatingAdmissionPolicy'))).toEqual([]);
  });

  it.each([
    ['logLevel=loud', "at '/logLevel': value must be one of"],
    ['concurrency=0', "at '/concurrency': minimum: got 0, want 1"],
    ['watchNamespaces={Team_A}', "at '/watchNamespaces/0': 'Team_A' does not match pattern"],
    ['defaultClientSecret=no-slash', "at '/defaultClientSecret': 'no-slash' does not match pattern"],
    ['imanageProbes.allowCidrs={10.20.0.0}', "at '/imanageProbes/allowCidrs/0'"],
    ['resyncPeriod=ten minutes', "at '/resyncPeriod'"],
    ['resyncLooksPerSecond=-1', "at '/resyncLooksPerSecond'"],
    ['crds.keep=maybe', "at '/crds/keep': got string, want boolean"],
    ['concurency=8', "at '': additional properties 'concurency' not allowed"],
    ['shards[0].name=A_1', "at '/shards/0'"],
  ])('helm install refuses %s, naming the field', async (value, message) => {
    const result = await helm(['install', 'refused', chart, '--namespace', ns.name, '--set', value]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
    expect((await ns.kubectl(['get', 'deployment', '-o', 'name'])).stdout).toBe('');
  });
});

/** kubectl as admin against the shared API server, without a default namespace. */
const kubectl = (args: readonly string[], input?: string) =>
  runKubectl(inject('binDir'), inject('kubeconfigPath'), args, input === undefined ? {} : { input });

async function getJson(args: readonly string[]): Promise<any> {
  const result = await kubectl(['get', ...args, '-o', 'json', '--show-managed-fields']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** The managers that applied an object server-side (Helm 4 applies every template so). */
const appliers = (object: { metadata: { managedFields: { manager: string; operation: string }[] } }) =>
  object.metadata.managedFields.filter((f) => f.operation === 'Apply').map((f) => f.manager);

describe('on the shared API server, whose CRDs are installed apart (crds.enabled=false)', () => {
  it('passes a server-side dry run of everything it renders, CRDs included', async () => {
    // No ServiceMonitor: this API server has no monitoring.coreos.com CRDs.
    for (const values of [[], EVERY_VALUE]) {
      const docs = (await render(values)).map((d) => ({
        ...d,
        metadata: { ...d.metadata, ...(d.metadata.namespace ? { namespace: ns.name } : {}) },
      }));
      const applied = await kubectl(['apply', '--dry-run=server', '-f', '-'], docs.map((d) => dump(d)).join('---\n'));
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toContain('deployment.apps/imanage-operator created (server dry run)');
      expect(applied.stdout).toContain(
        'customresourcedefinition.apiextensions.k8s.io/imanageconnections.imanage.operator.dev',
      );
    }
  });

  it.each([
    ['the chart folder', 'dir'],
    ['the packaged .tgz', 'tgz'],
  ])('installs and upgrades from %s', async (_name, source) => {
    const from = source === 'dir' ? chart : await packaged();
    const release = `${source}-${ns.name}`;
    const name = fullname(release);
    const install = ['install', release, from, '--namespace', ns.name, '--set', 'crds.enabled=false'];
    const notes = await helmOk(install);
    expect(notes).toContain(`kubectl -n ${ns.name} rollout status deployment/${name}`);
    expect(notes).toContain('Next:');
    const deployment = await getJson(['deployment', name, '-n', ns.name]);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.containers[0].args).toContain('--concurrency=16');
    expect(appliers(deployment)).toEqual(['helm']);
    await getJson([
      'serviceaccount,service,poddisruptionbudget,role,rolebinding',
      '-n',
      ns.name,
      '-l',
      `app.kubernetes.io/instance=${release}`,
    ]);
    expect((await getJson(['clusterrole', name])).rules.length).toBeGreaterThan(0);

    await helmOk([
      'upgrade',
      release,
      from,
      '--namespace',
      ns.name,
      '--reuse-values',
      '--set',
      'concurrency=32',
      '--set',
      'replicas=3',
    ]);
    const upgraded = await getJson(['deployment', name, '-n', ns.name]);
    expect(upgraded.spec.replicas).toBe(3);
    expect(upgraded.spec.template.spec.containers[0].args).toContain('--concurrency=32');
    expect(JSON.parse(await helmOk(['status', release, '-n', ns.name, '-o', 'json'])).version).toBe(2);

    await helmOk(['uninstall', release, '--namespace', ns.name]);
    expect((await kubectl(['get', 'deployment', name, '-n', ns.name])).code).not.toBe(0);
    expect((await kubectl(['get', 'clusterrole', name])).code).not.toBe(0);
    expect((await kubectl(['get', 'crd', 'imanageconnections.imanage.operator.dev'])).code).toBe(0);
  });

  it.each([
    ['serviceMonitor.enabled', 'monitoring.coreos.com/v1/ServiceMonitor'],
    ['prometheusRule.enabled', 'monitoring.coreos.com/v1/PrometheusRule'],
    ['callback.httpRoute.enabled', 'gateway.networking.k8s.io/v1/HTTPRoute'],
  ])(
    'refuses %s on a cluster without its CRD, saying what to install, before creating anything',
    async (value, api) => {
      const release = `mon-${ns.name}`.slice(0, 40);
      const values = ['--set', `${value}=true`, '--set', 'crds.enabled=false'];
      const extra = value.startsWith('callback')
        ? set('callbackUrl=https://cb.example.com/cb', 'callback.httpRoute.parentRefs[0].name=gw')
        : [];
      const result = await helm(['install', release, chart, '--namespace', ns.name, ...values, ...extra]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`${value}=true: this cluster does not serve ${api}`);
      expect(result.stderr).not.toMatch(/no matches for kind/);
      expect((await kubectl(['get', 'deployment', fullname(release), '-n', ns.name])).code).not.toBe(0);
    },
  );
});

// A parent chart (test/fixtures/parent-chart) with the chart as a dependency, global values and a
// condition, copied with the chart into a work folder as `helm dependency build` would unpack it.
describe('as a subchart of a parent chart with global values', () => {
  let parent: string;
  beforeAll(async () => {
    parent = join(work, 'parent-chart');
    await cp(join(root, 'test', 'fixtures', 'parent-chart'), parent, { recursive: true });
    await cp(chart, join(parent, 'charts', 'imanage-operator'), { recursive: true });
  });

  it('passes helm lint --strict and renders with the parent values', async () => {
    await helmOk(['lint', '--strict', parent]);
    const out = await helmOk(['template', 'platform', parent, '--namespace', 'platform-system']);
    const docs = (loadAll(out) as (Manifest | null)[]).filter((d): d is Manifest => d !== null);
    const deployment = only(docs, 'Deployment')[0]!;
    expect(deployment.metadata.name).toBe('platform-imanage-operator');
    expect(deployment.spec!['template'].spec.containers[0].args).toContain('--log-level=debug');
    expect(only(docs, 'ConfigMap').map((c) => c.metadata.name)).toContain('platform-settings');
  });

  it('installs on the API server, every object of the subchart named and labelled apart from the parent', async () => {
    const release = `parent-${ns.name}`.slice(0, 40);
    await helmOk(['install', release, parent, '--namespace', ns.name]);
    const deployment = await getJson(['deployment', `${release}-imanage-operator`, '-n', ns.name]);
    expect(deployment.metadata.labels['helm.sh/chart']).toBe('imanage-operator-0.1.0');
    expect((await getJson(['configmap', `${release}-settings`, '-n', ns.name])).data).toEqual({ region: 'eu' });
    await helmOk(['uninstall', release, '--namespace', ns.name]);
  });
});

/** `helm package` into the work folder, once. */
let packagedChart: Promise<string> | undefined;
function packaged(): Promise<string> {
  packagedChart ??= (async () => {
    const out = await helmOk(['package', chart, '--destination', work]);
    expect(out).toMatch(/Successfully packaged chart/);
    return join(work, 'imanage-operator-0.1.0.tgz');
  })();
  return packagedChart;
}

// Installing and removing CRDs would pull them from under every other test file, so these run on
// a control plane of their own.
describe('the CRDs with the release, on a private API server', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
    expect((await cp.kubectl(['create', 'namespace', 'imanage-system'])).code).toBe(0);
  });
  afterAll(() => cp?.stop());
  const crdNames = ['imanageconnections.imanage.operator.dev', 'workspacerepositories.imanage.operator.dev'];

  it('installs them server-side, and helm uninstall keeps them and every connection', async () => {
    await helmOk(['install', 'keeper', await packaged(), '-n', 'imanage-system'], cp.kubeconfigPath);
    const established = await cp.kubectl([
      'wait',
      '--for=condition=established',
      '--timeout=60s',
      ...crdNames.map((n) => `crd/${n}`),
    ]);
    expect(established.code, established.stderr).toBe(0);
    const crd = JSON.parse(
      (await cp.kubectl(['get', 'crd', crdNames[0]!, '-o', 'json', '--show-managed-fields'])).stdout,
    );
    expect(appliers(crd)).toEqual(['helm']);
    // The release's admission policy (the revoke finalizer) needs the new kind's schema, which the
    // API server publishes a little after `established`: until then a create is ServiceUnavailable.
    const create = () => cp.kubectl(['apply', '-n', 'default', '-f', '-'], { input: JSON.stringify(baseConnection('survivor')) });
    const created = await waitFor(async () => ((await create()).code === 0 ? 'created' : undefined), 60_000, 500, 'the survivor created');
    expect(created).toBe('created');
    const finalizers = await cp.kubectl(['get', 'imanageconnection', 'survivor', '-n', 'default', '-o', 'jsonpath={.metadata.finalizers}']);
    expect(finalizers.stdout).toContain('revoke-tokens');

    const uninstalled = await helmOk(['uninstall', 'keeper', '-n', 'imanage-system'], cp.kubeconfigPath);
    expect(uninstalled).toContain('These resources were kept due to the resource policy');
    expect((await cp.kubectl(['get', 'crd', ...crdNames])).code).toBe(0);
    expect((await cp.kubectl(['get', 'imanageconnection', 'survivor', '-n', 'default'])).code).toBe(0);
    expect((await cp.kubectl(['get', 'deployment', 'keeper', '-n', 'imanage-system'])).code).not.toBe(0);
  });

  it('takes CRDs another release owns only with --take-ownership; crds.keep=false removes them', async () => {
    const install = ['install', 'remover', chart, '-n', 'imanage-system', '--set', 'crds.keep=false'];
    const refused = await helm(install, cp.kubeconfigPath);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /exists and cannot be imported into the current release: invalid ownership metadata/,
    );
    await helmOk([...install, '--take-ownership'], cp.kubeconfigPath);
    const annotations = JSON.parse((await cp.kubectl(['get', 'crd', crdNames[0]!, '-o', 'json'])).stdout).metadata
      .annotations;
    expect(annotations['helm.sh/resource-policy']).toBeUndefined();

    await helmOk(['uninstall', 'remover', '-n', 'imanage-system'], cp.kubeconfigPath);
    // Deleting a CRD first deletes every object of its kind (the survivor of the test above). The
    // survivor carries the revoke-tokens finalizer, which the chart's admission policy added at
    // create and the operator drops on deletion; no operator runs here, so the test drops it.
    const survivor = ['imanageconnection', 'survivor', '-n', 'default'];
    await waitFor(async () => (await cp.kubectl(['get', ...survivor, '-o', 'jsonpath={.metadata.deletionTimestamp}'])).stdout);
    const released = await cp.kubectl(['patch', ...survivor, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    expect(released.code, released.stderr).toBe(0);
    const gone = await cp.kubectl(['wait', '--for=delete', '--timeout=60s', ...crdNames.map((n) => `crd/${n}`)]);
    expect(gone.code, gone.stderr).toBe(0);
    const left = await cp.kubectl(['get', 'crd', '-o', 'name']);
    expect(left.stdout).not.toMatch(/imanage\.operator\.dev/);
  });
});
