import type { CachedProbe } from '../../imanage/probe-cache.ts';
import type { ReachabilityResult } from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import type { TokenObservation, TokenReading } from '../../tokens/index.ts';

export type { GrantKind, TokenFailureKind, TokenObservation } from '../../tokens/index.ts';

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
  /** Length in characters of the value under `key`, when present, counted no further than MIN_PASSPHRASE_LENGTH. */
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
  /** The CA bundle the probes trusted (absent: the system's roots), when they ran; the repositories' Work API calls trust it too. */
  readonly workApiTrust?: { readonly ca?: string };
  /** What observe read of the tokens (holds secrets: never logged); the controller plans and executes from it. */
  readonly tokenReading?: TokenReading;
  /** What the token pass did, set by the controller once it has executed the plan; absent when tokens are off or an earlier check failed. */
  readonly tokens?: TokenObservation;
}
