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
//
// The fingerprint names the key material without testing a passphrase (issue 18: an earlier one
// carried a PBKDF2 verifier with a fixed salt, and status showed it to anyone, an offline oracle):
// the certificate's public key hash and a random key id, chosen with K and stored inside key.jwe.
// A changed passphrase is told by key.jwe refusing to unwrap, which only a Secret's reader can try.

import { randomBytes, webcrypto } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, type DecryptOptions, errors } from 'jose';
import { recall, remember } from '../runtime/lru.ts';
import { DerivationLineFull, oneDerivationAtATime } from './derivations.ts';
import { sha256 } from './digest.ts';
import { type CertificateKey, PBKDF2_ITERATIONS, usablePassphrase } from './keys.ts';

type CryptoKey = webcrypto.CryptoKey;

/** What the Secret stores (format.ts maps it onto Secret keys and annotations). */
export interface SealedTokens {
  /** Compact nested JWE: outer to the certificate's key, inner with the passphrase-wrapped key. */
  readonly tokens: string;
  /** Compact PBES2 JWE holding the content-wrapping key as an oct JWK. */
  readonly key: string;
  /** `<spkiSha256>.<key id>`: the certificate key and the random id of K (an earlier format: a verifier). */
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
  /** The certificate key, when it changed (the passphrase may have too: it is only tried with the same key). */
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
  /**
   * K, imported once as an AES-KW key that cannot be exported: handed jose as bytes, it was imported
   * again for every seal and open (a fifth of jose's time in an on-CPU profile of 1,000 connections).
   */
  readonly contentKey: CryptoKey;
}

function importContentKey(k: Uint8Array): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('raw', k, 'AES-KW', false, ['wrapKey', 'unwrapKey']);
}

/** A key id: 'k' and 16 random bytes, base64url; the earlier verifier had 22 characters, never 23. */
const KEY_ID = /^k[A-Za-z0-9_-]{22}$/;
const keyIdOf = (fingerprint: string): string => fingerprint.split('.')[1] ?? '';

/** Written in the earlier format, whose fingerprint tests passphrase guesses: rewrite it on first read. */
export function hasPassphraseVerifier(sealed: Pick<SealedTokens, 'fingerprint'>): boolean {
  return !KEY_ID.test(keyIdOf(sealed.fingerprint));
}

/** key.jwe did not unwrap with this passphrase (AES key wrap's integrity check failed). */
class WrongPassphrase extends Error {}
/** Wrapped keys a passphrase did not open, remembered so that PBKDF2 is not run again on every read. */
const MAX_REFUSED = 1_000;

/**
 * Key material held at once in each of the two caches below. Each entry holds a derived key and the
 * certificate's key objects, a few KiB: a tenant that changes its passphrase again and again (a
 * derivation each, one at a time) must not grow the operator without bound. The least recently used
 * entry goes, and is derived again if it is used again. A shard of the scale model (docs/scale.md)
 * holds a few hundred tenants' material; a whole 10,000-connection cluster, at one passphrase per
 * tenant of four connections, 2,500.
 */
export const MAX_KEYRINGS = 2_048;

export interface KeyringsOptions {
  /** @default MAX_KEYRINGS */
  readonly maxKeyrings?: number;
}

/**
 * A key the caller asked not to wait for is being derived, or waits its turn in the line: nothing
 * was opened or sealed with it. `derived` settles once the derivation has ended: true when it ran
 * (look again now), false when the owner's line was full and nothing was started (look again later).
 */
export class KeyDerivationPending extends Error {
  override readonly name = 'KeyDerivationPending';
  readonly derived: Promise<boolean>;

  constructor(derived: Promise<boolean>) {
    super('the key that protects these tokens is being derived');
    this.derived = derived;
  }
}

/**
 * Derived keys, one per certificate key, passphrase and wrapped key, for as long as they are in use
 * (at most `maxKeyrings`): the PBKDF2 work is done once, not once per token or refresh. `owner` (a
 * namespace) is whose turn in the derivation line a derivation takes (derivations.ts).
 */
export class Keyrings {
  readonly #forSealing = new Map<string, Promise<Keyring>>();
  readonly #unwrapped = new Map<string, Promise<Keyring>>();
  readonly #refused = new Set<string>();
  /** The cached derivations that have ended well: asking for one of these does not wait. */
  readonly #derived = new WeakSet<Promise<Keyring>>();
  readonly #max: number;

  constructor(options: KeyringsOptions = {}) {
    this.#max = Math.max(1, options.maxKeyrings ?? MAX_KEYRINGS);
  }

