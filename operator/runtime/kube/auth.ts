// Credentials for each request. The transport asks an Authenticator before every request and
// tells it about a 401, so rotated service-account tokens and expiring exec credentials are
// picked up without restarting the process. No credential ever reaches a message or a log.
import { readFile } from 'node:fs/promises';
import type { Clock } from '../clock.ts';
import { KubeConfigError } from './errors.ts';

export interface Credentials {
  /** Bearer token. */
  readonly token?: string;
  readonly basic?: { readonly username: string; readonly password: string };
  /** PEM client certificate and key supplied per request (exec plugins may return them). */
  readonly cert?: string;
  readonly key?: string;
}

export interface Authenticator {
  credentials(): Promise<Credentials>;
  /** The server answered 401 to `rejected`; the next `credentials()` must not return them again. */
  invalidate(rejected: Credentials): void;
}

const none: Credentials = Object.freeze({});

/** No per-request credentials (client certificates from the kubeconfig, or anonymous). */
export const anonymous: Authenticator = {
  credentials: () => Promise.resolve(none),
  invalidate: () => {},
};

export function staticCredentials(credentials: Credentials): Authenticator {
  const frozen = Object.freeze({ ...credentials });
  return { credentials: () => Promise.resolve(frozen), invalidate: () => {} };
}

/** How long a token read from a file is trusted before the file is read again (client-go: 1 min). */
export const tokenFileRefreshMs = 60_000;

/**
 * A bearer token read from a file and re-read every minute and after a 401, as kubelet rotates
 * projected service-account tokens in place. If a later read fails the last good token is kept;
 * `fallback` (a kubeconfig `token` beside `tokenFile`) is used only if the file was never read.
 */
export class TokenFileAuthenticator implements Authenticator {
  readonly #path: string;
  readonly #clock: Clock;
  readonly #fallback: string | undefined;
  #current: Credentials | undefined;
  #readAtMs = 0;
  #stale = false;

  constructor(path: string, clock: Clock, fallback?: string) {
    this.#path = path;
    this.#clock = clock;
    this.#fallback = fallback;
  }

  async credentials(): Promise<Credentials> {
    const nowMs = this.#clock.now().getTime();
    if (this.#current && !this.#stale && nowMs - this.#readAtMs < tokenFileRefreshMs) return this.#current;
    const token = await this.#read();
    if (token !== undefined) {
      if (token !== this.#current?.token) this.#current = Object.freeze({ token });
      this.#readAtMs = nowMs;
      this.#stale = false;
    }
    if (this.#current) return this.#current;
    if (this.#fallback !== undefined) return Object.freeze({ token: this.#fallback });
    throw new KubeConfigError(`cannot read a bearer token from ${this.#path}`);
  }

  invalidate(rejected: Credentials): void {
    if (rejected === this.#current) this.#stale = true;
  }

  async #read(): Promise<string | undefined> {
    try {
      const token = (await readFile(this.#path, 'utf8')).trim();
      return token === '' ? undefined : token;
    } catch {
      return undefined;
    }
  }
}
