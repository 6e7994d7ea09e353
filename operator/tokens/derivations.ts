// PBKDF2 at 210,000 rounds (about 0.3 s) runs on libuv's threadpool: Node's pbkdf2 and WebCrypto's
// deriveBits (which jose's PBES2 uses) are both threadpool jobs. So is dns.lookup, which every
// probe and token request waits on. With 8 derivations queued, a lookup of a name took 1,073 ms
// instead of 6 ms (issue 18, finding 5): the pool's 4 threads were all deriving. One connection's
// author can queue derivations at will (new passphrases, new Secrets), so derivations go one at a
// time: 3 of the 4 threads stay free for DNS, files and zlib. Measured by bench/derivations-dns.ts.
//
// The line is kept per owner (a namespace), and the next derivation is taken from each owner in
// turn: a tenant with 250 passphrases, or one that keeps changing its own, delays another tenant's
// one derivation by at most one derivation, not by the length of its own line. An owner holds at
// most MAX_WAITING_PER_OWNER derivations waiting; more are refused (DerivationLineFull) and asked
// for again later, so no tenant can grow the line, or the memory it holds, without bound.

/**
 * Derivations one owner may have waiting at once, each a few hundred bytes until it runs: far more
 * distinct passphrases than a namespace holds (a vendor's namespace of 1,000 firms' connections
 * included), so that only a tenant changing them again and again meets it. Its connections ask
 * again later for the rest.
 */
export const MAX_WAITING_PER_OWNER = 1_024;

/** The owner already has MAX_WAITING_PER_OWNER derivations waiting: try again later. */
export class DerivationLineFull extends Error {
  override readonly name = 'DerivationLineFull';
}

export class DerivationLine {
  /** Waiting derivations by owner; a Map keeps insertion order, and an owner served goes to the back. */
  readonly #waiting = new Map<string, Array<() => void>>();
  readonly #maxWaitingPerOwner: number;
  #running = false;
  #lastServed: string | undefined;

  constructor(maxWaitingPerOwner = MAX_WAITING_PER_OWNER) {
    this.#maxWaitingPerOwner = maxWaitingPerOwner;
  }

  /** Runs `derive` once no other derivation runs and every owner ahead in the turn has had one. */
  run<T>(owner: string, derive: () => Promise<T>): Promise<T> {
    const line = this.#waiting.get(owner) ?? [];
    if (line.length >= this.#maxWaitingPerOwner) {
      return Promise.reject(new DerivationLineFull(`${line.length} key derivations are already waiting for ${owner}`));
    }
    return new Promise<T>((resolve, reject) => {
      line.push(() => {
        Promise.resolve()
          .then(derive)
          .then(resolve, reject)
          .finally(() => {
            this.#running = false;
            this.#next();
          });
      });
      this.#waiting.set(owner, line);
      if (!this.#running) this.#next();
    });
  }

  /** Derivations waiting, by owner (tests, metrics). */
  waiting(owner: string): number {
    return this.#waiting.get(owner)?.length ?? 0;
  }

  #next(): void {
    let first = this.#waiting.entries().next();
    if (first.done) return;
    // An owner whose line emptied and filled again while its derivation ran came back at the front
    // of the Map: it has just had its turn, so the others go first.
    if (first.value[0] === this.#lastServed && this.#waiting.size > 1) {
      this.#waiting.delete(first.value[0]);
      this.#waiting.set(first.value[0], first.value[1]);
      first = this.#waiting.entries().next();
    }
    const [owner, line] = first.value!;
    const start = line.shift()!;
    this.#waiting.delete(owner);
    if (line.length > 0) this.#waiting.set(owner, line);
    this.#running = true;
    this.#lastServed = owner;
    start();
  }
}

/** The operator's one line: every key derivation of the process goes through it. */
const line = new DerivationLine();

/** Runs `derive` in `owner`'s turn, after the derivation running now (see DerivationLine). */
export function oneDerivationAtATime<T>(derive: () => Promise<T>, owner = ''): Promise<T> {
  return line.run(owner, derive);
}
