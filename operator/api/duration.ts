// Go-style durations (90s, 5m, 1h30m), as Kubernetes APIs and flags write them.

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
/** One number and its unit, matched only where the last one ended (sticky). */
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/y;

/**
 * Go duration to milliseconds, for the twins of duration() rules. NaN when malformed. The parts are
 * read one after another from the start, without the iterator and arrays of a global match: the
 * schema's twins call this on every check of a connection (docs/scale.md).
 */
export function goDurationMs(value: string): number {
  let sum = 0;
  let at = 0;
  while (at < value.length) {
    PART.lastIndex = at;
    const part = PART.exec(value);
    if (part === null) return Number.NaN;
    sum += Number(part[1]) * UNIT_MS[part[2]!]!;
    at = PART.lastIndex;
  }
  return at === 0 ? Number.NaN : sum;
}

/** The longest a probe is ever put off: an hour (documented in spec.probes.interval). */
export const MAX_PROBE_DELAY_MS = 3_600_000;
/** The longest one probe may take (documented in spec.probes.timeout). */
export const MAX_PROBE_TIMEOUT_MS = 60_000;
/** The shortest wait between two looks at one connection. */
export const MIN_PROBE_DELAY_MS = 1_000;

/** `ms` within [min, max]; NaN and negative values become `min`, infinities the bound they lean to. */
export function boundedDelay(ms: number, max = MAX_PROBE_DELAY_MS, min = 0): number {
  if (Number.isNaN(ms)) return min;
  return Math.min(max, Math.max(min, ms));
}
