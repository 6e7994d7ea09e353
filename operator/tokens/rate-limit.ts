// Token buckets for the unauthenticated sign-in callback: one per source address and one for the
// whole endpoint, so that a flood from one address cannot take another admin's turn, and a flood
// from many cannot cost the API server more than the global rate. Sources are kept in a map of
// bounded size (oldest forgotten first): a spray of addresses costs memory no larger than the cap.

export interface BucketShape {
  /** Requests allowed at once. */
  readonly burst: number;
  /** Requests added back per second. */
  readonly perSecond: number;
}

export interface RateLimits {
  readonly perSource: BucketShape;
  readonly global: BucketShape;
  /** Sources remembered at most. */
  readonly maxSources: number;
}

/** A person signing in needs a few requests a minute; a replica of the operator needs a few dozen. */
export const CALLBACK_RATE_LIMITS: RateLimits = {
  perSource: { burst: 20, perSecond: 0.5 },
  global: { burst: 60, perSecond: 5 },
  maxSources: 10_000,
};

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #limits: RateLimits;
  readonly #now: () => number;
  readonly #sources = new Map<string, Bucket>();
  readonly #global: Bucket;

  constructor(limits: RateLimits, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
    this.#global = { tokens: limits.global.burst, at: now() };
  }

  /** True when `source` may be served now; takes one token from its bucket and the global one. */
  take(source: string): boolean {
    const now = this.#now();
    const own = this.#sources.get(source) ?? { tokens: this.#limits.perSource.burst, at: now };
    refill(own, this.#limits.perSource, now);
    refill(this.#global, this.#limits.global, now);
    this.#remember(source, own);
    if (own.tokens < 1 || this.#global.tokens < 1) return false;
    own.tokens -= 1;
    this.#global.tokens -= 1;
    return true;
  }

  #remember(source: string, bucket: Bucket): void {
    this.#sources.delete(source); // re-inserted last: the map's order is the order of last use
    this.#sources.set(source, bucket);
    if (this.#sources.size > this.#limits.maxSources) {
      this.#sources.delete(this.#sources.keys().next().value!);
    }
  }
}

function refill(bucket: Bucket, shape: BucketShape, now: number): void {
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  bucket.tokens = Math.min(shape.burst, bucket.tokens + elapsed * shape.perSecond);
  bucket.at = now;
}
