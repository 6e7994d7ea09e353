// generated from operator/api/schemas by `npm run generate` — do not edit

/* eslint-disable */
import type { ObjectMeta } from '../meta.ts';

/**
 * A connection from a product (Clio Operate, Actionstep, Legatics, Syncly, …) to iManage Work: the server, the application credentials, the redirect URIs of every environment, and how tokens are obtained, encrypted and refreshed.
 */
export interface IManageConnection {
  /**
   * APIVersion defines the versioned schema of this representation of an object. Always imanage.operator.dev/v1alpha1.
   */
  apiVersion?: "imanage.operator.dev/v1alpha1";
  /**
   * Kind is a string value representing the REST resource this object represents. Always IManageConnection.
   */
  kind?: "IManageConnection";
  metadata: ObjectMeta;
  spec: IManageConnectionSpec;
  status?: IManageConnectionStatus;
}
/**
 * The desired state of a connection from a product to iManage Work.
 */
export interface IManageConnectionSpec {
  /**
   * The connecting product, whose guide adds rules: ClioOperate (Clio Operate's iManage guide and iManage Cloud guide), Actionstep (Actionstep's iManage guide), Legatics (Legatics' iManage guide), Syncly (Syncly's iManage on-premise guide), or Generic (no extra rules). A profile only rejects what breaks its product's rules, naming the guide, what it says, and the fix; it never changes what you wrote. See the README, "Product profiles".
   */
  profile?: "Generic" | "ClioOperate" | "Actionstep" | "Legatics" | "Syncly";
  /**
   * Version of the connecting product, where its profile depends on it: Clio Operate 7.11.0 and above connects to iManage Cloud as Cloud, below 7.11.0 as Hosted.
   */
  productVersion?: string;
  /**
   * Cloud: iManage Cloud through a shared, globally registered application (Clio Operate 7.11+, Legatics, Actionstep). Hosted: an iManage Cloud URL with the firm's own client id and secret (Clio Operate below 7.11). OnPremise: a Work Server 10.2 or later with its own application package.
   */
  connectionType: "Cloud" | "Hosted" | "OnPremise";
  /**
   * Base URL of the iManage server, used for sign-in and, unless apiUrl is set, for the REST API. Cloud and Hosted: https://cloudimanage.com or a vanity https://<firm>.cloudimanage.com. OnPremise: the Work Server (10.2 or later). https only; no credentials, query or fragment; port 443 unless allowNonStandardPort. Immutable: to point at another server, create a new connection.
   */
  url: string;
  /**
   * REST API base URL when it differs from url (Legatics): sign-in and the file picker stay on url, inside the firm's network, while the operator calls the API here. https only. Cloud and Hosted: a cloudimanage.com host, like url. Immutable, like url: the access token is sent here.
   */
  apiUrl?: string;
  /**
   * Allow a port other than 443 in url and apiUrl. Legatics notes that arbitrary ports need extra configuration on the iManage side.
   */
  allowNonStandardPort?: boolean;
  /**
   * The iManage customer id (required for Cloud); iManage registers redirect URIs against it.
   */
  customerId?: string;
  /**
   * The preferred library (Clio Operate calls it the preferred database), for example ACTIVE_US.
   */
  library?: string;
  /**
   * Secret with keys clientId and clientSecret of the iManage application. Required for Hosted and OnPremise; for Cloud it overrides the operator-wide default application. With auth.grant Password, clientSecret may be left out for an application registered without a secret (iManage Cloud's "Desktop Auth Client", an on-premise "Native" application): the operator then sends client_id alone.
   */
  clientSecretRef?: LocalObjectReference;
  /**
   * Secret key holding PEM CA certificates to trust for url and apiUrl instead of the system roots, for an on-premise server behind a private CA. There is no switch to skip verification.
   */
  caBundleSecretRef?: SecretKeySelector;
  /**
   * Path appended to each environment's baseUrl to form its redirect URI.
   */
  redirectPath?: string;
  /**
   * The product environments (production, UAT, training, test, …) whose redirect URIs must be registered with iManage. Each is registered individually; a missing one fails with invalid_redirect_uri.
   *
   * @maxItems 32
   */
  environments?: Environment[];
  registration?: Registration;
  auth?: Auth;
  tokens?: Tokens;
  probes?: Probes;
  /**
   * Leave the connection alone: no probes, no token refresh. Everything it has is kept.
   */
  suspend?: boolean;
}
/**
 * One environment of the connecting product (production, uat, training, test, …) whose redirect URI must be registered with iManage.
 */
