// JSON logs via pino, with redaction as a safety net: credentials must never be logged on
// purpose, and this catches the ones that slip in inside a logged object. Redaction works on
// logged objects and child bindings only; never interpolate a secret into the message string.
//
// Why our own walk instead of pino's `redact` paths: those are exact, case-sensitive paths where
// `*` matches one level, so values at depth 5, `Authorization`, `X-Auth-Token`, `secret`,
// `credentials` and a kubeconfig's `users[].user.token` got through; and the 60 wildcard paths
// were slow. bench/log.ts, per call, paths → this walk (a busy 2-core VM, so read the ratio):
// small object 84-102 → 2.7-3.0 µs, Error with fields 194-198 → 11 µs, nested object 236-281 →
// 6-8 µs, message only 33-35 → 2-2.6 µs. The walk copies only what it changes.
import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type Level, type Logger } from 'pino';

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

/**
 * A key whose value is a credential ends with one of these once lower-cased and stripped of
 * `-`, `_`, `.` and spaces: `token`, `accessToken`, `X-Auth-Token`, `clientSecret`,
 * `client_secret`, `Authorization`, `Set-Cookie`, `client-key-data`, … Keys that merely start
 * with one (`tokenExpiresAt`, `secretRef`, `secretName`) are kept.
 */
export const SENSITIVE_KEY_ENDINGS: readonly string[] = [
  'token',
  'secret',
  'password',
  'passwd',
  'passphrase',
  'privatekey',
  'apikey',
  'keydata',
  'credential',
  'credentials',
  'authorization',
  'cookie',
  'sessionid',
  'assertion',
  'codeverifier',
];

/** Whole keys whose values are credentials: a Kubernetes Secret's data, however it is logged. */
const SENSITIVE_KEY_NAMES: ReadonlySet<string> = new Set(['data', 'stringdata']);

/** Deeper than anything we log; past it, values are cut rather than walked. */
const MAX_DEPTH = 64;
/** Logged key names are few; the cache is cleared if something logs unbounded names. */
const MAX_CACHED_KEYS = 4096;
const sensitiveKeyCache = new Map<string, boolean>();

export function isSensitiveKey(key: string): boolean {
  let sensitive = sensitiveKeyCache.get(key);
  if (sensitive === undefined) {
    const normalized = key.toLowerCase().replace(/[-_.\s]/g, '');
    sensitive = SENSITIVE_KEY_NAMES.has(normalized) || SENSITIVE_KEY_ENDINGS.some((end) => normalized.endsWith(end));
    if (sensitiveKeyCache.size >= MAX_CACHED_KEYS) sensitiveKeyCache.clear();
    sensitiveKeyCache.set(key, sensitive);
  }
  return sensitive;
}

/**
 * `value` with the value of every sensitive key replaced by REDACTED, at any depth, inside
 * arrays and Errors. Errors become what pino prints for them (type, message and stack with their
 * causes, own fields); a cause's own fields are not printed. Returns `value` itself when nothing
 * changes, so the common case allocates nothing.
 */
export function redact(value: unknown): unknown {
  return redactValue(value, []);
}

function redactValue(value: unknown, ancestors: object[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (ancestors.length >= MAX_DEPTH) return '[Too deep]';
  if (value instanceof Error) return redactValue(pino.stdSerializers.err(value), ancestors);
  // Dates, URLs, Buffers print through their own toJSON and have no keys of ours.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  ancestors.push(value);
  const result = Array.isArray(value) ? redactArray(value, ancestors) : redactFields(value, ancestors);
  ancestors.pop();
  return result;
}

function redactArray(array: readonly unknown[], ancestors: object[]): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const next = redactValue(array[i], ancestors);
    if (next !== array[i]) (copy ??= [...array])[i] = next;
  }
  return copy ?? array;
}

function redactFields(object: object, ancestors: object[]): object {
  let copy: Record<string, unknown> | undefined;
  const fields = object as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    const next = value !== undefined && isSensitiveKey(key) ? REDACTED : redactValue(value, ancestors);
    if (next !== value) (copy ??= { ...fields })[key] = next;
  }
  return copy ?? object;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    ...(options.name === undefined ? {} : { name: options.name }),
    // Level names, not numbers, and ISO times: what log pipelines and humans expect.
    formatters: { level: (label: string) => ({ level: label }), log: redactLogged },
    // Errors under any key are serialised by the redaction above; pino must not do it again.
    serializers: { err: (value: unknown) => value },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const logger = options.destination === undefined ? pino(settings) : pino(settings, options.destination);
  return redactBindings(logger);
}

function redactLogged(object: Record<string, unknown>): Record<string, unknown> {
  return redact(object) as Record<string, unknown>;
}

// Child bindings are serialised once, when the child is made, and pino's `formatters.log` never
// sees them. A child is made with Object.create(parent), so these overrides on the root logger
// serve every descendant.
function redactBindings(logger: Logger): Logger {
  const { child, setBindings } = logger;
  logger.child = function redactedChild<L extends string = never>(
    this: Logger,
    bindings: Bindings,
    options?: ChildLoggerOptions<L>,
  ): Logger<L> {
    return child.call(this, redact(bindings) as Bindings, options) as Logger<L>;
  };
  logger.setBindings = function redactedSetBindings(this: Logger, bindings: Bindings) {
    setBindings.call(this, redact(bindings) as Bindings);
  };
  return logger;
}
