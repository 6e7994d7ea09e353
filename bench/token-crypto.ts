// What token encryption costs (operator/tokens/envelope.ts). Prints:
//   - reading a certificate Secret's key pair: the first read of a pair, and the same pair again
//     (keys.ts keeps what it parsed);
//   - the key derivation: PBKDF2-HMAC-SHA512 at the chosen p2c, as the PBES2 key wrap (first seal
//     of a process) and the unwrap (first open of a process); there is no passphrase verifier;
//   - per token, for RSA-2048 and EC P-256 certificate keys: seal and open, mean / p50 / p99;
//   - one refresh round of N connections: this envelope against a PBES2 layer per token (the
//     obvious nesting), which would pay the derivation for every token.
// Not a test: it prints its figures.
//
// Usage: node bench/token-crypto.ts [tokens=1000]

import { CompactEncrypt, compactDecrypt } from 'jose';
import { Keyrings, type TokenPayload } from '../operator/tokens/envelope.ts';
import { PBKDF2_ITERATIONS, readCertificateKey, type CertificateKey } from '../operator/tokens/keys.ts';
import { type FixtureCertificate, PASSPHRASE, tlsSecretData } from '../operator/tokens/testdata/fixtures.ts';

const TOKENS = Number(process.argv[2] ?? 1000);
const say = (line = ''): void => void process.stdout.write(`${line}\n`);

const PAYLOAD: TokenPayload = {
  access_token: 'a'.repeat(43),
  refresh_token: 'r'.repeat(43),
  token_type: 'bearer',
  scope: 'user',
  access_token_expires_at: new Date().toISOString(),
  refresh_token_expires_at: new Date().toISOString(),
  obtained_at: new Date().toISOString(),
};

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = samples.reduce((sum, x) => sum + x, 0) / samples.length;
  return `mean ${mean.toFixed(3)} ms, p50 ${at(0.5).toFixed(3)} ms, p99 ${at(0.99).toFixed(3)} ms`;
}

async function derivation(key: CertificateKey): Promise<number> {
  const writer = new Keyrings();
  const wrap = await timed(() => writer.seal(PAYLOAD, key, PASSPHRASE));
  const unwrap = await timed(() => new Keyrings().open(wrap.value, key, PASSPHRASE));
  say(`key derivation (PBKDF2-HMAC-SHA512, p2c ${PBKDF2_ITERATIONS.toLocaleString('en')}), once per process and key:`);
  say(`  PBES2 wrap of the content key (seal)   ${wrap.ms.toFixed(0)} ms (includes one token)`);
  say(`  PBES2 unwrap (first open)              ${unwrap.ms.toFixed(0)} ms (includes one token)`);
  return wrap.ms;
}

async function perToken(name: string, key: CertificateKey): Promise<number> {
  const keyrings = new Keyrings();
  await keyrings.open(await keyrings.seal(PAYLOAD, key, PASSPHRASE), key, PASSPHRASE); // derive once
  const seals: number[] = [];
  const opens: number[] = [];
  for (let i = 0; i < TOKENS; i++) {
    const sealed = await timed(() => keyrings.seal(PAYLOAD, key, PASSPHRASE));
    seals.push(sealed.ms);
    opens.push((await timed(() => keyrings.open(sealed.value, key, PASSPHRASE))).ms);
  }
  say(`${name}, ${TOKENS} tokens:`);
  say(`  seal  ${summary(seals)}`);
  say(`  open  ${summary(opens)}`);
  return [...seals, ...opens].reduce((sum, x) => sum + x, 0) / TOKENS;
}

/** The cost a per-token PBES2 layer would add: one derivation per token (sampled, then scaled). */
async function pbes2PerToken(samples: number): Promise<number> {
  const password = new TextEncoder().encode(PASSPHRASE);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(PAYLOAD)))
      .setProtectedHeader({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM' })
      .setKeyManagementParameters({ p2c: PBKDF2_ITERATIONS })
      .encrypt(password);
    const options = { keyManagementAlgorithms: ['PBES2-HS512+A256KW'], maxPBES2Count: PBKDF2_ITERATIONS };
    times.push((await timed(() => compactDecrypt(jwe, password, options))).ms);
  }
  return times.reduce((sum, x) => sum + x, 0) / samples;
}

/**
 * Reading a certificate Secret's key pair: parsed and checked the first time, then found by the
 * digest of its bytes (keys.ts). Each sample is a pair never read before (a trailing blank line
 * more), and the same pair read again.
 */
function certificateReads(name: FixtureCertificate): void {
  const { 'tls.crt': crt, 'tls.key': key } = tlsSecretData(name);
  const first: number[] = [];
  const again: number[] = [];
  for (let i = 0; i < 200; i++) {
    const data = { 'tls.crt': `${crt}${'\n'.repeat(i + 1)}`, 'tls.key': key };
    let started = performance.now();
    readCertificateKey(data);
    first.push(performance.now() - started);
    started = performance.now();
    readCertificateKey(data);
    again.push(performance.now() - started);
  }
  say(`  ${name.padEnd(4)} first read ${summary(first)}; again ${summary(again)}`);
}

say(`token-crypto bench: Node ${process.version}, ${TOKENS} tokens per key type\n`);
say('reading the certificate Secret (parse and check the pair, digest the public key), per connection reconcile:');
certificateReads('rsa');
certificateReads('ec');
say();
const rsa = readCertificateKey(tlsSecretData('rsa'));
const ec = readCertificateKey(tlsSecretData('ec'));
const wrapMs = await derivation(rsa);
say();
const rsaRoundTrip = await perToken('RSA-2048 (RSA-OAEP-256)', rsa);
const ecRoundTrip = await perToken('EC P-256 (ECDH-ES+A256KW)', ec);
say();
const naive = await pbes2PerToken(5);
say(`one refresh round of ${TOKENS} connections (seal + open each), after the one-time derivation:`);
say(`  this envelope, RSA-2048        ${((rsaRoundTrip * TOKENS) / 1000).toFixed(2)} s`);
say(`  this envelope, EC P-256        ${((ecRoundTrip * TOKENS) / 1000).toFixed(2)} s`);
const naiveRound = ((naive * TOKENS) / 1000).toFixed(1);
say(`  a PBES2 layer per token        ${naiveRound} s more (${naive.toFixed(0)} ms per decryption)`);
say(`  one-time derivation            ${(wrapMs / 1000).toFixed(2)} s per process and key`);
