// The operator's access to the Kubernetes API: configuration loading, the REST client, the
// informer and the typed errors. See config.ts and informer.ts for why none of it comes from
// @kubernetes/client-node.
export { anonymous, staticCredentials, TokenFileAuthenticator, type Authenticator, type Credentials } from './auth.ts';
export {
  KubeClient,
  type ApplyOptions,
  type CallOptions,
  type DeleteOptions,
  type ListOptions,
  type ObjectRef,
  type PatchOptions,
  type PatchType,
  type WatchEvent,
  type WatchEventType,
  type WatchOptions,
  type WriteOptions,
} from './client.ts';
export { loadClusterConfig, type ClusterConfig, type LoadOptions } from './config.ts';
export {
  ApiError,
  ConflictError,
  ExecPluginError,
  ForbiddenError,
  GoneError,
  InvalidError,
  KubeConfigError,
  NotFoundError,
  TransientApiError,
  type KubeStatus,
  type StatusCause,
} from './errors.ts';
export {
  backoffDelayMs,
  compactForCache,
  Informer,
  LAST_APPLIED_ANNOTATION,
  stripManagedFields,
  UnknownIndexError,
  type IndexFunction,
  type InformerHandlers,
  type InformerOptions,
  type ListWatchSource,
  type RestartReason,
} from './informer.ts';
export {
  apiVersionOf,
  configMaps,
  events,
  leases,
  namespaces,
  resourcePath,
  ResourcePathError,
  secrets,
  type ConfigMap,
  type EventV1,
  type KubeObject,
  type Lease,
  type ObjectList,
  type ObjectMeta,
  type OwnerReference,
  type Resource,
  type Secret,
} from './resources.ts';
export type { TransportOptions } from './transport.ts';
