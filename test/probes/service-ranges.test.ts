// The probes' guard finds the cluster's service range without --service-cidr: the test API server
// runs with --service-cluster-ip-range=10.0.0.0/24, and publishes it as a ServiceCIDR object.
import { describe, expect, inject, it } from 'vitest';
import { discoverServiceRanges } from '../../operator/imanage/service-ranges.ts';
import { KubeClient } from '../../operator/runtime/kube/client.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { startOperator } from '../harness/operator.ts';

const ns = useTestNamespace('svc-ranges');

describe('the service range, read from the cluster', () => {
  it('comes from the ServiceCIDR objects', async () => {
    const client = await KubeClient.load({ kubeconfig: inject('kubeconfigPath') });
    try {
      await expect(discoverServiceRanges(client, {})).resolves.toEqual({
        cidrs: ['10.0.0.0/24'],
        source: 'ServiceCIDR objects',
      });
    } finally {
      client.close();
    }
  });

  it('is refused by a running operator, with the ranges a flag adds', async () => {
    const op = await startOperator({ namespace: ns.name, probes: true, extraArgs: ['--service-cidr', '10.1.0.0/16'] });
    const line = await op.waitForLog((entry) => entry?.msg === 'probe guard: service ranges refused', 10_000);
    expect(line).toMatchObject({
      serviceCidrs: ['10.0.0.0/24', '10.1.0.0/16'],
      source: 'ServiceCIDR objects',
      allowLoopback: false,
    });
    await op.stop();
  });
});
