import type { ProxyEndpoint } from '../tunnel.ts';
import type { Authenticator } from './auth.ts';

/** Everything the transport needs to reach one API server as one identity. */
export interface ClusterConfig {
  /** `https://host:port[/prefix]`; `http:` is accepted for local proxies in tests. */
  readonly server: string;
  /** PEM bundle trusted for the server; the system roots when absent. */
  readonly ca?: string;
  /** Static PEM client certificate and key from the kubeconfig. */
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify: boolean;
  /** Name checked against the server certificate (and sent as SNI) instead of the URL's host. */
  readonly tlsServerName?: string;
  /** The kubeconfig's proxy-url: requests go through a CONNECT tunnel, TLS to the server inside it. */
  readonly proxy?: ProxyEndpoint;
  /** The context's namespace, or the pod's namespace in-cluster; `default` otherwise. */
  readonly namespace: string;
  readonly authenticator: Authenticator;
  /** Where the configuration came from, for a log line: `in-cluster` or `kubeconfig context 'x'`. */
  readonly source: string;
}
