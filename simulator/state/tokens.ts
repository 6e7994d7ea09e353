// Issued credentials: authorization codes, access tokens, refresh tokens. Lifetimes are measured
// on the injected clock; values are random and never leave this module except to their holder.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { ApplicationConfig, RefreshTokenRotation } from '../config/types.ts';

/** Whom a credential speaks for. */
export interface Principal {
  readonly customerId: string;
  readonly username: string;
  readonly clientId: string;
  readonly scope: string;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly expires_in: number;
  readonly token_type: 'Bearer';
}

interface AccessRecord extends Principal {
  lastUsedMs: number;
  readonly idleMs: number;
}

interface RefreshRecord extends Principal {
  readonly expiresAtMs: number;
  /** until-new-token-used: the token this one replaced, still valid until this one is first used. */
  readonly replaces?: string;
}

export interface CodeRecord extends Principal {
  readonly redirectUri: string;
  /** assumption: pkce — the S256 challenge of the authorize request, if any. */
  readonly codeChallenge?: string;
  readonly expiresAtMs: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function principalOf(p: Principal): Principal {
  return { customerId: p.customerId, username: p.username, clientId: p.clientId, scope: p.scope };
}

function principalOfRefresh(r: RefreshRecord): RefreshRecord {
  return { ...principalOf(r), expiresAtMs: r.expiresAtMs };
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export class TokenStore {
  readonly #clock: Clock;
  readonly #access = new Map<string, AccessRecord>();
  readonly #refresh = new Map<string, RefreshRecord>();
  readonly #codes = new Map<string, CodeRecord>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  #nowMs(): number {
    return this.#clock.now().getTime();
  }

  /** assumption: refresh-disallowed — no refresh token unless the application allows them. */
  issue(principal: Principal, app: ApplicationConfig, replaces?: string): TokenResponse {
    const access = newSecret();
    const idleMs = app.accessTokenMinutes * MINUTE_MS;
    this.#access.set(access, { ...principal, lastUsedMs: this.#nowMs(), idleMs });
    const response = { access_token: access, expires_in: idleMs / 1000, token_type: 'Bearer' as const };
    if (!app.allowRefreshToken) return response;
    const refresh = newSecret();
    const expiresAtMs = this.#nowMs() + app.refreshTokenDays * DAY_MS;
    this.#refresh.set(refresh, { ...principalOf(principal), expiresAtMs, ...(replaces ? { replaces } : {}) });
    return { ...response, refresh_token: refresh };
  }

  /** assumption: access-token-idle-expiry — each successful use restarts the idle window. */
  useAccessToken(token: string): Principal | undefined {
    const record = this.#access.get(token);
    if (!record) return undefined;
    const now = this.#nowMs();
    if (now - record.lastUsedMs >= record.idleMs) {
      this.#access.delete(token);
      return undefined;
    }
    record.lastUsedMs = now;
    return record;
  }

  /**
   * assumption: refresh-rotation — revoke-at-once: a refresh token works once; the caller issues the next.
   * assumption: refresh-rotation-grace — until-new-token-used: the presented token stays valid (the
   * caller passes it to issue() as `replaces`); the first use of a token ends the one it replaced
   * and every other token issued from that one.
   */
  consumeRefreshToken(token: string, rotation: RefreshTokenRotation): Principal | undefined {
    const record = this.#refresh.get(token);
    if (rotation === 'revoke-at-once' || !record) this.#refresh.delete(token);
    if (!record || this.#nowMs() >= record.expiresAtMs) {
      this.#refresh.delete(token);
      return undefined;
    }
    if (rotation === 'until-new-token-used' && record.replaces !== undefined) this.#endLineage(token, record.replaces);
    return principalOf(record);
  }

  /** Ends `previous` and its other successors: from now on only `kept` speaks for them. */
  #endLineage(kept: string, previous: string): void {
    this.#refresh.delete(previous);
    for (const [value, record] of this.#refresh) {
      if (record.replaces === previous && value !== kept) this.#refresh.delete(value);
    }
    const keptRecord = this.#refresh.get(kept);
    if (keptRecord) this.#refresh.set(kept, principalOfRefresh(keptRecord));
  }

  /** Looks without consuming, so a refresh by the wrong client does not burn the token. */
  peekRefreshToken(token: string): Principal | undefined {
    return this.#refresh.get(token);
  }

  issueCode(principal: Principal, redirectUri: string, lifetimeSeconds: number, codeChallenge?: string): string {
    const code = newSecret();
    const expiresAtMs = this.#nowMs() + lifetimeSeconds * 1000;
    this.#codes.set(code, { ...principal, redirectUri, expiresAtMs, ...(codeChallenge ? { codeChallenge } : {}) });
    return code;
  }

  /** assumption: authorization-code — single use, short-lived. */
  consumeCode(code: string): CodeRecord | undefined {
    const record = this.#codes.get(code);
    this.#codes.delete(code);
    if (!record || this.#nowMs() >= record.expiresAtMs) return undefined;
    return record;
  }

  revokeAccessToken(token: string): void {
    this.#access.delete(token);
  }

  /** assumption: revoke-refresh-token */
  revokeRefreshToken(token: string): void {
    this.#refresh.delete(token);
  }

  /** Admin: forget every credential (as if the server restarted its token store). */
  revokeAll(): void {
    this.#access.clear();
    this.#refresh.clear();
    this.#codes.clear();
  }

  counts(): { accessTokens: number; refreshTokens: number; codes: number } {
    return { accessTokens: this.#access.size, refreshTokens: this.#refresh.size, codes: this.#codes.size };
  }
}
