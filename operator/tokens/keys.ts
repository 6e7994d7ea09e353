// The key material that protects a connection's tokens: the private key of a kubernetes.io/tls
// Secret (RSA or EC, as cert-manager issues them) and the administrator's passphrase. Both are
// checked here, once, with errors that name the field and the fix.

import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { checkPassphrase } from '../api/validation/index.ts';
import { recall, remember } from '../runtime/lru.ts';
import { sha256 } from './digest.ts';

/**
 * PBKDF2-HMAC-SHA512 iterations, for the PBES2 key wrap: OWASP's
 * 2023 figure for SHA-512. About 0.3 s on the project's 2-core machine (bench/token-crypto.ts),
 * paid once per process and key, never per token (envelope.ts caches the derived key).
 */
export const PBKDF2_ITERATIONS = 210_000;

export const CERTIFICATE_FIELD = 'spec.tokens.encryption.certificateSecretRef';
export const PASSPHRASE_FIELD = 'spec.tokens.encryption.passphraseSecretRef';

export type KeyProblem =
  | 'PassphraseTooShort'
  | 'PassphraseTooWeak'
  | 'CertificateUnreadable'
  | 'KeyUnsupported'
  | 'KeyDoesNotMatchCertificate';

/** The key material cannot be used as given; `fieldPath` and the message say what to change. */
export class EncryptionKeyError extends Error {
  override readonly name = 'EncryptionKeyError';
  readonly problem: KeyProblem;
  readonly fieldPath: string;

  constructor(problem: KeyProblem, fieldPath: string, message: string) {
    super(message);
    this.problem = problem;
    this.fieldPath = fieldPath;
  }
}

/** Key management algorithm of the outer JWE, chosen by the certificate's key type. */
export type OuterAlgorithm = 'RSA-OAEP-256' | 'ECDH-ES+A256KW';

export interface CertificateKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly algorithm: OuterAlgorithm;
  /** base64url SHA-256 of the public key's SPKI DER: unchanged when the certificate is renewed with the same key. */
  readonly spkiSha256: string;
}

/** The `tls.crt` and `tls.key` entries of a kubernetes.io/tls Secret, decoded. */
export interface TlsSecretData {
  readonly 'tls.crt': string | Buffer;
  readonly 'tls.key': string | Buffer;
}

const EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const MIN_RSA_BITS = 2048;

/**
 * Certificates already read, by a digest of both PEM entries. A connection's Secrets are read again
 * on every reconcile (never cached), the connections of a tenant usually share one certificate, and
 * parsing the pair, checking that it matches and digesting its public key cost about 0.15 ms of CPU
 * each time (bench/token-crypto.ts prints it). The same bytes always give the same key, so an
 * entry is found only by whoever holds the bytes: a tenant reaches no other tenant's key through
 * it. The least recently used entry goes beyond the bound; a failure is not kept.
 */
export const MAX_CERTIFICATE_KEYS = 256;
const certificateKeys = new Map<string, CertificateKey>();
const certificateExpiries = new Map<string, string>();

export function readCertificateKey(data: TlsSecretData): CertificateKey {
  const id = `${sha256(data['tls.crt'])}:${sha256(data['tls.key'])}`;
  const known = recall(certificateKeys, id);
  if (known) return known;
  const key = parseCertificateKey(data);
  remember(certificateKeys, id, key, MAX_CERTIFICATE_KEYS);
  return key;
}

/** The expiry of a PEM certificate (ISO 8601), kept as readCertificateKey keeps keys; throws when it does not parse. */
export function certificateNotAfter(pem: string): string {
  const id = sha256(pem);
  const known = recall(certificateExpiries, id);
  if (known) return known;
  const notAfter = new Date(new X509Certificate(pem).validTo).toISOString();
  remember(certificateExpiries, id, notAfter, MAX_CERTIFICATE_KEYS);
  return notAfter;
}

function parseCertificateKey(data: TlsSecretData): CertificateKey {
  let privateKey: KeyObject;
  let certificate: X509Certificate;
  try {
    privateKey = createPrivateKey(data['tls.key']);
    certificate = new X509Certificate(data['tls.crt']);
  } catch {
    throw new EncryptionKeyError(
      'CertificateUnreadable',
      CERTIFICATE_FIELD,
      'the Secret must be a kubernetes.io/tls Secret whose tls.crt is a PEM certificate and tls.key a PEM private key',
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new EncryptionKeyError(
      'KeyDoesNotMatchCertificate',
      CERTIFICATE_FIELD,
      "tls.key is not the private key of tls.crt; re-issue the certificate or restore the Secret's matching pair",
    );
  }
  const algorithm = outerAlgorithm(privateKey);
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, algorithm, spkiSha256: sha256(spki) };
}

function outerAlgorithm(key: KeyObject): OuterAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return 'RSA-OAEP-256';
  if (key.asymmetricKeyType === 'ec' && EC_CURVES.has(details.namedCurve ?? '')) return 'ECDH-ES+A256KW';
  throw new EncryptionKeyError(
    'KeyUnsupported',
    CERTIFICATE_FIELD,
    `the certificate's key is ${describeKey(key)}; token encryption needs RSA (2048 bits or more) or EC P-256, ` +
      'P-384 or P-521 (cert-manager: privateKey.algorithm RSA or ECDSA)',
  );
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA with ${details.modulusLength ?? '?'} bits`;
  if (key.asymmetricKeyType === 'ec') return `EC on ${details.namedCurve ?? 'an unknown curve'}`;
  return key.asymmetricKeyType ?? 'of an unknown type';
}

/** The passphrase as given, once the schema's rule holds (long enough, not predictable; checked for new material only). */
export function usablePassphrase(passphrase: string): string {
  const problem = checkPassphrase(passphrase, PASSPHRASE_FIELD);
  if (!problem) return passphrase;
  const kind = problem.code === 'PassphraseTooWeak' ? 'PassphraseTooWeak' : 'PassphraseTooShort';
  throw new EncryptionKeyError(kind, PASSPHRASE_FIELD, `${problem.message}; ${problem.fix}`);
}
