// The shape of a scenario as written in YAML (or passed to startSimulator / the admin API):
// everything optional that has a default. Validation turns it into the types in types.ts.
import type { FaultKind, Grant, RefreshTokenRotation } from './types.ts';

export interface Scenario {
  readonly hosts?: readonly HostSpec[];
  readonly customers?: readonly CustomerSpec[];
  readonly tokens?: { readonly authorizationCodeSeconds?: number };
  readonly faults?: readonly FaultSpec[];
}

export interface HostSpec {
  readonly name: string;
  readonly customers: readonly (string | number)[];
  /** An object answered as data.versions, or API version names answered as [{name, url}]. */
  readonly versions?: Readonly<Record<string, string>> | readonly string[];
  /** Answered as data.dms_version. */
  readonly dmsVersion?: string;
  readonly dialect?: {
    readonly tokenErrors?: 'rfc6749' | 'imanage' | 'array';
    readonly tokenType?: 'Bearer' | 'omit';
    readonly unknownParameters?: 'ignore' | 'reject';
    readonly customerIdAs?: 'string' | 'number';
  };
}

export interface CustomerSpec {
  readonly id: string | number;
  readonly name?: string;
  readonly libraries?: readonly LibrarySpec[];
  readonly users?: readonly UserSpec[];
  readonly applications?: readonly ApplicationSpec[];
}

export interface LibrarySpec {
  readonly id: string;
  readonly type?: string;
  readonly isHidden?: boolean;
  readonly workspaces?: readonly WorkspaceSpec[];
}

export type CustomSpec = string | number | boolean | { readonly alias: string; readonly description?: string };

export interface WorkspaceSpec {
  readonly id?: string;
  readonly name: string;
  readonly description?: string;
  readonly owner?: string;
  readonly defaultSecurity?: 'inherit' | 'private' | 'view' | 'public';
  readonly folders?: readonly FolderSpec[];
  /** custom1…custom30: alias (1–16, 29, 30), number (17–20), ISO date string (21–24), boolean (25–28). */
  readonly [custom: `custom${number}`]: CustomSpec | undefined;
}

export interface FolderSpec {
  readonly id?: string;
  readonly name: string;
  readonly description?: string;
  readonly folderType?: string;
  readonly folders?: readonly FolderSpec[];
  readonly documents?: readonly DocumentSpec[];
}

export interface DocumentSpec {
  readonly name: string;
  readonly extension?: string;
  readonly author?: string;
  readonly content?: string;
}

export interface UserSpec {
  readonly username: string;
  readonly password: string;
  readonly id?: string;
  readonly email?: string;
  readonly fullName?: string;
  readonly preferredLibrary?: string;
}

export interface ApplicationSpec {
  readonly clientId: string;
  /** Leave out for a client registered without a secret (a "Desktop Auth Client"). */
  readonly clientSecret?: string;
  readonly name?: string;
  readonly redirectUris?: readonly string[];
  readonly pendingRedirectUris?: readonly PendingRedirectUriSpec[];
  readonly allowRefreshToken?: boolean;
  readonly refreshTokenDays?: number;
  readonly accessTokenMinutes?: number;
  readonly refreshTokenRotation?: RefreshTokenRotation;
  readonly grants?: readonly Grant[];
  readonly scopes?: readonly string[];
  readonly serviceUser?: string;
  readonly allowedUsers?: readonly string[];
}

export interface PendingRedirectUriSpec {
  readonly uri: string;
  readonly registeredAfterSeconds?: number;
}

export interface FaultSpec {
  readonly kind: FaultKind;
  readonly host?: string;
  readonly path?: string;
  readonly method?: string;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  readonly delayMs?: number;
  readonly times?: number;
}
