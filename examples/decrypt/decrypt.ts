#!/usr/bin/env node
// Decrypts an imanage-operator token Secret with jose alone, following
// docs/token-secret-format.md. Nothing here comes from the operator: a consuming product can copy
// this file, or do the same three steps in any JOSE library.
//
//   kubectl get secret acme-imanage-tokens -o json > tokens.json
//   kubectl get secret acme-token-certificate -o json > tls.json
//   kubectl get secret acme-token-passphrase -o json > passphrase.json
//   node examples/decrypt/decrypt.ts tokens.json tls.json passphrase.json [passphrase-key]
//
// prints the token payload (JSON) on standard output. Treat that output as the secret it is.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compactDecrypt } from 'jose';

interface SecretJson {
  readonly metadata?: { readonly annotations?: Record<string, string> };
  readonly data?: Record<string, string>;
}

const FORMAT_ANNOTATION = 'imanage.operator.dev/token-format';
const FORMAT = 'nested-jwe/v1';
/** The key wrap uses p2c = 210,000; jose refuses more than 10,000 unless told. */
const MAX_P2C = 1_000_000;

function secretValue(secret: SecretJson, key: string): string {
  const value = secret.data?.[key];
  if (value === undefined) throw new Error(`the Secret has no data key '${key}'`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/** Step 1: the passphrase unwraps the content-wrapping key (an oct JWK) from key.jwe. */
async function unwrapContentKey(keyJwe: string, passphrase: string): Promise<Uint8Array> {
  const { plaintext } = await compactDecrypt(keyJwe, new TextEncoder().encode(passphrase), {
    keyManagementAlgorithms: ['PBES2-HS512+A256KW'],
    contentEncryptionAlgorithms: ['A256GCM'],
    maxPBES2Count: MAX_P2C,
  });
  const jwk = JSON.parse(new TextDecoder().decode(plaintext)) as { k: string };
  return new Uint8Array(Buffer.from(jwk.k, 'base64url'));
}

/** Steps 2 and 3: the certificate's private key opens the outer layer, the content key the inner. */
export async function decryptTokenSecret(
  secret: SecretJson,
  privateKey: KeyObject,
  passphrase: string,
): Promise<unknown> {
  const format = secret.metadata?.annotations?.[FORMAT_ANNOTATION];
  if (format !== FORMAT) throw new Error(`not a ${FORMAT} token Secret (format '${format ?? ''}')`);
  const contentKey = await unwrapContentKey(secretValue(secret, 'key.jwe'), passphrase);
  const outer = await compactDecrypt(secretValue(secret, 'tokens.jwe'), privateKey, {
    keyManagementAlgorithms: ['RSA-OAEP-256', 'ECDH-ES+A256KW'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  const inner = await compactDecrypt(new TextDecoder().decode(outer.plaintext), contentKey, {
    keyManagementAlgorithms: ['A256KW'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  return JSON.parse(new TextDecoder().decode(inner.plaintext));
}

async function main(argv: readonly string[]): Promise<void> {
  const [tokenFile, tlsFile, passphraseFile, passphraseKey = 'passphrase'] = argv;
  if (!tokenFile || !tlsFile || !passphraseFile) {
    process.stderr.write('usage: decrypt.ts <token-secret.json> <tls-secret.json> <passphrase-secret.json> [key]\n');
    process.exit(2);
  }
  const readSecret = (file: string): SecretJson => JSON.parse(readFileSync(file, 'utf8')) as SecretJson;
  // node:crypto reads PKCS#1, SEC1 and PKCS#8 alike (cert-manager writes PKCS#1/SEC1 by default);
  // with privateKey.encoding PKCS8, jose's importPKCS8 would do as well.
  const privateKey = createPrivateKey(secretValue(readSecret(tlsFile), 'tls.key'));
  // The passphrase is the Secret value exactly, trailing newline included if there is one.
  const passphrase = secretValue(readSecret(passphraseFile), passphraseKey);
  const payload = await decryptTokenSecret(readSecret(tokenFile), privateKey, passphrase);
  process.stdout.write(`${JSON.stringify(payload, null, 2)}\n`);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`decrypt: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
