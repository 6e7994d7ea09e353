// The key material that protects a connection's tokens: the private key of a kubernetes.io/tls
// Secret (RSA or EC, as cert-manager issues them) and the administrator's passphrase. Both are
// checked here, once, with errors that name the field and the fix; and the key fingerprint is
// computed here (docs/token-secret-format.md, "Fingerprint").

import { createHash, createPrivateKey, createPublicKey, pbkdf2, type KeyObject, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { oneDerivationAtATime } from './derivations.ts';

const pbkdf2Async = promisify(pbkdf2);

/** Seed 000: "a passphrase of over 100 characters". Counted in Unicode code points. */
export const MIN_PASSPHRASE_CHARACTERS = 100;

/**
 * PBKDF2-HMAC-SHA512 iterations, for the PBES2 key wrap and the passphrase verifier: OWASP's
 * 2023 figure for SHA-512. About 0.3 s on the project's 2-core machine (bench/token-crypto.ts),
 * paid once per process and key, never per token (envelope.ts caches the derived key).
 */
export const PBKDF2_ITERATIONS = 210_000;

export const CERTIFICATE_FIELD = 'spec.tokens.encryption.certificateSecretRef';
export const PASSPHRASE_FIELD = 'spec.tokens.encryption.passphraseSecretRef';

export type KeyProblem =
  'PassphraseTooShort' | 'CertificateUnreadable' | 'KeyUnsupported' | 'KeyDoesNotMatchCertificate';

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

export function readCertificateKey(data: TlsSecretData): CertificateKey {
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
  return { privateKey, publicKey, algorithm, spkiSha256: createHash('sha256').update(spki).digest('base64url') };
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

/** The passphrase as given, once it is long enough. */
export function checkPassphrase(passphrase: string): string {
  const length = [...passphrase].length;
  if (length < MIN_PASSPHRASE_CHARACTERS) {
    throw new EncryptionKeyError(
      'PassphraseTooShort',
      PASSPHRASE_FIELD,
      `the passphrase has ${length} characters; it needs at least ${MIN_PASSPHRASE_CHARACTERS}. ` +
        'Choose a new one before any tokens exist: once set, it must not change',
    );
  }
  return passphrase;
}

/**
 * `<spkiSha256>.<verifier>`: which certificate key and which passphrase protect a Secret. The
 * verifier is PBKDF2-HMAC-SHA512(passphrase, salt "imanage-operator/v1/verifier:" + spkiSha256),
 * 16 bytes, base64url: it tells a changed passphrase apart without decrypting anything, and
 * costs as much to guess as the key wrap itself.
 */
export async function keyFingerprint(key: CertificateKey, passphrase: string): Promise<string> {
  const salt = `imanage-operator/v1/verifier:${key.spkiSha256}`;
  const checked = checkPassphrase(passphrase);
  const verifier = await oneDerivationAtATime(() => pbkdf2Async(checked, salt, PBKDF2_ITERATIONS, 16, 'sha512'));
  return `${key.spkiSha256}.${verifier.toString('base64url')}`;
}
