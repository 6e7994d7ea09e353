// Text sent to the API server is limited in bytes of UTF-8 (an Event's note: 1,024; a condition's
// message: 32,768), while JavaScript measures strings in UTF-16 units. Cutting by `.length` sends
// up to three times the limit and can split a surrogate pair, so every cut goes through here.

/** Appended to a cut text so a reader knows it goes on. 3 bytes in UTF-8. */
export const ELLIPSIS = '…';

const encoder = new TextEncoder();

/**
 * `text` as well-formed Unicode (a lone surrogate becomes U+FFFD, as the API server would store
 * it) of at most `maxBytes` bytes of UTF-8. A longer text is cut on a code point boundary and
 * ends with `…`, which counts against the limit.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const wellFormed = text.toWellFormed();
  // Each UTF-16 unit encodes to at most 3 bytes, so short texts need no encoding at all.
  if (wellFormed.length * 3 <= maxBytes) return wellFormed;
  const room = new Uint8Array(maxBytes);
  const whole = encoder.encodeInto(wellFormed, room);
  if (whole.read === wellFormed.length) return wellFormed;
  // encodeInto stops before a code point that does not fit, so `read` never splits a pair.
  const cut = encoder.encodeInto(wellFormed, room.subarray(0, Math.max(0, maxBytes - byteLength(ELLIPSIS))));
  return wellFormed.slice(0, cut.read) + ELLIPSIS;
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
