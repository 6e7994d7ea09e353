// What the integration global setup hands to every test file through vitest's provide/inject.
export interface HarnessContext {
  /** Admin kubeconfig of the shared control plane. */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Folder holding kube-apiserver, kubectl, etcd and helm. */
  binDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext extends HarnessContext {}
}
