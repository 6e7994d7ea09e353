import type { CachedProbe } from '../../imanage/probe-cache.ts';
import type { ReachabilityResult } from '../../imanage/reachability.ts';
import type { RegistrationResult } from '../../imanage/registration.ts';

// What the connection controller reads before it decides. Secret values never enter this
// shape: only which keys exist, the passphrase's length, and the certificate's validity.

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
}

export interface CertificateObservation extends SecretObservation {
  /** RFC 3339 expiry of tls.crt, when it parses. */
  readonly notAfter?: string;
  readonly parseError?: string;
}

export interface ObservedEnvironment {
  readonly name: string;
  readonly redirectUri: string;
  readonly probe: CachedProbe<RegistrationResult>;
}

export interface ObservedConnection {
  readonly clientSecret?: SecretObservation;
  readonly credentials?: SecretObservation;
  readonly passphrase?: PassphraseObservation;
  readonly certificate?: CertificateObservation;
  readonly caBundle?: SecretObservation & { readonly key: string };
  /** Absent when the probe did not run (an earlier check failed, or probes are off). */
  readonly reachability?: CachedProbe<ReachabilityResult>;
  readonly registrations?: readonly ObservedEnvironment[];
  /** The client id the registration probe used (not a secret). */
  readonly clientId?: string;
  /** Why registration could not be probed, e.g. no client id. */
  readonly registrationSkipped?: string;
}