export interface Environment {
  /**
   * Environment name, a DNS label such as production, uat, training or test.
   */
  name: string;
  /**
   * Base URL of the environment, for example https://acme.clioweb.com. The redirect URI is this plus spec.redirectPath unless redirectUri is set.
   */
  baseUrl: string;
  /**
   * Explicit redirect URI for this environment, used as is instead of baseUrl + redirectPath (Syncly: https://<firm>.syncly.io/api/connectors/authorised; Legatics: https://api.<host>/auth/v0/oauth2/authorized). iManage compares it exactly: https, lower-case host, no trailing slash, no spaces, no fragment.
   */
  redirectUri?: string;
}
/**
 * The registration of the customer id and redirect URIs with iManage (Cloud), which iManage takes 24–48 hours to complete.
 */
export interface Registration {
  /**
   * When registration was requested (RFC 3339). After 48 hours an unregistered URI is reported Overdue.
   */
  requestedAt?: string;
}
/**
 * How the operator signs in to iManage on behalf of the connecting product.
 */
export interface Auth {
  /**
   * OAuth 2.0 grant. AuthorizationCode: a fall-back account linked once interactively (Clio Operate); Password: a service account's user name and password; ClientCredentials: the application itself, where iManage allows it.
   */
  grant?: "AuthorizationCode" | "Password" | "ClientCredentials";
  /**
   * OAuth scope: user for product integrations, admin for administrative clients.
   */
  scope?: "user" | "admin";
  /**
   * Secret holding the fall-back account: keys username and password for Password; key refreshToken (from the interactive link) for AuthorizationCode. Not used by ClientCredentials.
   */
  credentialsSecretRef?: LocalObjectReference;
  /**
   * PKCE on the interactive sign-in (AuthorizationCode): S256 sends code_challenge and code_verifier, as RFC 9700 recommends; Disabled sends neither, as every public iManage client does. Whether iManage accepts them is not published: turn it off if the sign-in comes back with invalid_request.
   */
  pkce?: "S256" | "Disabled";
  /**
   * AuthorizationCode: the iManage user id that may link this connection (as GET /api names it, e.g. SVC-CLIO; compared without regard to case). A sign-in as another account is refused on the page and its tokens revoked. Unset: any account that signs in with the sign-in URL.
   */
  expectedAccount?: string;
}
/**
 * Where and how the operator keeps the OAuth tokens it obtains.
 */
export interface Tokens {
  /**
   * Name of the Secret the tokens are written to. Default: <connection name>-tokens.
   */
  secretName?: string;
  /**
   * Refresh the access token this long before it expires.
   */
  refreshBefore?: string;
  encryption?: TokenEncryption;
}
/**
 * Token encryption: a certificate combined with an administrator passphrase of at least 100 characters, as Clio Operate does. Never change the passphrase once tokens exist.
 */
export interface TokenEncryption {
  /**
   * Secret key holding the passphrase (at least 100 characters).
   */
  passphraseSecretRef: SecretKeySelector;
  /**
   * A kubernetes.io/tls Secret whose certificate encrypts the tokens.
   */
  certificateSecretRef: LocalObjectReference;
  /**
   * Secret key holding the passphrase the tokens were encrypted with before a change of passphraseSecretRef: the operator opens the token Secret with it, re-encrypts under the new passphrase, and then it may go.
   */
  previousPassphraseSecretRef?: SecretKeySelector;
}
/**
 * How often and how patiently the operator probes iManage.
 */
export interface Probes {
  /**
   * Time between probes. At most 1h is honoured: a longer interval is probed hourly.
   */
  interval?: string;
  /**
   * Time allowed for one probe. At most 60s is honoured.
   */
  timeout?: string;
}
/**
 * The observed state of the connection, written by the operator.
 */
