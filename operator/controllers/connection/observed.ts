import type { CachedProbe } from '../../imanage/probe-cache.ts';
import type { ReachabilityResult } from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';

// What the connection controller reads before it decides. Secret values never enter this
// shape: only which keys exist, the passphrase's length, and the certificate's validity.
//
// What status may say about a Secret a connection names (its author may be unable to read it):
// whether it exists, which of the keys the operator needs are missing (key names, never values),
// that a passphrase is too short (never its length), and a certificate's expiry (public in the
// certificate anyway). The client id is never repeated: it is named by where it is kept. The real
// boundary is RBAC on who may create connections: an author can point the connection at a server
// of their own and receive the client id there.

/** A referenced Secret as seen: whether it exists and which keys it has. */
export interface SecretObservation {
  readonly name: string;
  readonly found: boolean;
  readonly keys: readonly string[];
}

export interface PassphraseObservation extends SecretObservation {
  readonly key: string;
  /** Length in characters of the value under `key`, when present. */
  readonly length?: number;
  /** Long enough but predictable (too few different characters, or repeats itself). */
  readonly predictable?: boolean;
}

export interface CertificateObservation extends SecretObservation {
  /** RFC 3339 expiry of tls.crt, when it parses. */
  readonly notAfter?: string;
  readonly parseError?: string;
}

export interface ObservedConnection {
  readonly clientSecret?: SecretObservation;
  readonly credentials?: SecretObservation;
  readonly passphrase?: PassphraseObservation;
  readonly certificate?: CertificateObservation;
  readonly caBundle?: SecretObservation & { readonly key: string };
  /** Absent when the probe did not run (an earlier check failed, or probes are off). */
  readonly reachability?: CachedProbe<ReachabilityResult>;
  /** Registration probes by environment name; absent when they did not run. */
  readonly registrations?: ReadonlyMap<string, CachedProbe<RegistrationOutcome>>;
  /** Where the client id the registration probe used is kept, in words; never the id. */
  readonly clientIdSource?: string;
  /** Registration could not be probed: no client id to ask with. */
  readonly registrationSkipped?: 'NoClientId';
  /** The token pass; absent when tokens are off or an earlier check failed. */
  readonly tokens?: TokenObservation;
}

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
  readonly payload?: import('../../tokens/stored.ts').StoredPayload;
  /** The token Secret's resourceVersion that holds `payload`, for a write that follows in the same pass. */
  readonly resourceVersion?: string;
  readonly nextRefreshAt?: Date;
  /** A seeded refresh token was taken over in this pass: the seed no longer works. */
  readonly seedSpent?: boolean;
  /** Linked, and `link --relink` asked for a new sign-in: the account stays until it succeeds. */
  readonly relinkSignIn?: import('../../tokens/ports.ts').SignIn;
  readonly notLinked?: {
    readonly signIn?: import('../../tokens/ports.ts').SignIn;
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
    readonly problem?: import('../../tokens/keys.ts').KeyProblem;
    /** The refused refresh token is the one seeded in spec.auth.credentialsSecretRef, not a stored one. */
    readonly seed?: boolean;
  };
  /** The fingerprint the Secret records, when encrypted. */
  readonly fingerprint?: string;
  /** GET /api with the access token; absent when no token was held or it was not due. */
  readonly discovery?: import('../../imanage/discovery.ts').Discovery;
  /** GET /api with a token just held failed: the Work API refused it, or did not answer. */
  readonly discoveryError?: {
    readonly detail: string;
    readonly retryable: boolean;
    readonly failure: import('../../imanage/work-errors.ts').WorkFailure;
  };
}
