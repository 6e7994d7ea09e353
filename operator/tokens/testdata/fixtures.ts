// Test-only key material, made with openssl (valid for 100 years): rsa.key is PKCS#1 and ec.key
// SEC1 (P-256), as cert-manager writes them; rsa-renewed.crt is a second certificate for the same
// RSA key; ed25519 is a key type token encryption refuses. Never use these outside tests.
import { readFileSync } from 'node:fs';
import type { TlsSecretData } from '../keys.ts';

const read = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

export type FixtureCertificate = 'rsa' | 'rsa-renewed' | 'ec' | 'ed25519';

/** The data of a kubernetes.io/tls Secret holding one of the fixtures. */
export function tlsSecretData(name: FixtureCertificate): TlsSecretData {
  const key = name === 'rsa-renewed' ? 'rsa' : name;
  return { 'tls.crt': read(`${name}.crt`), 'tls.key': read(`${key}.key`) };
}

/** 100+ characters, with a canary a leak scan can look for. */
export const PASSPHRASE = `canary-passphrase ${'correct horse battery staple '.repeat(4)}for token encryption tests`;
export const OTHER_PASSPHRASE = `canary-passphrase-2 ${'the quick brown fox jumps over the lazy dog '.repeat(3)}`;