export interface IManageConnectionStatus {
  /**
   * The metadata.generation the operator last acted on; -1 until it has seen the object, so that kstatus (Flux, helm --wait) does not read a new object as finished.
   */
  observedGeneration?: number;
  /**
   * The latest observations of the object's state. Ready summarises them; Reconciling and Stalled follow kstatus so that kubectl, Argo CD and Flux read health correctly.
   *
   * @maxItems 32
   *
   * Items: A metav1.Condition.
   */
  conditions?: Condition[];
  /**
   * The effective redirect URI of each environment, as the operator will ask iManage to accept it.
   *
   * @maxItems 32
   */
  environments?: EnvironmentStatus[];
  server?: ServerStatus;
  /**
   * The OAuth tokens the operator holds for this connection. Never a token: where they are and when they end.
   */
  tokens?: {
    /**
     * The Secret the tokens are written to (owned by this connection).
     */
    secretName?: string;
    /**
     * Whether the Secret holds the tokens encrypted (nested-jwe/v1) or plain (plain/v1: anyone who may read the Secret may use them).
     */
    encrypted?: boolean;
    /**
     * Which key the Secret is encrypted under, when encrypted: the certificate public key's SHA-256 and a random key id. Nothing in it is derived from the passphrase.
     */
    keyFingerprint?: string;
    /**
     * The iManage user the tokens act as, once known.
     */
    account?: string;
    /**
     * When the access token lapses unless used or refreshed (iManage counts inactivity).
     */
    accessTokenExpiresAt?: string;
    /**
     * When the refresh token ends (365 days from its issue by default); after that a human must link again.
     */
    refreshTokenExpiresAt?: string;
    /**
     * When the operator last obtained or refreshed the tokens.
     */
    lastRefreshAt?: string;
    /**
     * While not linked (or while a relink is asked for): the Secret in this namespace that holds the one-time sign-in URL (key url). Not in status, because whoever opens it may link an account: RBAC on Secrets decides who may read it. imanage-operator link prints it.
     */
    signInSecret?: string;
    /**
     * When the sign-in URL stops working; the operator issues a new one after that.
     */
    signInUrlExpiresAt?: string;
  };
}
/**
 * One environment.
 */
export interface EnvironmentStatus {
  /**
   * Environment name.
   */
  name: string;
  /**
   * Effective redirect URI: redirectUri, or baseUrl + redirectPath.
   */
  redirectUri: string;
  /**
   * Whether iManage accepts the redirect URI: Registered; Pending (not yet, within 48 hours of registration.requestedAt); Overdue (not after 48 hours: contact iManage support); NotRegistered; InvalidClient (iManage does not know the client id); Unknown.
   */
  registration?: "Registered" | "Pending" | "Overdue" | "NotRegistered" | "InvalidClient" | "Unknown";
  /**
   * What the registration probe saw, in the operator's words, and what to do. Never the client id, never iManage's page as it came.
   */
  message?: string;
  /**
   * When iManage last gave this answer: renewed at most hourly while the answer stays the same, so that an unchanged connection causes no writes.
   */
  checkedAt?: string;
}
/**
 * What the reachability probe saw of the server. Times and latencies are metrics (imanage_probe_duration_seconds, imanage_probe_last_success_timestamp_seconds), not status.
 */
export interface ServerStatus {
  /**
   * When the server's TLS certificate expires.
   */
  certificateNotAfter?: string;
  /**
   * When the probe last saw this outcome: renewed at most hourly while it stays the same.
   */
  checkedAt?: string;
  /**
   * The customer id the server reports, once the operator holds a token.
   */
  customerId?: string;
  /**
   * The libraries the server reports, once the operator holds a token.
   *
   * Items: A library id.
   */
  libraries?: string[];
  /**
   * The server version, where GET /api with a token reports one: data.dms_version, data.versions.work, or the API versions data.versions lists (shown as "API v1, v2"). Absent: the server reports none.
   */
  version?: string;
}

/**
 * Where the documents of one functional area (Document Templates, Matters, …) live in iManage: per work type, a resolver that finds the workspace and a folder inside it.
 */