  /** The fingerprint new Secrets are sealed under with this material (derives K once per process). */
  async fingerprint(certificate: CertificateKey, passphrase: string, owner = ''): Promise<string> {
    return (await this.#sealingKeyring(certificate, passphrase, owner)).fingerprint;
  }

  async seal(
    payload: TokenPayload,
    certificate: CertificateKey,
    passphrase: string,
    owner = '',
  ): Promise<SealedTokens> {
    return sealWith(payload, await this.#sealingKeyring(certificate, passphrase, owner));
  }

  /** Throws EncryptionKeyChanged when `sealed` was written under other key material. */
  async open(sealed: SealedTokens, certificate: CertificateKey, passphrase: string, owner = ''): Promise<TokenPayload> {
    const keyring = await this.#keyringFor(sealed, certificate, passphrase, owner);
    return openWith(sealed, keyring);
  }

  /**
   * For a caller that must not wait in the derivation line (a reconcile holding a worker): undefined
   * when `open` with this material needs no derivation (or fails at once); else the derivation, now
   * started, as KeyDerivationPending's `derived`.
   */
  pendingOpen(
    sealed: SealedTokens,
    certificate: CertificateKey,
    passphrase: string,
    owner = '',
  ): Promise<boolean> | undefined {
    let id: string;
    try {
      ({ id } = this.#openingId(sealed, certificate, passphrase));
    } catch {
      return undefined; // `open` says so at once
    }
    return this.#pending(this.#unwrap(id, sealed, certificate, passphrase, owner));
  }

  /** As pendingOpen, for `seal`: ask only once the Secret there is has been opened, whose key sealing reuses. */
  pendingSeal(certificate: CertificateKey, passphrase: string, owner = ''): Promise<boolean> | undefined {
    let keyring: Promise<Keyring>;
    try {
      keyring = this.#sealingKeyring(certificate, passphrase, owner);
    } catch {
      return undefined; // a passphrase that may not seal: `seal` says so at once
    }
    return this.#pending(keyring);
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

  #pending(keyring: Promise<Keyring>): Promise<boolean> | undefined {
    if (this.#derived.has(keyring)) return undefined;
    return keyring.then(
      () => true,
      (error: unknown) => !(error instanceof DerivationLineFull),
    );
  }

  /** Only new material is held to the passphrase rules: a Secret sealed before stays readable. */
  #sealingKeyring(certificate: CertificateKey, passphrase: string, owner: string): Promise<Keyring> {
    const id = materialId(certificate, passphrase);
    // A keyring is made only for a passphrase that passed the check, and the check depends on the
    // passphrase alone: with one made, it is not examined again (it was about 4 % of all the
    // operator allocated at 1,000 connections, twice a reconcile).
    if (!this.#forSealing.has(id)) usablePassphrase(passphrase);
    return this.#memo(this.#forSealing, id, async () => {
      const keyring = await newKeyring(certificate, passphrase, owner);
      // What it seals opens without a derivation of its own: the same K, and the wrapped key known.
      const opened = Promise.resolve(keyring);
      this.#derived.add(opened);
      remember(this.#unwrapped, `${id}:${sha256(keyring.wrappedKey)}`, opened, this.#max);
      return keyring;
    });
  }

  /** The unwrapped key, derived once; a passphrase it refuses is remembered, so PBKDF2 is not run for it again. */
  #unwrap(
    id: string,
    sealed: SealedTokens,
    certificate: CertificateKey,
    passphrase: string,
    owner: string,
  ): Promise<Keyring> {
    return this.#memo(this.#unwrapped, id, async () => {
      try {
        return await unwrapKeyring(sealed, certificate, passphrase, owner);
      } catch (error) {
        if (error instanceof WrongPassphrase) {
          this.#refused.add(id);
          if (this.#refused.size > MAX_REFUSED) this.#refused.delete(this.#refused.values().next().value!);
        }
        throw error;
      }
    });
  }

  /** The cache ids of this key material and of the key that opens `sealed` with it; EncryptionKeyChanged when none can. */
  #openingId(
    sealed: SealedTokens,
    certificate: CertificateKey,
    passphrase: string,
  ): { readonly id: string; readonly material: string } {
    if (sealed.fingerprint.split('.')[0] !== certificate.spkiSha256) throw new EncryptionKeyChanged('certificate key');
    const material = materialId(certificate, passphrase);
    const id = `${material}:${sha256(sealed.key)}`;
    if (this.#refused.has(id)) throw new EncryptionKeyChanged('passphrase');
    return { id, material };
  }

  async #keyringFor(
    sealed: SealedTokens,
    certificate: CertificateKey,
    passphrase: string,
    owner: string,
  ): Promise<Keyring> {
    const { id, material } = this.#openingId(sealed, certificate, passphrase);
    let keyring: Keyring;
    try {
      keyring = await this.#unwrap(id, sealed, certificate, passphrase, owner);
    } catch (error) {
      if (error instanceof WrongPassphrase) throw new EncryptionKeyChanged('passphrase');
      throw error;
    }
    // Seal new Secrets with the key already in use, so that a restarted operator derives once.
    if (!this.#forSealing.has(material) && !hasPassphraseVerifier(sealed)) {
      const ready = Promise.resolve(keyring);
      this.#derived.add(ready);
      remember(this.#forSealing, material, ready, this.#max);
    }
    return keyring;
  }

  /** The cached promise for `id` (now the most recently used), or `make`'s, remembered. */
  #memo(cache: Map<string, Promise<Keyring>>, id: string, make: () => Promise<Keyring>): Promise<Keyring> {
    const found = recall(cache, id);
    if (found) return found;
    const made = make();
    remember(cache, id, made, this.#max);
    made.then(
      () => this.#derived.add(made),
      // A failure is not remembered: the next call tries again.
      () => {
        if (cache.get(id) === made) cache.delete(id);
      },
    );
    return made;
  }
}

/** In memory only: which certificate key and passphrase (hashed), never written anywhere. */
function materialId(certificate: CertificateKey, passphrase: string): string {
  return `${certificate.spkiSha256}:${sha256(passphrase)}`;
}

async function newKeyring(certificate: CertificateKey, passphrase: string, owner: string): Promise<Keyring> {
  const contentKey = new Uint8Array(randomBytes(32));
  const keyId = `k${randomBytes(16).toString('base64url')}`;
  const fingerprint = `${certificate.spkiSha256}.${keyId}`;
  const k = Buffer.from(contentKey).toString('base64url');
  const jwk = JSON.stringify({ kty: 'oct', k, alg: 'A256KW', kid: keyId });
  const wrappedKey = await oneDerivationAtATime(
    () =>
      new CompactEncrypt(new TextEncoder().encode(jwk))
        .setProtectedHeader({ alg: KEY_WRAP, enc: ENC, cty: 'jwk+json', kid: fingerprint })
        .setKeyManagementParameters({ p2c: PBKDF2_ITERATIONS })
        .encrypt(new TextEncoder().encode(passphrase)),
    owner,
  );
  return { certificate, fingerprint, wrappedKey, contentKey: await importContentKey(contentKey) };
}

async function unwrapKeyring(
  sealed: SealedTokens,
  certificate: CertificateKey,
  passphrase: string,
  owner: string,
): Promise<Keyring> {
  const options: DecryptOptions = { keyManagementAlgorithms: [KEY_WRAP], contentEncryptionAlgorithms: [ENC] };
  const { plaintext } = await decrypt('key.jwe', async () => {
    try {
      return await oneDerivationAtATime(
        () => compactDecrypt(sealed.key, new TextEncoder().encode(passphrase), { ...options, maxPBES2Count: MAX_P2C }),
        owner,
      );
    } catch (error) {
      // A well-formed key.jwe that does not unwrap: another passphrase (AES-KW checks its integrity).
      if (error instanceof errors.JWEDecryptionFailed) throw new WrongPassphrase();
      throw error;
    }
  });
  const jwk = parseJson('key.jwe', plaintext) as { kty?: unknown; k?: unknown; kid?: unknown };
  if (jwk.kty !== 'oct' || typeof jwk.k !== 'string') throw new TokensUnreadable('key.jwe does not hold an oct JWK');
  // The key id inside key.jwe is authenticated: an annotation naming another key is a Secret tampered with.
  if (jwk.kid !== undefined && jwk.kid !== keyIdOf(sealed.fingerprint)) {
    throw new TokensUnreadable("key.jwe holds another key id than the Secret's key-fingerprint annotation");
  }
  const contentKey = new Uint8Array(Buffer.from(jwk.k, 'base64url'));
  if (contentKey.length !== 32) throw new TokensUnreadable('key.jwe does not hold a 256-bit key');
  return {
    certificate,
    fingerprint: sealed.fingerprint,
    wrappedKey: sealed.key,
    contentKey: await importContentKey(contentKey),
  };
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
    if (error instanceof WrongPassphrase) throw error;
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
