// The cluster's service ranges, found from the cluster itself, so that the probes' SSRF guard
// refuses ClusterIPs without anyone passing --service-cidr (README, "Which addresses probes may
// reach").
//
// Two sources, best first:
// 1. ServiceCIDR objects (networking.k8s.io/v1, GA in Kubernetes 1.33): the exact ranges, including
//    ranges added while the cluster runs. Cluster-scoped and harmless to read: `list` only.
// 2. Without that API: the `kubernetes` Service's ClusterIP, which the API server always takes
//    from the first address of its primary range. In a pod it is $KUBERNETES_SERVICE_HOST (no
//    RBAC needed); outside one, the Service is read if the credentials allow. One address does
//    not give the prefix, so the guard blocks the largest range that address can be the first
//    of: the range starts one address lower, at a boundary of its own size, and the API server
//    refuses service ranges wider than /12 (IPv4) or /108 (IPv6). For kubeadm's 10.96.0.1 that
//    is exactly 10.96.0.0/12; elsewhere it may be wider than the real range, never narrower.

import { isIP } from 'node:net';
import { formatIp, parseIp } from './network.ts';
import type { RbacDeclaration } from '../runtime/rbac.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { ForbiddenError, NotFoundError } from '../runtime/kube/errors.ts';
import type { KubeObject, Resource } from '../runtime/kube/resources.ts';

interface ServiceCidr extends KubeObject {
  spec?: { cidrs?: string[] };
}

interface Service extends KubeObject {
  spec?: { clusterIP?: string; clusterIPs?: string[] };
}

const serviceCidrs: Resource<ServiceCidr> = {
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'servicecidrs',
  kind: 'ServiceCIDR',
  namespaced: false,
};
const services: Resource<Service> = { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true };

export const SERVICE_RANGES_RBAC: RbacDeclaration = {
  clusterScoped: [{ apiGroups: ['networking.k8s.io'], resources: ['servicecidrs'], verbs: ['list'] }],
  ownNamespace: [],
};

export interface DiscoveredRanges {
  readonly cidrs: readonly string[];
  /** Where they came from, for the start-up log line. */
  readonly source: 'ServiceCIDR objects' | 'the kubernetes Service' | 'nothing';
}

/** The largest service range whose first address (the kubernetes Service's) is `clusterIp`. */
export function widestRangeStartingBefore(clusterIp: string): string | undefined {
  const ip = parseIp(clusterIp);
  if (!ip || ip.value === 0n) return undefined;
  const width = ip.family === 4 ? 32 : 128;
  const minBits = ip.family === 4 ? 12 : 108;
  const start = ip.value - 1n;
  let zeros = 0;
  while (zeros < width - minBits && ((start >> BigInt(zeros)) & 1n) === 0n) zeros++;
  return `${formatIp({ family: ip.family, value: start })}/${width - zeros}`;
}

async function fromServiceCidrObjects(client: KubeClient): Promise<string[] | undefined> {
  try {
    const list = await client.list(serviceCidrs, {});
    const cidrs = list.items.flatMap((o) => o.spec?.cidrs ?? []);
    return cidrs.length > 0 ? cidrs : undefined;
  } catch (error) {
    // An older cluster (no such API) or a chart from before this rule: fall back, do not fail.
    if (error instanceof NotFoundError || error instanceof ForbiddenError) return undefined;
    throw error;
  }
}

async function kubernetesServiceIps(client: KubeClient, env: NodeJS.ProcessEnv): Promise<string[]> {
  const inPod = env['KUBERNETES_SERVICE_HOST'];
  if (inPod && isIP(inPod)) return [inPod];
  try {
    const service = await client.get(services, { namespace: 'default', name: 'kubernetes' });
    return service.spec?.clusterIPs ?? (service.spec?.clusterIP ? [service.spec.clusterIP] : []);
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof ForbiddenError) return [];
    throw error;
  }
}

export async function discoverServiceRanges(
  client: KubeClient,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DiscoveredRanges> {
  const exact = await fromServiceCidrObjects(client);
  if (exact) return { cidrs: exact, source: 'ServiceCIDR objects' };
  const inferred = (await kubernetesServiceIps(client, env)).flatMap((ip) => widestRangeStartingBefore(ip) ?? []);
  return inferred.length > 0 ? { cidrs: inferred, source: 'the kubernetes Service' } : { cidrs: [], source: 'nothing' };
}
