// When tokens are refreshed and when they end, computed from what the token Secret records, so that
// a restarted operator keeps every connection's schedule instead of refreshing all at once. Pure.

import { createHash } from 'node:crypto';
import type { IssuedTokens, RefreshedTokens } from '../imanage/oauth.ts';
import type { StoredPayload } from './stored.ts';

/** iManage's default refresh-token lifetime (Control Center): 365 days from its issue. */
export const REFRESH_TOKEN_LIFETIME_MS = 365 * 86_400_000;
/** RefreshTokenExpiring this long before the refresh token ends: re-linking needs a human. */
export const REFRESH_TOKEN_WARNING_MS = 30 * 86_400_000;
/** At least this share of an access token's life passes between refreshes, whatever refreshBefore says. */
const MIN_LIFE_USED = 0.1;
/** Refreshes spread over this share of the time between obtaining and refreshing. */
const JITTER_SHARE = 0.1;
/**
 * Never refresh sooner than this after the tokens were obtained, whatever the server said: with
 * `expires_in: 0` one connection made 246 token requests in 20 s (issue 18, finding 3).
 */
export const MIN_REFRESH_INTERVAL_MS = 5_000;
/** An access token that lives less than this "expires at once": it cannot be used, and says so in status. */
export const MIN_USEFUL_TOKEN_LIFE_MS = 10_000;

export interface PayloadExtras {
  readonly account?: string;
  readonly seedSha256?: string;
}

/** The payload to store for tokens just issued; `before` is what was stored (kept where the answer is silent). */
export function payloadOf(
  tokens: IssuedTokens | RefreshedTokens,
  before: StoredPayload | undefined,
  extras: PayloadExtras,
): StoredPayload {
  const at = tokens.obtainedAt.getTime();
  const newRefreshToken = tokens.refreshToken !== undefined && tokens.refreshToken !== before?.refresh_token;
  const refreshToken = tokens.refreshToken ?? before?.refresh_token;
  const refreshEnds = newRefreshToken ? iso(at + REFRESH_TOKEN_LIFETIME_MS) : before?.refresh_token_expires_at;
  const account = extras.account ?? before?.account;
  const seed = extras.seedSha256 ?? before?.seed_sha256;
  return {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    obtained_at: iso(at),
    ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
    ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
    ...(tokens.expiresInSeconds !== undefined
      ? { access_token_expires_at: iso(at + tokens.expiresInSeconds * 1000) }
      : {}),
    ...(refreshToken !== undefined && refreshEnds !== undefined ? { refresh_token_expires_at: refreshEnds } : {}),
    ...(account !== undefined ? { account } : {}),
    ...(seed !== undefined ? { seed_sha256: seed } : {}),
  };
}

/**
 * When to refresh: `refreshBeforeMs` ahead of the access token's expiry, spread by a jitter that
 * is fixed per connection and issue (so every reconcile computes the same time), and never sooner
 * than a tenth of the token's life (a refreshBefore longer than the lifetime would loop) nor than
 * MIN_REFRESH_INTERVAL_MS after the tokens were obtained (a lifetime of zero would loop).
 */
export function refreshAt(payload: StoredPayload, refreshBeforeMs: number, jitterKey: string): Date | undefined {
  if (payload.access_token_expires_at === undefined) return undefined;
  const jitter = unitFraction(`${jitterKey}|${payload.obtained_at}`);
  return refreshTime(payload.obtained_at, payload.access_token_expires_at, refreshBeforeMs, jitter);
}

/**
 * The earliest time `refreshAt` can give for tokens obtained and expiring at these times, whatever
 * the connection's jitter: a new process that knows only the status must look no later than this.
 */
export function earliestRefreshAt(obtainedAt: string, expiresAt: string, refreshBeforeMs: number): Date {
  return refreshTime(obtainedAt, expiresAt, refreshBeforeMs, 1);
}

function refreshTime(obtainedAt: string, expiresAt: string, refreshBeforeMs: number, jitter: number): Date {
  const expires = Date.parse(expiresAt);
  const obtained = Date.parse(obtainedAt);
  const life = Math.max(0, expires - obtained);
  const ahead = Math.min(refreshBeforeMs, life * (1 - MIN_LIFE_USED));
  const spread = (life - ahead) * JITTER_SHARE * jitter;
  return new Date(Math.max(expires - ahead - spread, obtained + MIN_REFRESH_INTERVAL_MS));
}

/** The access token's whole life in seconds, when it is too short to use (see MIN_USEFUL_TOKEN_LIFE_MS). */
export function uselessLifeSeconds(payload: StoredPayload): number | undefined {
  if (payload.access_token_expires_at === undefined) return undefined;
  const life = Date.parse(payload.access_token_expires_at) - Date.parse(payload.obtained_at);
  return life < MIN_USEFUL_TOKEN_LIFE_MS ? Math.max(0, Math.round(life / 1000)) : undefined;
}

export function accessTokenValid(payload: StoredPayload, now: Date): boolean {
  const ends = payload.access_token_expires_at;
  return ends === undefined || Date.parse(ends) > now.getTime();
}

export function refreshTokenEndsSoon(payload: StoredPayload, now: Date): boolean {
  const ends = payload.refresh_token_expires_at;
  return ends !== undefined && Date.parse(ends) - now.getTime() < REFRESH_TOKEN_WARNING_MS;
}

/** A stable number in [0, 1) from a key. */
function unitFraction(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
