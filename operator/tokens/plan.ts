// The token planner: from what was observed of one connection's tokens, the one action to take
// next and why. Pure: no I/O, no clock of its own, no state. The executor (flow.ts) carries the
// action out in the crash-safe order its header describes, then asks again with what it holds
// now, until the plan is `nothing`; a rewrite and a grant never share one plan.

import type { StoredPayload } from './stored.ts';
import { sha256 } from './digest.ts';
import { refreshAt } from './schedule.ts';

export type Grant = 'AuthorizationCode' | 'Password' | 'ClientCredentials';

/** Why a stored payload is written again unchanged: each is one of LoadedTokens' rewrites. */
export type RewriteReason =
  /** Stored plain, and spec.tokens.encryption now names key material. */
  | 'Encrypt'
  /** Opened with spec.tokens.encryption.previousPassphraseSecretRef: rotate to the current passphrase. */
  | 'PreviousPassphrase'
  /** The fingerprint is of the earlier format, which holds a passphrase verifier. */
  | 'PassphraseVerifier'
  /** No controller owner yet, and the adopt-by annotation names this connection. */
  | 'Adopted';

/** What the token Secret held, and what the connection offers, when the pass looked. */
export interface TokenSituation {
  readonly grant: Grant;
  /** Absent when there is no token Secret. */
  readonly stored?: {
    readonly payload: StoredPayload;
    readonly rewrite?: RewriteReason | undefined;
  };
  /** The refresh token seeded in spec.auth.credentialsSecretRef (trimmed), when there is one. */
  readonly seed?: string | undefined;
  /** iManage refused this seed before, and neither it nor the spec changed since. */
  readonly seedRefusedBefore?: boolean;
  readonly now: Date;
  readonly refreshBeforeMs: number;
  /** Spreads the refresh times of many connections: fixed per connection (its uid). */
  readonly jitterKey: string;
}

export type TokenPlan =
  | { readonly action: 'store'; readonly reason: RewriteReason }
  /** Take a seeded refresh token over: a new lineage, replacing what is stored. */
  | {
      readonly action: 'adopt';
      readonly reason: 'SeedNew' | 'SeedChanged' | 'LinkedTokensRefused';
      readonly seed: string;
    }
  | {
      readonly action: 'obtain';
      readonly reason: 'NoTokens' | 'RefreshTokenRefused' | 'NoRefreshToken';
    }
  | {
      readonly action: 'refresh';
      readonly reason: 'Due';
      readonly refreshToken: string;
    }
  | {
      readonly action: 'nothing';
      readonly reason: 'Fresh' | 'NotLinked' | 'RefreshTokenRefused' | 'SeedRefusedBefore' | 'NoRefreshToken';
    };

/** The one action to take now. */
export function planTokens(s: TokenSituation): TokenPlan {
  if (s.stored?.rewrite) return { action: 'store', reason: s.stored.rewrite };
  const seed = seedToTakeOver(s);
  if (seed) {
    if (s.seedRefusedBefore) return { action: 'nothing', reason: 'SeedRefusedBefore' };
    return { action: 'adopt', reason: seed, seed: s.seed! };
  }
  const payload = s.stored?.payload;
  const linksInteractively = s.grant === 'AuthorizationCode';
  if (!payload) return linksInteractively ? nothing('NotLinked') : { action: 'obtain', reason: 'NoTokens' };
  if (payload.refresh_token_refused_at !== undefined) {
    return linksInteractively ? nothing('RefreshTokenRefused') : { action: 'obtain', reason: 'RefreshTokenRefused' };
  }
  const due = refreshAt(payload, s.refreshBeforeMs, s.jitterKey);
  if (due === undefined || due.getTime() > s.now.getTime()) return nothing('Fresh');
  if (payload.refresh_token !== undefined)
    return {
      action: 'refresh',
      reason: 'Due',
      refreshToken: payload.refresh_token,
    };
  return planWithoutRefresh(s.grant);
}

/** No refresh token to present (the application issues none, or refuses the grant): grant again, or for a linked account, wait for expiry. */
export function planWithoutRefresh(grant: Grant): TokenPlan {
  return grant === 'AuthorizationCode' ? nothing('NoRefreshToken') : { action: 'obtain', reason: 'NoRefreshToken' };
}

const nothing = (reason: Extract<TokenPlan, { action: 'nothing' }>['reason']): TokenPlan => ({
  action: 'nothing',
  reason,
});

/** A seeded refresh token not yet taken over: absent from the Secret, or replaced by the admin. */
function seedToTakeOver(s: TokenSituation): Extract<TokenPlan, { action: 'adopt' }>['reason'] | undefined {
  if (s.grant !== 'AuthorizationCode' || !s.seed) return undefined;
  const stored = s.stored?.payload;
  if (!stored) return 'SeedNew';
  // Tokens from an interactive link (no seed recorded) win over a seed, unless iManage refused them.
  if (stored.seed_sha256 === undefined)
    return stored.refresh_token_refused_at !== undefined ? 'LinkedTokensRefused' : undefined;
  return stored.seed_sha256 === sha256(s.seed) ? undefined : 'SeedChanged';
}

/** iManage refused the presented refresh token: what the Secret holds now decides (another writer may have rotated it). */
export type AfterRefusal =
  | { readonly action: 'nothing'; readonly reason: 'RotatedElsewhere' }
  | { readonly action: 'obtain'; readonly reason: 'RefreshTokenRefused' }
  /** Record the refusal in the payload (refresh_token_refused_at), so that it is not presented again. */
  | { readonly action: 'store'; readonly reason: 'RefreshTokenRefused' }
  | { readonly action: 'fail'; readonly reason: 'RefreshTokenRefused' };

export function planAfterRefusal(grant: Grant, presented: string, now: StoredPayload | undefined): AfterRefusal {
  if (now && now.refresh_token !== presented) return { action: 'nothing', reason: 'RotatedElsewhere' };
  if (grant !== 'AuthorizationCode') return { action: 'obtain', reason: 'RefreshTokenRefused' };
  return now ? { action: 'store', reason: 'RefreshTokenRefused' } : { action: 'fail', reason: 'RefreshTokenRefused' };
}

/** A conditional write lost: store again over the current version, or keep theirs and revoke ours. */
export type AfterConflict =
  | { readonly action: 'store'; readonly reason: 'Unchanged' }
  | { readonly action: 'revoke'; readonly reason: 'NewerTokensStored' }
  | { readonly action: 'fail'; readonly reason: 'SecretDeleted' };

export function planAfterConflict(
  before: StoredPayload | undefined,
  current: StoredPayload | undefined,
): AfterConflict {
  if (!current) return { action: 'fail', reason: 'SecretDeleted' };
  if (current.refresh_token === before?.refresh_token) return { action: 'store', reason: 'Unchanged' };
  return { action: 'revoke', reason: 'NewerTokensStored' };
}
