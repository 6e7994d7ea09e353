/** Levenshtein distance over code points, so a typo in a non-ASCII name counts as one edit. */
export function editDistance(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  let previous = Array.from({ length: right.length + 1 }, (_, j) => j);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length]!;
}

/**
 * The candidate closest to `wanted` (ignoring case, since a wrong case is the commonest slip), or
 * undefined when even the closest one differs in more than about half its characters: suggesting
 * 'id' for 'xyz' would mislead more than help.
 */
export function nearest(wanted: string, candidates: readonly string[]): string | undefined {
  const length = Array.from(wanted).length;
  const tolerance = Math.max(2, Math.floor(length / 2));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: a key of megabytes is never compared
    // cell by cell (that would take seconds) when no candidate could be within tolerance.
    if (Math.abs(length - Array.from(candidate).length) > tolerance) continue;
    const distance = editDistance(wanted.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= tolerance ? best : undefined;
}
