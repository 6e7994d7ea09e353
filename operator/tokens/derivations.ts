// PBKDF2 at 210,000 rounds (about 0.3 s) runs on libuv's threadpool: Node's pbkdf2 and WebCrypto's
// deriveBits (which jose's PBES2 uses) are both threadpool jobs. So is dns.lookup, which every
// probe and token request waits on. With 8 derivations queued, a lookup of a name took 1,073 ms
// instead of 6 ms (issue 18, finding 5): the pool's 4 threads were all deriving. One connection's
// author can queue derivations at will (new passphrases, new Secrets), so derivations go one at a
// time: 3 of the 4 threads stay free for DNS, files and zlib. Measured by bench/derivations-dns.ts.

let tail: Promise<unknown> = Promise.resolve();

/** Runs `derive` after every derivation queued before it has ended (resolved or failed). */
export function oneDerivationAtATime<T>(derive: () => Promise<T>): Promise<T> {
  const run = tail.then(derive, derive);
  tail = run.catch(() => undefined);
  return run;
}
