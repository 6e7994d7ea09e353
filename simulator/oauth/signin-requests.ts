// Authorize requests waiting for the user to sign in. The sign-in page carries only an opaque id,
// so the client's parameters cannot be altered between authorize and sign-in.
import type { Clock } from '../clock.ts';
import { newSecret } from '../state/tokens.ts';

export interface SignInRequest {
  readonly host: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly state: string | null;
  /** RFC 7636 S256 code challenge, when the client sent one (assumption: pkce). */
  readonly codeChallenge?: string;
  readonly expiresAtMs: number;
}

/** assumption: signin-flow — a sign-in page left open longer than this must start again. */
const SIGN_IN_LIFETIME_MS = 10 * 60_000;

export class SignInRequests {
  readonly #clock: Clock;
  readonly #pending = new Map<string, SignInRequest>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  create(request: Omit<SignInRequest, 'expiresAtMs'>): string {
    const id = newSecret();
    this.#pending.set(id, { ...request, expiresAtMs: this.#clock.now().getTime() + SIGN_IN_LIFETIME_MS });
    return id;
  }

  get(id: string, host: string): SignInRequest | undefined {
    const request = this.#pending.get(id);
    if (!request || request.host !== host) return undefined;
    if (this.#clock.now().getTime() >= request.expiresAtMs) {
      this.#pending.delete(id);
      return undefined;
    }
    return request;
  }

  finish(id: string): void {
    this.#pending.delete(id);
  }
}
