// The encrypted token payload: standard JWE (jose), no cryptography of our own.
//
// Composition (docs/token-secret-format.md has the byte-level layout):
//   key.jwe    = JWE(PBES2-HS512+A256KW, p2c 210,000; A256GCM){ oct JWK: a random 256-bit key K }
//   tokens.jwe = JWE(RSA-OAEP-256 | ECDH-ES+A256KW to the certificate's key; A256GCM; cty JOSE){
//                  JWE(A256KW with K; A256GCM){ token JSON } }
// Reading tokens.jwe takes the certificate's private key (outer layer) and K, which only the
// passphrase unwraps (inner layer): neither alone is enough, as issue 11 and seed 000 ask.
//
// Why not a PBES2 inner layer per token, the obvious nesting: PBES2 runs PBKDF2 on every
// decryption with a fresh salt (p2s), so 1,000 connections would pay 1,000 × ~0.3 s per refresh
// round (bench/token-crypto.ts: 210,000 iterations ≈ 0.28 s on 2 cores), and jose offers no way
// to reuse a derived key. Wrapping one random key K with PBES2 instead makes the expensive step
// once per process and key (the Keyrings cache), while every step stays a registered JOSE
// algorithm that any JOSE library can undo with the passphrase alone (no custom KDF to
// re-implement, unlike `dir` with a key derived outside JOSE). Per token the cost is one RSA or
// ECDH operation and two AES-GCM layers: well under a millisecond to a few milliseconds.

import { createHash, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, type DecryptOptions } from 'jose';
import { oneDerivationAtATime } from './derivations.ts';
import { checkPassphrase, type CertificateKey, keyFingerprint, PBKDF2_ITERATIONS } from './keys.ts';

/** What the Secret stores (format.ts maps it onto Secret keys and annotations). */
export interface SealedTokens {
  /** Compact nested JWE: outer to the certificate's key, inner with the passphrase-wrapped key. */
  readonly tokens: string;
  /** Compact PBES2 JWE holding the content-wrapping key as an oct JWK. */
  readonly key: string;
  /** `<spkiSha256>.<passphrase verifier>` (keys.ts). */
  readonly fingerprint: string;
}

/** The decrypted payload: OAuth's own field names, times as RFC 3339 strings. */
export interface TokenPayload {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly token_type: string;
  readonly scope?: string;
  readonly access_token_expires_at?: string;
  readonly refresh_token_expires_at?: string;
  readonly obtained_at: string;
}

/** A Secret written under other key material; nothing is overwritten, rotation says how to move on. */
export class EncryptionKeyChanged extends Error {
  override readonly name = 'EncryptionKeyChanged';
  /** The certificate key, when it changed (the passphrase may have too: its verifier is bound to the key). */
  readonly changed: 'certificate key' | 'passphrase';

  constructor(changed: EncryptionKeyChanged['changed']) {
    super(
      `the tokens were encrypted under another ${changed}; they are kept as they are. To re-encrypt them, ` +
        (changed === 'passphrase'
          ? 'set previousPassphraseSecretRef to the passphrase used before'
          : 'restore the previous certificate key (renew certificates with the same key: cert-manager ' +
            'rotationPolicy Never) or link the account again'),
    );
    this.changed = changed;
  }
}

/** The stored JWE is damaged, tampered with, or not in this format. */
export class TokensUnreadable extends Error {
  override readonly name = 'TokensUnreadable';
}

const ENC = 'A256GCM';
const KEY_WRAP = 'PBES2-HS512+A256KW';
/** A stored p2c above this is refused on decryption: a forged header cannot make us spin. */
const MAX_P2C = 1_000_000;

interface Keyring {
  readonly certificate: CertificateKey;
  readonly fingerprint: string;
  readonly wrappedKey: string;
  readonly contentKey: Uint8Array;
}

/**
 * Derived keys, one per certificate key, passphrase and wrapped key, for the life of the
 * process: the PBKDF2 work is done once, not once per token or refresh.
 */
export class Keyrings {
  readonly #fingerprints = new Map<string, Promise<string>>();
  readonly #forSealing = new Map<string, Promise<Keyring>>();
  readonly #unwrapped = new Map<string, Promise<Keyring>>();

