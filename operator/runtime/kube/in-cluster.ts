// In-cluster configuration, as client-go's rest.InClusterConfig: the API server from
// KUBERNETES_SERVICE_HOST/PORT, the service-account token (re-read as kubelet rotates it) and CA.
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { TokenFileAuthenticator } from './auth.ts';
import type { ClusterConfig } from './cluster.ts';
import { KubeConfigError } from './errors.ts';

export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly serviceAccountDir: string;
  readonly clock: Clock;
}

/** True when the pod environment names an API server (the token is checked on load). */
export function inClusterEnvironment(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT);
}

export async function loadInCluster({ env, serviceAccountDir, clock }: InClusterOptions): Promise<ClusterConfig> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new KubeConfigError('not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set');
  const tokenPath = join(serviceAccountDir, 'token');
  const authenticator = new TokenFileAuthenticator(tokenPath, clock);
  // Fails now, with the path, rather than on the first request.
  await authenticator.credentials();
  const ca = await readOptional(join(serviceAccountDir, 'ca.crt'));
  const namespace =
    env.POD_NAMESPACE || (await readOptional(join(serviceAccountDir, 'namespace')))?.trim() || 'default';
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ...(ca === undefined ? {} : { ca }),
    insecureSkipTlsVerify: false,
    namespace,
    authenticator,
    source: 'in-cluster',
  };
}

/** client-go carries on with the system roots when the CA file is missing; so do we. */
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
