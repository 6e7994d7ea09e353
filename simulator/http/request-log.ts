// What tests read to see which calls a client made. It records method, host, path, query, status
// and time, and never a credential: no headers at all, no bodies, and the values of query
// parameters that can carry secrets are replaced before the entry is stored.
import type { FaultKind } from '../config/types.ts';

export const REDACTED = '[REDACTED]';

export interface RequestLogEntry {
  /** When the request arrived, on the simulator's clock (ISO 8601). */
  readonly time: string;
  readonly scheme: 'http' | 'https';
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** Query parameters; repeated names keep every value. Secret-bearing values are redacted. */
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  /** HTTP status sent, or 0 when the connection was reset on purpose. */
  readonly status: number;
  /** The fault that shaped this answer, if any. */
  readonly fault?: FaultKind;
}

export interface RequestLogFilter {
  readonly host?: string;
  readonly method?: string;
  /** Exact path, or a prefix when it ends with `*`. */
  readonly path?: string;
}

// Matches access_token, refresh_token, client_secret, password, assertion, code, X-Auth-Token, …
const SECRET_PARAM = /token|secret|passw|assertion|authorization|^code$|api_key/i;

export function redactQuery(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, raw] of params) {
    const value = SECRET_PARAM.test(name) ? REDACTED : raw;
    const previous = query[name];
    query[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}

export function pathMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/** Old entries are dropped beyond this, so a long demo run does not grow without bound. */
export const REQUEST_LOG_ENTRIES = 10_000;

export class RequestLog {
  readonly #entries: RequestLogEntry[] = [];

  add(entry: RequestLogEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > REQUEST_LOG_ENTRIES) this.#entries.shift();
  }

  entries(filter: RequestLogFilter = {}): RequestLogEntry[] {
    return this.#entries.filter(
      (e) =>
        (filter.host === undefined || e.host === filter.host.toLowerCase()) &&
        (filter.method === undefined || e.method === filter.method.toUpperCase()) &&
        (filter.path === undefined || pathMatches(filter.path, e.path)),
    );
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
