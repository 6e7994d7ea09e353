// The flags every command that talks to a cluster shares, spelled as kubectl spells them, so that
// `imanage-operator status` and `kubectl imanage status` read the same: -n/--namespace,
// -A/--all-namespaces, --context, --kubeconfig, and -o/--output. As a kubectl plugin the binary
// gets its arguments as typed and KUBECONFIG from the environment (kubectl passes neither
// --kubeconfig nor --context on), which KubeClient.load already follows.

import { KubeClient } from '../runtime/kube/client.ts';
import { KubeConfigError } from '../runtime/kube/errors.ts';

/** A command-line mistake: exit 2 with the message and the command's usage. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** No kubeconfig, a bad one, or no answer from the API server: exit 4, not a usage error. */
export class ClusterUnreachableError extends Error {
  override readonly name = 'ClusterUnreachableError';
}

/** parseArgs options for the cluster flags; spread into a command's own options. */
export const KUBE_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export const KUBE_FLAGS_USAGE = `        -n, --namespace ns          the namespace [the kubeconfig context's namespace]
        --context name              a kubeconfig context instead of the current one
        --kubeconfig path           instead of $KUBECONFIG or ~/.kube/config
`;

export interface KubeTarget {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly allNamespaces: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function kubeTarget(values: Record<string, unknown>): KubeTarget {
  const namespace = values['namespace'] as string | undefined;
  if (namespace !== undefined && !DNS_LABEL.test(namespace)) {
    throw new CliUsageError(
      `--namespace takes a namespace name (lower-case letters, digits, -), not '${namespace.slice(0, 63)}'`,
    );
  }
  if (namespace !== undefined && values['all-namespaces'] === true) {
    throw new CliUsageError('--namespace and --all-namespaces exclude each other; give one');
  }
  return {
    ...(typeof values['kubeconfig'] === 'string' ? { kubeconfig: values['kubeconfig'] } : {}),
    ...(typeof values['context'] === 'string' ? { context: values['context'] } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    allNamespaces: values['all-namespaces'] === true,
  };
}

/** One of `allowed`, or a usage error naming the flag. */
export function outputFormat<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new CliUsageError(`--output must be one of ${allowed.join(', ')}, not '${String(value).slice(0, 40)}'`);
  }
  return value as T;
}

/** The client, and the namespace to use: the flag's, else the kubeconfig context's. */
export async function connect(target: KubeTarget): Promise<{ client: KubeClient; namespace: string }> {
  let client: KubeClient;
  try {
    client = await KubeClient.load({
      ...(target.kubeconfig ? { kubeconfig: target.kubeconfig } : {}),
      ...(target.context ? { context: target.context } : {}),
    });
  } catch (error) {
    if (error instanceof KubeConfigError) {
      throw new ClusterUnreachableError(`${error.message}; check --kubeconfig, --context and $KUBECONFIG`);
    }
    throw error;
  }
  return { client, namespace: target.namespace ?? client.namespace };
}