export interface WorkspaceRepository {
  /**
   * APIVersion defines the versioned schema of this representation of an object. Always imanage.operator.dev/v1alpha1.
   */
  apiVersion?: "imanage.operator.dev/v1alpha1";
  /**
   * Kind is a string value representing the REST resource this object represents. Always WorkspaceRepository.
   */
  kind?: "WorkspaceRepository";
  metadata: ObjectMeta;
  spec: WorkspaceRepositorySpec;
  status?: WorkspaceRepositoryStatus;
}
/**
 * The desired state of a repository: where, in iManage, the documents of one functional area live.
 */
export interface WorkspaceRepositorySpec {
  /**
   * The IManageConnection, in the same namespace, through which the workspaces are searched.
   */
  connectionRef: LocalObjectReference;
  /**
   * The functional area this repository serves: DocumentTemplates, DataUploads, InboundEmail, Instructions, ServiceRequests, Scanning, ClientDocuments or Matters.
   */
  area:
    | "DocumentTemplates"
    | "DataUploads"
    | "InboundEmail"
    | "Instructions"
    | "ServiceRequests"
    | "Scanning"
    | "ClientDocuments"
    | "Matters";
  /**
   * Library to search, overriding the connection's preferred library.
   */
  library?: string;
  /**
   * One entry per work type, keyed by workType; * is the default.
   *
   * @minItems 1
   * @maxItems 64
   */
  resolvers: [ResolverEntry, ...ResolverEntry[]];
  /**
   * Sample work items resolved in a dry run, so that a resolver can be checked before users depend on it.
   *
   * @maxItems 16
   */
  preview?: PreviewItem[];
  /**
   * Create the folders of a static resolver that are missing in its workspace, idempotently. The operator never deletes a folder it did not create, and never a document.
   */
  ensureFolders?: boolean;
  /**
   * Clio Operate's "Test the integration": at each new generation, browse each resolved folder, create a probe folder, upload a small probe document, then remove exactly those two. Condition AccessVerified.
   */
  accessCheck?: boolean;
  /**
   * Leave the repository alone: no resolution and no status changes beyond Suspended.
   */
  suspend?: boolean;
}
/**
 * How to find the workspace, and the folder in it, for one work type.
 */
export interface ResolverEntry {
  /**
   * The work type this entry applies to; * is the default for every other work type.
   */
  workType: string;
  /**
   * The workspace resolver, in the products' own syntax. A title (Default Search): Clio Operate Document Templates, or [workitem.title]. Fields (Advanced Search): custom1=[workitem.client.reference], custom2=[workitem.reference]. Fields are name and custom1…custom30; [workitem.…] paths come from the declared work-item model.
   */
  resolver: string;
  /**
   * More resolvers, tried in order when the resolver finds nothing (Actionstep: Matter ID, then File Reference).
   *
   * @maxItems 8
   *
   * Items: A fallback resolver, in the same syntax as resolver.
   */
  fallbacks?: string[];
  /**
   * What to do when a search finds more than one workspace: First takes the first (Clio Operate's rule); Fail reports it (Actionstep asks the user).
   */
  onMultipleMatches?: "First" | "Fail";
  /**
   * Folder path inside the workspace, for example Document Templates or Documents/Invoices.
   */
  folder?: string;
}
/**
 * A sample work item resolved in a dry run through the entry for its work type: what it finds goes to status.previews.
 */
export interface PreviewItem {
  /**
   * Work type of the sample; it picks the resolver entry (or *).
   */
  workType: string;
  /**
   * The sample work item, as the product would pass it: title, reference, client.reference, client.name, matterType, fileReference, id, …
   */
  workItem: {};
}
/**
 * The observed state of the repository, written by the operator.
 */
export interface WorkspaceRepositoryStatus {
  /**
   * The metadata.generation the operator last acted on; -1 until it has seen the object, so that kstatus (Flux, helm --wait) does not read a new object as finished.
   */
  observedGeneration?: number;
  /**
   * The latest observations of the object's state. Ready summarises them; Reconciling and Stalled follow kstatus so that kubectl, Argo CD and Flux read health correctly.
   *
   * @maxItems 32
   *
   * Items: A metav1.Condition.
   */
  conditions?: Condition[];
  /**
   * The resolvers as the operator parsed them: the search mode and the canonical query.
   *
   * @maxItems 64
   */
  resolvers?: ResolverStatus[];
  /**
   * The outcome of each spec.preview sample, in the same order.
   *
   * @maxItems 16
   *
   * Items: One preview.
   */
  previews?: {
    /**
     * The sample's work type.
     */
    workType: string;
    /**
     * The resolvers entry used: the sample's work type, or * for the default.
     */
    entry?: string;
    /**
     * What the sample resolved to.
     */
    resolution: Resolution;
  }[];
}
/**
 * One parsed resolver.
 */
