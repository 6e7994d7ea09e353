// What one token pass observed and did, in the terms the connection's decide reads: where the
// tokens are stored, the payload held now, and what went wrong. Never a token value in status.

export type GrantKind = 'password' | 'client_credentials' | 'refresh_token';

/** What went wrong with the tokens, in terms of what happened; decide turns it into a reason. */
export type TokenFailureKind =
  | 'InvalidCredentials'
  | 'InvalidClient'
  | 'GrantNotSupported'
  | 'RefreshTokenRevoked'
  | 'Refused'
  | 'EncryptionKeyChanged'
  | 'EncryptionRemoved'
  | 'KeyUnusable'
  | 'Unreadable'
  | 'NotOwned'
  | 'EncryptionRequired'
  | 'NoApplication'
  /** The token endpoint issued an access token that expires at once (`expires_in: 0`). */
  | 'ExpiresAtOnce'
  | 'Transient';

/** The token pass of one reconcile: what the Secret holds now, and what happened. Never a token value in status. */
export interface TokenObservation {
  readonly secretName: string;
  readonly encrypted: boolean;
  readonly grant: string;
  /** The stored payload (holds tokens: decide copies only times and the account out of it). */
  readonly payload?: import('./stored.ts').StoredPayload;
  /** The token Secret's resourceVersion that holds `payload`, for a write that follows in the same pass. */
  readonly resourceVersion?: string;
  readonly nextRefreshAt?: Date;
  /** A seeded refresh token was taken over in this pass: the seed no longer works. */
  readonly seedSpent?: boolean;
  /** Linked, and `link --relink` asked for a new sign-in: the account stays until it succeeds. */
  readonly relinkSignIn?: import('./ports.ts').SignIn;
  readonly notLinked?: {
    readonly signIn?: import('./ports.ts').SignIn;
    readonly problem?: 'NoLinkService';
  };
  readonly failure?: {
    readonly kind: TokenFailureKind;
    readonly detail: string;
    readonly grant?: GrantKind;
    readonly retryAfterMs?: number;
    readonly changed?: 'passphrase' | 'certificate key';
    readonly field?: string;
    /** KeyUnusable: what is wrong with the key material. */
    readonly problem?: import('./keys.ts').KeyProblem;
    /** The refused refresh token is the one seeded in spec.auth.credentialsSecretRef, not a stored one. */
    readonly seed?: boolean;
  };
  /** The fingerprint the Secret records, when encrypted. */
  readonly fingerprint?: string;
  /** GET /api with the access token; absent when no token was held or it was not due. */
  readonly discovery?: import('../imanage/discovery.ts').Discovery;
  /** GET /api with a token just held failed: the Work API refused it, or did not answer. */
  readonly discoveryError?: {
    readonly detail: string;
    readonly retryable: boolean;
    readonly failure: import('../imanage/work-errors.ts').WorkFailure;
  };
}