  async fingerprint(certificate: CertificateKey, passphrase: string): Promise<string> {
    const id = `${certificate.spkiSha256}:${digest(checkPassphrase(passphrase))}`;
    return memo(this.#fingerprints, id, () => keyFingerprint(certificate, passphrase));
  }

  async seal(payload: TokenPayload, certificate: CertificateKey, passphrase: string): Promise<SealedTokens> {
    const fingerprint = await this.fingerprint(certificate, passphrase);
    const keyring = await memo(this.#forSealing, fingerprint, () => newKeyring(certificate, passphrase, fingerprint));
    return sealWith(payload, keyring);
  }

  /** Throws EncryptionKeyChanged when `sealed` was written under other key material. */
  async open(sealed: SealedTokens, certificate: CertificateKey, passphrase: string): Promise<TokenPayload> {
    const keyring = await this.#keyringFor(sealed, certificate, passphrase);
    return openWith(sealed, keyring);
  }

  /**
   * Re-encrypts under the current key material. `previous` is what the Secret was written
   * with (the previous passphrase, and the certificate key then in use).
   */
  async rotate(
    sealed: SealedTokens,
    previous: { readonly certificate: CertificateKey; readonly passphrase: string },
    current: { readonly certificate: CertificateKey; readonly passphrase: string },
  ): Promise<SealedTokens> {
    const payload = await this.open(sealed, previous.certificate, previous.passphrase);
    return this.seal(payload, current.certificate, current.passphrase);
  }

  async #keyringFor(sealed: SealedTokens, certificate: CertificateKey, passphrase: string): Promise<Keyring> {
    const fingerprint = await this.fingerprint(certificate, passphrase);
    if (fingerprint !== sealed.fingerprint) {
      throw new EncryptionKeyChanged(whatChanged(sealed.fingerprint, fingerprint));
    }
    const keyring = await memo(this.#unwrapped, `${fingerprint}:${digest(sealed.key)}`, () =>
      unwrapKeyring(sealed.key, certificate, passphrase, fingerprint),
    );
    // Seal new Secrets with the key already in use, so that a restarted operator derives once.
    if (!this.#forSealing.has(fingerprint)) this.#forSealing.set(fingerprint, Promise.resolve(keyring));
    return keyring;
  }
}

function whatChanged(stored: string, current: string): EncryptionKeyChanged['changed'] {
  const keyPart = (fingerprint: string): string => fingerprint.split('.')[0] ?? '';
  return keyPart(stored) === keyPart(current) ? 'passphrase' : 'certificate key';
}

async function newKeyring(certificate: CertificateKey, passphrase: string, fingerprint: string): Promise<Keyring> {
  const contentKey = new Uint8Array(randomBytes(32));
  const jwk = JSON.stringify({ kty: 'oct', k: Buffer.from(contentKey).toString('base64url'), alg: 'A256KW' });
  const wrappedKey = await oneDerivationAtATime(() =>
    new CompactEncrypt(new TextEncoder().encode(jwk))
      .setProtectedHeader({ alg: KEY_WRAP, enc: ENC, cty: 'jwk+json', kid: fingerprint })
      .setKeyManagementParameters({ p2c: PBKDF2_ITERATIONS })
      .encrypt(new TextEncoder().encode(passphrase)),
  );
  return { certificate, fingerprint, wrappedKey, contentKey };
}

async function unwrapKeyring(
  wrappedKey: string,
  certificate: CertificateKey,
  passphrase: string,
  fingerprint: string,
): Promise<Keyring> {
  const options: DecryptOptions = { keyManagementAlgorithms: [KEY_WRAP], contentEncryptionAlgorithms: [ENC] };
  const { plaintext } = await decrypt('key.jwe', () =>
    oneDerivationAtATime(() =>
      compactDecrypt(wrappedKey, new TextEncoder().encode(passphrase), { ...options, maxPBES2Count: MAX_P2C }),
    ),
  );
  const jwk = parseJson('key.jwe', plaintext) as { kty?: unknown; k?: unknown };
  if (jwk.kty !== 'oct' || typeof jwk.k !== 'string') throw new TokensUnreadable('key.jwe does not hold an oct JWK');
  const contentKey = new Uint8Array(Buffer.from(jwk.k, 'base64url'));
  if (contentKey.length !== 32) throw new TokensUnreadable('key.jwe does not hold a 256-bit key');
  return { certificate, fingerprint, wrappedKey, contentKey };
}

async function sealWith(payload: TokenPayload, keyring: Keyring): Promise<SealedTokens> {
  const inner = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'A256KW', enc: ENC, kid: keyring.fingerprint })
    .encrypt(keyring.contentKey);
  const { algorithm, publicKey, spkiSha256 } = keyring.certificate;
  const tokens = await new CompactEncrypt(new TextEncoder().encode(inner))
    .setProtectedHeader({ alg: algorithm, enc: ENC, cty: 'JOSE', kid: spkiSha256 })
    .encrypt(publicKey);
  return { tokens, key: keyring.wrappedKey, fingerprint: keyring.fingerprint };
}

async function openWith(sealed: SealedTokens, keyring: Keyring): Promise<TokenPayload> {
  const { algorithm, privateKey } = keyring.certificate;
  const outer = await decrypt('tokens.jwe (outer layer)', () =>
    compactDecrypt(sealed.tokens, privateKey, {
      keyManagementAlgorithms: [algorithm],
      contentEncryptionAlgorithms: [ENC],
    }),
  );
  const inner = await decrypt('tokens.jwe (inner layer)', () =>
    compactDecrypt(new TextDecoder().decode(outer.plaintext), keyring.contentKey, {
      keyManagementAlgorithms: ['A256KW'],
      contentEncryptionAlgorithms: [ENC],
    }),
  );
  return checkPayload(parseJson('tokens.jwe', inner.plaintext));
}

function checkPayload(value: unknown): TokenPayload {
  const payload = value as Partial<TokenPayload> | null;
  if (typeof payload?.access_token !== 'string' || typeof payload.token_type !== 'string') {
    throw new TokensUnreadable('tokens.jwe does not hold access_token and token_type');
  }
  return payload as TokenPayload;
}

async function decrypt<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // jose's message never contains key material; keep it as the cause for debugging.
    throw new TokensUnreadable(`${what} cannot be decrypted: it is damaged or not in this format`, { cause: error });
  }
}

function parseJson(what: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new TokensUnreadable(`${what} does not hold JSON`);
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function memo<T>(cache: Map<string, Promise<T>>, id: string, make: () => Promise<T>): Promise<T> {
  const found = cache.get(id);
  if (found) return found;
  const made = make();
  cache.set(id, made);
  // A failure is not remembered: the next call tries again.
  made.catch(() => cache.delete(id));
  return made;
}