export interface ResolverStatus {
  /**
   * Work type.
   */
  workType: string;
  /**
   * DefaultSearch searches workspace names; AdvancedSearch searches fields.
   */
  mode: "DefaultSearch" | "AdvancedSearch";
  /**
   * Canonical form of the resolver.
   */
  query: string;
  /**
   * Canonical form of each fallback, in order.
   *
   * Items: A fallback.
   */
  fallbacks?: string[];
  /**
   * Folder inside the workspace.
   */
  folder?: string;
  /**
   * What the operator found for this entry (static resolvers; a dynamic one resolves per work item).
   */
  resolution?: Resolution;
}

/**
 * A metav1.Condition.
 */
export interface Condition {
  /**
   * Type of condition in PascalCase, for example Ready.
   */
  type: string;
  /**
   * Status of the condition.
   */
  status: "True" | "False" | "Unknown";
  /**
   * The metadata.generation this condition was set for.
   */
  observedGeneration?: number;
  /**
   * When the condition last changed status.
   */
  lastTransitionTime: string;
  /**
   * A PascalCase reason for the last transition.
   */
  reason: string;
  /**
   * What happened and what to do next.
   */
  message: string;
}

/**
 * The IManageConnection, in the same namespace, through which the workspaces are searched.
 */
export interface LocalObjectReference {
  /**
   * Name of the object, in the same namespace.
   */
  name: string;
}

/**
 * What the sample resolved to.
 */
export interface Resolution {
  /**
   * Resolved; NoMatch (nothing matches: the product has no workspace to file in); AmbiguousMatch (several match and onMultipleMatches is Fail); FolderMissing; Forbidden; LibraryNotFound; NeedsWorkItem (a dynamic resolver: see previews); IncompleteWorkItem (a preview lacks a value every resolver needs); NoResolver (no entry for the work type and no *); InvalidResolver; Unavailable (iManage did not answer; retried).
   */
  outcome:
    | "Resolved"
    | "NoMatch"
    | "AmbiguousMatch"
    | "FolderMissing"
    | "Forbidden"
    | "LibraryNotFound"
    | "NeedsWorkItem"
    | "IncompleteWorkItem"
    | "NoResolver"
    | "InvalidResolver"
    | "Unavailable";
  /**
   * The workspace found.
   */
  workspace?: WorkspaceRef;
  /**
   * The folder found inside the workspace; absent when the entry names none.
   */
  folder?: {
    /**
     * Folder id.
     */
    id: string;
    /**
     * Folder path from the workspace down, e.g. Documents/Invoices.
     */
    path: string;
  };
  /**
   * How many workspaces the deciding search matched.
   */
  matches?: number;
  /**
   * Which resolver found the workspace: resolver, or fallbacks[0], fallbacks[1], …
   */
  matchedBy?: string;
  /**
   * With AmbiguousMatch: up to five of the workspaces that match.
   *
   * @maxItems 5
   *
   * Items: A candidate.
   */
  candidates?: WorkspaceRef[];
  /**
   * Why not resolved, and what to do.
   */
  message?: string;
}

/**
 * Secret key holding the passphrase the tokens were encrypted with before a change of passphraseSecretRef: the operator opens the token Secret with it, re-encrypts under the new passphrase, and then it may go.
 */
export interface SecretKeySelector {
  /**
   * Name of the object, in the same namespace.
   */
  name: string;
  /**
   * Key inside the Secret.
   */
  key?: string;
}

/**
 * A candidate.
 */
export interface WorkspaceRef {
  /**
   * Workspace id, e.g. ACTIVE_US!123.
   */
  id: string;
  /**
   * Workspace name.
   */
  name: string;
}
