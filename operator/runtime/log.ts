// JSON logs via pino, with redaction as a safety net: credentials must never be logged on
// purpose, and this catches the ones that slip in inside a logged object. Redaction works on
// merged objects only; never interpolate a secret into the message string.
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  /** @default 'info' */
  readonly level?: LogLevel;
  /** Added to every line as `name`. */
  readonly name?: string;
  /** Where lines go. @default standard output */
  readonly destination?: DestinationStream;
}

export const REDACTED = '[REDACTED]';

/** Property names whose values are credentials wherever they appear. */
export const SENSITIVE_KEYS: readonly string[] = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'clientSecret',
  'client_secret',
  'password',
  'passphrase',
  'privateKey',
  'apiKey',
];

const SENSITIVE_HEADERS = ['authorization', 'cookie', '["set-cookie"]', '["x-auth-token"]', '["proxy-authorization"]'];

// pino's `*` matches one level, so each key is listed at every depth a logged object plausibly
// nests it (`{ token }`, `{ auth: { token } }`, `{ conn: { auth: { token } } }`, …).
const DEPTH_PREFIXES = ['', '*.', '*.*.', '*.*.*.'];

function headerPath(prefix: string, header: string): string {
  return header.startsWith('[') ? `${prefix}headers${header}` : `${prefix}headers.${header}`;
}

/** Every redaction path, in pino path syntax. */
export const REDACT_PATHS: readonly string[] = [
  ...SENSITIVE_KEYS.flatMap((key) => DEPTH_PREFIXES.map((prefix) => `${prefix}${key}`)),
  ...SENSITIVE_HEADERS.flatMap((header) => DEPTH_PREFIXES.slice(0, 3).map((prefix) => headerPath(prefix, header))),
  // A Kubernetes Secret logged under any key (`{ secret }`, `{ object }`) or in a list.
  '*.data',
  '*.stringData',
  '*.items[*].data',
  '*.items[*].stringData',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    ...(options.name === undefined ? {} : { name: options.name }),
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    // Level names, not numbers, and ISO times: what log pipelines and humans expect.
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}
