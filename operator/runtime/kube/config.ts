// Finds the cluster configuration the way controller-runtime's GetConfig does.
//
// Why a loader of our own rather than @kubernetes/client-node's KubeConfig: its dist/config.js
// imports the whole generated API (dist/gen) and undici, whatever is used. RSS on Node 24.9,
// linux-x64, median of 5 runs after GC ("cached": NODE_COMPILE_CACHE set and warm, so Node does
// not strip the TypeScript again and never loads its WebAssembly stripper):
//
//                                                                 plain    cached
//   bare process                                                   46.0     46.2 MiB
//   client-node (index.js)                                        132.5    138.6
//   client-node dist/config.js alone (its kubeconfig loader)      131.5    141.3
//   client-node dist/cache.js alone (ListWatch, see informer.ts)   89.2     93.1
//   the yaml package alone                                         58.9     59.6
//   js-yaml alone                                                  48.9     49.1
//   this folder: loader + client + informer                        93.8     61.9
//     … after reading a kubeconfig file (loads js-yaml)            93.7     63.0
//     … with 6,000 ConfigMaps + 6,000 Secrets cached              152.8    128.3
//       (same, with NODE_OPTIONS=--max-semi-space-size=1)         130.8    105.8
//   client-node makeInformer, same 12,000 objects                 212.3    223.7
//       (same, with NODE_OPTIONS=--max-semi-space-size=1)         158.1    165.3
//
// The "plain" column is mostly Node's type stripping: one line of TypeScript loads a 16 MiB
// WebAssembly stripper whose memory grows with the source it strips. In a cluster no YAML parser
// is loaded at all (kubeconfig.ts imports js-yaml on first use).
//
// Deep imports were measured too: config_types.js and exec_auth.js are cheap (+3 MiB) but do not
// merge, resolve paths or read tokens, and ExecAuth sends no KUBERNETES_EXEC_INFO, does not drop
// a credential on 401, runs the plugin once per concurrent caller, and its JSON.parse error
// quotes the plugin's output (the token), so they are not used either.
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
  /** Read for KUBECONFIG, KUBERNETES_SERVICE_HOST/PORT and POD_NAMESPACE; given to exec plugins. @default process.env */
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
    throw new KubeConfigError(
      `no cluster configuration: KUBECONFIG is empty, not in a cluster, and ${home} does not exist`,
    );
  }
  return resolveContext(merged, resolveOptions);
}
