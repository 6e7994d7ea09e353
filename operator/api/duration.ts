// Go-style durations (90s, 5m, 1h30m), as Kubernetes APIs and flags write them.

/** Go duration to milliseconds, for the twins of duration() rules. NaN when malformed. */
export function goDurationMs(value: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  const parts = [...value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) return Number.NaN;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
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
