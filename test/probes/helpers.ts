// Shared material of the probe tests: the simulator started for one test file, objects that point
// at its hosts, and the waits that read what the operator concluded about them.
import { createServer } from 'node:net';
import { type RunningSimulator, type Scenario, startSimulator } from '../../simulator/index.ts';
import { getObject, waitFor, type KubeJson } from '../harness/operator.ts';

/** Probes every 10 s (the CEL minimum), with a short timeout, so that a test sees several. */
export const FAST_PROBES = { interval: '10s', timeout: '2s' } as const;
export const INTERVAL_MS = 10_000;
/** Long enough for a first probe on a loaded machine, and for a couple of probe intervals. */
export const STATUS_TIMEOUT_MS = 60_000;

/** The simulator of one test file: HTTPS only, its admin API in process. */
export function startFileSimulator(scenario: Scenario): Promise<RunningSimulator> {
  return startSimulator(scenario, { httpPort: false, adminPort: false });
}

/** `--resolve` entries sending each host's :443 to the simulator's one HTTPS port. */
export function resolveToSimulator(sim: RunningSimulator, hosts: readonly string[]): string[] {
  return hosts.map((h) => `${h}:443:127.0.0.1:${sim.httpsPort}`);
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const json = (doc: unknown): string => JSON.stringify(doc);
export const list = (...items: unknown[]): string => json({ apiVersion: 'v1', kind: 'List', items });

export function secret(name: string, stringData: Record<string, string>, type = 'Opaque'): object {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type, stringData };
}

/** The simulator's CA, for spec.caBundleSecretRef (key ca.crt). */
export function caSecret(name: string, sim: RunningSimulator): object {
  return secret(name, { 'ca.crt': sim.caPem });
}

export interface ConnectionOptions {
  readonly connectionType?: 'Cloud' | 'Hosted' | 'OnPremise';
  readonly customerId?: string;
  readonly clientSecretRef?: string;
  readonly caSecret?: string;
  readonly environments?: readonly { name: string; baseUrl: string }[];
  readonly requestedAt?: string;
  readonly probes?: { interval: string; timeout: string };
  readonly labels?: Record<string, string>;
  readonly extraSpec?: Record<string, unknown>;
}

export function connection(name: string, url: string, o: ConnectionOptions = {}): object {
  const spec: Record<string, unknown> = {
    connectionType: o.connectionType ?? 'OnPremise',
    url,
    ...(o.customerId ? { customerId: o.customerId } : {}),
    ...(o.clientSecretRef ? { clientSecretRef: { name: o.clientSecretRef } } : {}),
    ...(o.caSecret ? { caBundleSecretRef: { name: o.caSecret, key: 'ca.crt' } } : {}),
    ...(o.environments ? { environments: o.environments } : {}),
    ...(o.requestedAt ? { registration: { requestedAt: o.requestedAt } } : {}),
    probes: o.probes ?? FAST_PROBES,
    ...o.extraSpec,
  };
  return {
    apiVersion: 'imanage.operator.dev/v1alpha1',
    kind: 'IManageConnection',
    metadata: { name, ...(o.labels ? { labels: o.labels } : {}) },
    spec,
  };
}

export type Condition = NonNullable<NonNullable<KubeJson['status']>['conditions']>[number];

export function condition(object: KubeJson | undefined, type: string): Condition | undefined {
  return object?.status?.conditions?.find((c) => c.type === type);
}

export interface ServerStatus {
  certificateNotAfter?: string;
  checkedAt?: string;
}

export interface EnvironmentStatus {
  name: string;
  redirectUri: string;
  registration?: string;
  message?: string;
  checkedAt?: string;
}

export const serverOf = (o: KubeJson): ServerStatus | undefined => o.status?.['server'] as ServerStatus | undefined;
export const environmentsOf = (o: KubeJson): EnvironmentStatus[] => (o.status?.['environments'] as EnvironmentStatus[] | undefined) ?? [];

/**
 * Polls one object until `accept` holds for a status written for its current generation, and
 * returns it. `what` names the expectation in the timeout message.
 */
export function waitForObject(
  namespace: string, kind: string, name: string, what: string,
  accept: (object: KubeJson) => boolean, timeoutMs = STATUS_TIMEOUT_MS,
): Promise<KubeJson> {
  return waitFor(async () => {
    const object = await getObject(namespace, kind, name);
    if (!object || object.status?.observedGeneration !== object.metadata.generation) return false;
    return accept(object) && object;
  }, timeoutMs, 250, `${kind}/${name}: ${what}`);
}

/** Waits for condition `type` to have `status` and `reason`. */
export function waitForCondition(namespace: string, kind: string, name: string, type: string, status: string, reason: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<KubeJson> {
  return waitForObject(namespace, kind, name, `${type}=${status} ${reason}`, (o) => {
    const c = condition(o, type);
    return c?.status === status && c.reason === reason;
  }, timeoutMs);
}

/** Each value in every form a leak could take: as is, base64, and base64url. */
export function leakForms(value: string): string[] {
  const bytes = Buffer.from(value);
  return [value, bytes.toString('base64'), bytes.toString('base64url')];
}
