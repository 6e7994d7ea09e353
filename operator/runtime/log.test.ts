import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, type LogLevel } from './log.ts';

interface MemoryLogger {
  readonly logger: ReturnType<typeof createLogger>;
  lines(): Record<string, unknown>[];
  raw(): string;
}

function memoryLogger(level?: LogLevel): MemoryLogger {
  const chunks: string[] = [];
  const destination = { write: (chunk: string) => void chunks.push(chunk) };
  const logger = createLogger({ name: 'test', destination, ...(level ? { level } : {}) });
  const raw = (): string => chunks.join('');
  return {
    logger,
    raw,
    lines: () =>
      raw()
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const failure = (message: string, fields: Record<string, unknown>): Error => Object.assign(new Error(message), fields);

// Each case logs one object holding a canary; the canary must not reach the output at all.
const CANARY = 'CANARY-7f3a9c';
const BASE64_CANARY = Buffer.from(CANARY).toString('base64');

describe('redaction', () => {
  it.each<[string, Record<string, unknown>]>([
    ['top-level token', { token: CANARY }],
    ['nested accessToken', { session: { accessToken: CANARY } }],
    ['deeply nested refreshToken', { connection: { auth: { oauth: { refreshToken: CANARY } } } }],
    ['snake_case access_token from a token response', { response: { body: { access_token: CANARY } } }],
    ['id_token', { tokens: { id_token: CANARY } }],
    ['clientSecret', { spec: { clientSecret: CANARY } }],
    ['client_secret in a form', { form: { client_secret: CANARY } }],
    ['password', { user: { password: CANARY } }],
    ['passphrase', { key: { passphrase: CANARY } }],
    ['privateKey', { tls: { privateKey: CANARY } }],
    ['authorization header', { headers: { authorization: `Bearer ${CANARY}` } }],
    ['authorization header on a request', { req: { headers: { authorization: `Bearer ${CANARY}` } } }],
    ['X-Auth-Token header (iManage)', { request: { headers: { 'x-auth-token': CANARY } } }],
    ['cookie header', { res: { headers: { 'set-cookie': CANARY, cookie: CANARY } } }],
    [
      'Secret data',
      {
        secret: { kind: 'Secret', metadata: { name: 's' }, data: { clientSecret: BASE64_CANARY, raw: CANARY } },
      },
    ],
    ['Secret stringData', { object: { kind: 'Secret', stringData: { anything: CANARY } } }],
    ['Secret in a list', { list: { kind: 'SecretList', items: [{ kind: 'Secret', data: { x: CANARY } }] } }],
    ['token in an array element', { attempts: [{ token: CANARY }] }],
    ['token on a logged error', { err: failure('refresh failed', { refreshToken: CANARY }) }],
    // Found in review (issue 10): depth 5 and deeper, capitals, and keys the old paths did not list.
    ['token at depth 5', { a: { b: { c: { d: { token: CANARY } } } } }],
    ['password at depth 9', { a: { b: { c: { d: { e: { f: { g: { h: { password: CANARY } } } } } } } } }],
    ['Authorization header with a capital', { res: { headers: { Authorization: `Bearer ${CANARY}` } } }],
    ['X-Auth-Token header with capitals', { request: { options: { headers: { 'X-Auth-Token': CANARY } } } }],
    ['key named secret', { secret: CANARY }],
    ['key named credentials', { config: { credentials: { user: 'u', pass: CANARY } } }],
    ['key named Token', { Token: CANARY }],
    ['kubeconfig users[].user.token', { kubeconfig: { users: [{ name: 'sa', user: { token: CANARY } }] } }],
    ['kubeconfig client-key-data', { kubeconfig: { users: [{ user: { 'client-key-data': CANARY } }] } }],
    ['CLIENT_SECRET in upper snake case', { env: { IMANAGE_DEFAULT_CLIENT_SECRET: CANARY } }],
    ['Secret data at depth 6', { a: { b: { c: { d: { secretObject: { data: { x: CANARY } } } } } } }],
    ['token in nested arrays', { batches: [[{ items: [{ accessToken: CANARY }] }]] }],
    ['token on an Error under another key', { error: failure('boom', { token: CANARY }) }],
    ['token deep inside an Error field', { err: failure('boom', { req: { headers: { Authorization: CANARY } } }) }],
    ['token on an Error in an array', { failures: [failure('x', { token: CANARY })] }],
    ['token on an AggregateError member', { err: new AggregateError([failure('x', { token: CANARY })], 'all') }],
  ])('%s', (_name, payload) => {
    const { logger, raw } = memoryLogger();
    logger.info(payload, 'something happened');
    logger.child({ controller: 'connection' }).warn(payload, 'child logger too');
    expect(raw()).toContain(REDACTED);
    expect(raw()).not.toContain(CANARY);
    expect(raw()).not.toContain(BASE64_CANARY);
  });

  // pino prints a cause's message and stack inside the error's, never the cause's own fields.
  it.each<[string, Error]>([
    ["an Error's cause", new Error('outer', { cause: failure('inner', { token: CANARY }) })],
    ['a cause two levels down', new Error('a', { cause: new Error('b', { cause: failure('c', { secret: CANARY }) }) })],
    ['a cause set as a field', failure('outer', { cause: failure('inner', { token: CANARY }) })],
  ])('keeps the token on %s out', (_name, err) => {
    const { logger, raw } = memoryLogger();
    logger.warn({ err, nested: { failure: err } }, 'failed');
    expect(raw()).toContain(err.message);
    expect(raw()).not.toContain(CANARY);
  });

  it('redacts child bindings and setBindings, and logs an Error passed alone', () => {
    const { logger, raw } = memoryLogger();
    const child = logger.child({ connection: { auth: { ClientSecret: CANARY } } });
    child.info('from the child');
    child.child({ nested: { a: { b: { c: { token: CANARY } } } } }).info('from a grandchild');
    child.setBindings({ headers: { Cookie: CANARY } });
    child.info('after setBindings');
    logger.error(failure('bare', { credentials: CANARY }));
    expect(raw().split('\n').filter(Boolean)).toHaveLength(4);
    expect(raw()).not.toContain(CANARY);
  });

  it('prints an Error with its type, message, stack, causes and own fields', () => {
    const { logger, lines } = memoryLogger();
    const cause = failure('inner', { token: CANARY });
    logger.warn({ err: Object.assign(new TypeError('outer', { cause }), { status: 409, token: CANARY }) }, 'failed');
    const err = lines()[0]!['err'] as Record<string, unknown>;
    expect(err).toMatchObject({ type: 'TypeError', message: 'outer: inner', status: 409, token: REDACTED });
    expect(String(err['stack'])).toContain('caused by: Error: inner');
  });

  it('survives circular objects and leaves the logged object unchanged', () => {
    const { logger, raw } = memoryLogger();
    const loop: Record<string, unknown> = { name: 'loop', password: CANARY };
    loop['self'] = loop;
    const payload = { loop, list: [loop] };
    logger.info(payload, 'circular');
    expect(raw()).not.toContain(CANARY);
    expect(raw()).toContain('[Circular]');
    expect(loop['password']).toBe(CANARY);
  });

  it('leaves ordinary fields alone', () => {
    const { logger, lines } = memoryLogger();
    logger.info(
      {
        key: 'Connection/ns/prod',
        tokenExpiresAt: '2025-01-01T00:00:00Z',
        secretRef: { name: 'acme-credentials' },
        session: { accessToken: CANARY, expiresIn: 3600 },
      },
      'refreshed',
    );
    expect(lines()[0]).toMatchObject({
      msg: 'refreshed',
      name: 'test',
      key: 'Connection/ns/prod',
      tokenExpiresAt: '2025-01-01T00:00:00Z',
      secretRef: { name: 'acme-credentials' },
      session: { accessToken: REDACTED, expiresIn: 3600 },
    });
  });
});

describe('createLogger', () => {
  it('writes JSON lines with a level label and an ISO time', () => {
    const { logger, lines } = memoryLogger();
    logger.info('hello');
    const [line] = lines();
    expect(line).toMatchObject({ level: 'info', msg: 'hello', name: 'test' });
    expect(String(line!['time'])).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it.each<[LogLevel | undefined, string[]]>([
    [undefined, ['info', 'warn']],
    ['debug', ['debug', 'info', 'warn']],
    ['warn', ['warn']],
    ['silent', []],
  ])('level %s emits %j', (level, expected) => {
    const { logger, lines } = memoryLogger(level);
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    expect(lines().map((l) => l['level'])).toEqual(expected);
  });
});
