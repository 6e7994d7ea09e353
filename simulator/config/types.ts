// The simulator's configuration after validation, with every default filled in. The YAML format
// (README.md, scenarios/example.yaml) maps onto these types one to one.

export type Grant = 'authorization_code' | 'password' | 'client_credentials';
export const GRANTS: readonly Grant[] = ['authorization_code', 'password', 'client_credentials'];
/**
 * `revoke-at-once`: the presented refresh token stops working as soon as the new one is issued.
 * `until-new-token-used`: it keeps working until the new one is first presented (a grace period
 * that lets a client which lost the response retry with the old token).
 */
export type RefreshTokenRotation = 'revoke-at-once' | 'until-new-token-used';
export const REFRESH_TOKEN_ROTATIONS: readonly RefreshTokenRotation[] = ['revoke-at-once', 'until-new-token-used'];

export type FaultKind = 'status' | 'rate-limit' | 'slow' | 'reset' | 'wrong-host-cert' | 'expired-cert';
export const FAULT_KINDS: readonly FaultKind[] = [
  'status',
  'rate-limit',
  'slow',
  'reset',
  'wrong-host-cert',
  'expired-cert',
];
/** Faults decided during the TLS handshake, before any path is known. */
export const CERTIFICATE_FAULTS: readonly FaultKind[] = ['wrong-host-cert', 'expired-cert'];

export interface SimulatorConfig {
  readonly hosts: readonly HostConfig[];
  readonly customers: readonly CustomerConfig[];
  readonly tokens: TokenSettings;
  readonly faults: readonly FaultConfig[];
}

/** A virtual host: cloudimanage.com (several customers), a vanity subdomain or an on-prem server. */
export interface HostConfig {
  readonly name: string;
  readonly customers: readonly string[];
  /** Reported in discovery as data.dms_version only when set (assumption: discovery-version). */
  readonly dmsVersion?: string;
  /**
   * Reported in discovery as data.versions only when set: an object as written, or a list of API
   * version names answered as [{name, url}] (assumption: discovery-version).
   */
  readonly versions?: Readonly<Record<string, string>> | readonly string[];
  readonly dialect: Dialect;
}

/** How the token endpoint words an error (assumption: token-error-shape). */
export type TokenErrorShape = 'rfc6749' | 'imanage' | 'array';
export const TOKEN_ERROR_SHAPES: readonly TokenErrorShape[] = ['rfc6749', 'imanage', 'array'];

/**
 * The details public iManage clients disagree on, chosen per host so that a client can be tested
 * against each: the shape of token-endpoint errors, whether token responses carry token_type,
 * what is done with OAuth parameters the server does not know (PKCE's among them), and whether
 * customer_id is a string or a number in discovery.
 */
export interface Dialect {
  readonly tokenErrors: TokenErrorShape;
  /** assumption: token-type */
  readonly tokenType: 'Bearer' | 'omit';
  /** assumption: unknown-oauth-parameters */
  readonly unknownParameters: 'ignore' | 'reject';
  /** assumption: discovery-user */
  readonly customerIdAs: 'string' | 'number';
}

export const DEFAULT_DIALECT: Dialect = {
  tokenErrors: 'rfc6749',
  tokenType: 'Bearer',
  unknownParameters: 'ignore',
  customerIdAs: 'string',
};

export interface TokenSettings {
  readonly authorizationCodeSeconds: number;
}

export interface CustomerConfig {
  readonly id: string;
  readonly name: string;
  readonly libraries: readonly LibraryConfig[];
  readonly users: readonly UserConfig[];
  readonly applications: readonly ApplicationConfig[];
}

export interface LibraryConfig {
  readonly id: string;
  readonly type: string;
  readonly isHidden: boolean;
  readonly workspaces: readonly WorkspaceConfig[];
}

/** An alias field (custom1–16, 29, 30), a number (17–20), an ISO date (21–24) or a boolean (25–28). */
export type CustomValue =
  { readonly alias: string; readonly description?: string } | number | boolean | { readonly date: string };

export interface WorkspaceConfig {
  readonly id?: string;
  readonly name: string;
  readonly description: string;
  readonly owner: string;
  readonly defaultSecurity: string;
  readonly custom: Readonly<Record<string, CustomValue>>;
  readonly folders: readonly FolderConfig[];
}

export interface FolderConfig {
  readonly id?: string;
  readonly name: string;
  readonly description: string;
  readonly folderType: string;
  readonly folders: readonly FolderConfig[];
  readonly documents: readonly DocumentConfig[];
}

export interface DocumentConfig {
  readonly name: string;
  readonly extension: string;
  readonly author?: string;
  readonly content: string;
}

export interface UserConfig {
  readonly username: string;
  readonly password: string;
  readonly id: string;
  readonly email: string;
  readonly fullName: string;
  readonly preferredLibrary?: string;
}

export interface PendingRedirectUri {
  readonly uri: string;
  /** Seconds after the registration was requested (simulator start or admin call) that it takes effect. */
  readonly registeredAfterSeconds: number;
}

export interface ApplicationConfig {
  readonly clientId: string;
  /** Absent: a client registered without a secret (assumption: public-client). */
  readonly clientSecret?: string;
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly pendingRedirectUris: readonly PendingRedirectUri[];
  /** Control Center "Allow Refresh Token" (default No). */
  readonly allowRefreshToken: boolean;
  /** Control Center "Refresh Token Expiry" in days (default 365). */
  readonly refreshTokenDays: number;
  /** Control Center "Access Token Expiry": minutes of inactivity (default 30). */
  readonly accessTokenMinutes: number;
  /** What happens to a refresh token once it was exchanged (assumption: refresh-rotation). */
  readonly refreshTokenRotation: RefreshTokenRotation;
  /** Grants besides refresh_token (which allowRefreshToken governs). */
  readonly grants: readonly Grant[];
  readonly scopes: readonly string[];
  /** The user a client_credentials token acts as (assumption: client-credentials). */
  readonly serviceUser?: string;
  /** Control Center "Access: Custom": only these user names may sign in; absent = All Users. */
  readonly allowedUsers?: readonly string[];
}

export interface FaultConfig {
  readonly kind: FaultKind;
  /** Host the fault applies to; absent = every host. */
  readonly host?: string;
  /** Exact path, or a prefix when it ends with `*`; absent = every path. Not for certificate faults. */
  readonly path?: string;
  readonly method?: string;
  /** For kind status (default 503). */
  readonly status: number;
  /** For kind rate-limit (default 1). */
  readonly retryAfterSeconds: number;
  /** For kind slow (default 10000). */
  readonly delayMs: number;
  /** How many requests (or TLS handshakes) it hits before switching itself off; absent = forever. */
  readonly times?: number;
}
