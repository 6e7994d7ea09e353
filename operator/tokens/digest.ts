// One digest for the token part: cache ids, fingerprints and token comparisons, never written with
// the value they digest.

import { createHash } from 'node:crypto';

/** base64url SHA-256 of `data`. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('base64url');
}
