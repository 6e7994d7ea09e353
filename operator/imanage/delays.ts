// Every wait the probes take from outside the operator — a server's Retry-After, the backoff it
// earns by failing, the interval and timeout a connection's author writes — is bounded here.
// Unbounded, `Retry-After: 99999999` became a delay setTimeout cannot hold (over 2^31 − 1 ms),
// which Node fires after 1 ms: 350 requeues a second for one key.

import { boundedDelay, MAX_PROBE_DELAY_MS } from '../api/duration.ts';

// The bounds themselves are part of the API (spec.probes documents them): operator/api/duration.ts.
export {
  boundedDelay,
  MAX_PROBE_DELAY_MS,
  MAX_PROBE_TIMEOUT_MS,
  MIN_PROBE_DELAY_MS,
} from '../api/duration.ts';
/** Longer than any HTTP date (29 characters) or delay worth reading: only digits are looked at past it. */
const MAX_RETRY_AFTER_CHARACTERS = 64;

function allDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false; // stops at the first non-digit: no pass over all of a long header
  }
  return text !== '';
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP date; bounded; undefined when unreadable. */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (allDigits(trimmed)) return boundedDelay(Number(trimmed) * 1000);
  if (trimmed.length > MAX_RETRY_AFTER_CHARACTERS) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : boundedDelay(date - now.getTime());
}
