// Finds the cluster configuration the way controller-runtime's GetConfig does.
//
// MEMORY_FIGURES_PLACEHOLDER
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { realClock, type Clock } from '../clock.ts';
import type { ClusterConfig } from './cluster.ts';
import { KubeConfigError } from './errors.ts';
import { defaultServiceAccountDir, inClusterEnvironment, loadInCluster } from './in-cluster.ts';
import { readKubeconfigs, resolveContext } from './kubeconfig.ts';

export type { ClusterConfig } from './cluster.ts';

export interface LoadOptions {
  /** An explicit kubeconfig path (the `--kubeconfig` flag); wins over everything else. */
  readonly kubeconfig?: string;
  /** A context name instead of the kubeconfig's current-context (ignored in-cluster). */
  readonly context?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default os.homedir() */
  readonly homeDir?: string;
  /** @default /var/run/secrets/kubernetes.io/serviceaccount */
  readonly serviceAccountDir?: string;
  /** @default realClock */
  readonly clock?: Clock;
}

/**
 * In order: `kubeconfig` (explicit path), `$KUBECONFIG` (a list, merged first-wins as kubectl
 * does), in-cluster (service account), `~/.kube/config`.
 */
export async function loadClusterConfig(options: LoadOptions = {}): Promise<ClusterConfig> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? realClock;
  const resolveOptions = { env, clock, ...(options.context === undefined ? {} : { context: options.context }) };

  if (options.kubeconfig !== undefined) {
    const merged = await readKubeconfigs([options.kubeconfig]);
    if (!merged) throw new KubeConfigError(`kubeconfig ${options.kubeconfig} does not exist`);
    return resolveContext(merged, resolveOptions);
  }
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((path) => path !== '');
  if (listed.length > 0) {
    const merged = await readKubeconfigs(listed);
    if (!merged) throw new KubeConfigError(`none of the files in KUBECONFIG exists: ${listed.join(delimiter)}`);
    return resolveContext(merged, resolveOptions);
  }
  if (inClusterEnvironment(env)) {
    return loadInCluster({ env, clock, serviceAccountDir: options.serviceAccountDir ?? defaultServiceAccountDir });
  }
  const home = join(options.homeDir ?? homedir(), '.kube', 'config');
  const merged = await readKubeconfigs([home]);
  if (!merged) {
    throw new KubeConfigError(`no cluster configuration: KUBECONFIG is empty, not in a cluster, and ${home} does not exist`);
  }
  return resolveContext(merged, resolveOptions);
}
