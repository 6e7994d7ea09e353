// An operator with probes and tokens on whose every API request goes through a proxy that records
// it (WatchFaultProxy), so that a test can count the GETs, PUTs and PATCHes the operator sent.
import { inject } from 'vitest';
import { loadClusterConfig } from '../../operator/runtime/kube/config.ts';
import type { RunningSimulator } from '../../simulator/index.ts';
import { kubeconfigThrough } from '../engine/objects.ts';
import { type OperatorProcess, startOperator } from '../harness/operator.ts';
import { WatchFaultProxy } from '../kube/watch-fault-proxy.ts';
import { resolveToSimulator } from '../probes/helpers.ts';

export interface OperatorThroughProxy {
  readonly proxy: WatchFaultProxy;
  readonly op: OperatorProcess;
}

/** Starts the proxy, then the operator watching `namespace`, with `host` resolved to the simulator. */
export async function startOperatorThroughProxy(
  namespace: string,
  sim: RunningSimulator,
  host: string,
): Promise<OperatorThroughProxy> {
  const config = await loadClusterConfig({ kubeconfig: inject('kubeconfigPath'), env: {} });
  const proxy = await WatchFaultProxy.start(inject('server'), config.ca!);
  const op = await startOperator({
    namespace,
    probes: true,
    tokens: true,
    leaderElect: false,
    kubeconfigPath: await kubeconfigThrough(inject('kubeconfigPath'), proxy.url),
    extraArgs: ['--allow-loopback-probes', 'true', '--resolve', resolveToSimulator(sim, [host]).join(',')],
  });
  return { proxy, op };
}
