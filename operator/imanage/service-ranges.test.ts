import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../runtime/kube/client.ts';
import { ForbiddenError, NotFoundError, TransientApiError } from '../runtime/kube/errors.ts';
import { discoverServiceRanges, widestRangeStartingBefore } from './service-ranges.ts';

describe('widestRangeStartingBefore', () => {
  it.each([
    ['10.96.0.1', '10.96.0.0/12'], // kubeadm: exactly its range
    ['10.0.0.1', '10.0.0.0/12'],
    ['10.43.0.1', '10.43.0.0/16'], // k3s
    ['10.100.0.1', '10.100.0.0/14'], // EKS uses 10.100.0.0/16: wider, never narrower
    ['172.20.0.1', '172.20.0.0/14'],
    ['fd00:10:96::1', 'fd00:10:96::/108'],
    ['0.0.0.0', undefined],
    ['not-an-ip', undefined],
  ])('%s → %s', (ip, range) => expect(widestRangeStartingBefore(ip)).toBe(range));
});

/** A client that answers the two reads discovery makes, or fails them as told. */
function fakeClient(answers: {
  serviceCidrs?: string[][] | Error;
  kubernetesService?: { clusterIP?: string; clusterIPs?: string[] } | Error;
}): KubeClient {
  const answer = <T>(value: T | Error): Promise<T> =>
    value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  const notFound = new NotFoundError('not found', { status: 404, reason: 'NotFound' });
  return {
    list: () =>
      answer(
        answers.serviceCidrs === undefined
          ? notFound
          : answers.serviceCidrs instanceof Error
            ? answers.serviceCidrs
            : { metadata: {}, items: answers.serviceCidrs.map((cidrs) => ({ metadata: {}, spec: { cidrs } })) },
      ),
    get: () =>
      answer(
        answers.kubernetesService === undefined
          ? notFound
          : answers.kubernetesService instanceof Error
            ? answers.kubernetesService
            : { metadata: {}, spec: answers.kubernetesService },
      ),
  } as unknown as KubeClient;
}

const forbidden = new ForbiddenError('forbidden', {
  status: 403,
  reason: 'Forbidden',
  request: { method: 'GET', path: '/apis/networking.k8s.io/v1/servicecidrs' },
});

describe('discoverServiceRanges', () => {
  it('takes the ServiceCIDR objects when the API serves them: exact, every object', async () => {
    const client = fakeClient({
      serviceCidrs: [['10.96.0.0/12', 'fd00:10:96::/112'], ['10.200.0.0/16']],
      kubernetesService: { clusterIP: '10.96.0.1' },
    });
    await expect(discoverServiceRanges(client, {})).resolves.toEqual({
      cidrs: ['10.96.0.0/12', 'fd00:10:96::/112', '10.200.0.0/16'],
      source: 'ServiceCIDR objects',
    });
  });

  it.each([
    ['the API is not served', undefined],
    ['the credentials may not list them', forbidden],
  ])('falls back to $KUBERNETES_SERVICE_HOST in a pod when %s', async (_why, serviceCidrs) => {
    const client = fakeClient({ ...(serviceCidrs ? { serviceCidrs } : {}) });
    await expect(discoverServiceRanges(client, { KUBERNETES_SERVICE_HOST: '10.96.0.1' })).resolves.toEqual({
      cidrs: ['10.96.0.0/12'],
      source: 'the kubernetes Service',
    });
  });

  it("outside a pod, reads the kubernetes Service's ClusterIPs (dual-stack too)", async () => {
    const client = fakeClient({
      kubernetesService: { clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1', 'fd00:10:43::1'] },
    });
    await expect(discoverServiceRanges(client, {})).resolves.toEqual({
      cidrs: ['10.43.0.0/16', 'fd00:10:43::/108'],
      source: 'the kubernetes Service',
    });
  });

  it('finds nothing when nothing may be read (the caller warns and asks for --service-cidr)', async () => {
    await expect(discoverServiceRanges(fakeClient({ kubernetesService: forbidden }), {})).resolves.toEqual({
      cidrs: [],
      source: 'nothing',
    });
  });

  it('does not hide a failure of the API server itself', async () => {
    const client = fakeClient({
      serviceCidrs: new TransientApiError('down', { status: 503, reason: 'ServiceUnavailable' }),
    });
    await expect(discoverServiceRanges(client, {})).rejects.toThrow(TransientApiError);
  });
});
