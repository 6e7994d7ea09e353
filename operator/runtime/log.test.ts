import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, type LogLevel } from './log.ts';

function memoryLogger(level?: LogLevel): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[]; raw: () => string } {
  const chunks: string[] = [];
  const destination = { write: (chunk: string) => void chunks.push(chunk) };
  const logger = createLogger({ name: 'test', destination, ...(level ? { level } : {}) });
  return {
    logger,
    raw: () => chunks.join(''),
    lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

// Each case logs one object holding a canary; the canary must not reach the output at all.
const CANARY = 'CANARY-7f3a9c';

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
    ['Secret data', { secret: { kind: 'Secret', metadata: { name: 's' }, data: { clientSecret: Buffer.from(CANARY).toString('base64'), raw: CANARY } } }],
    ['Secret stringData', { object: { kind: 'Secret', stringData: { anything: CANARY } } }],
    ['Secret in a list', { list: { kind: 'SecretList', items: [{ kind: 'Secret', data: { x: CANARY } }] } }],
    ['token in an array element', { attempts: [{ token: CANARY }] }],
    ['token on a logged error', { err: Object.assign(new Error('refresh failed'), { refreshToken: CANARY }) }],
  ])('%s', (_name, payload) => {
    const { logger, raw } = memoryLogger();
    logger.info(payload, 'something happened');
    logger.child({ controller: 'connection' }).warn(payload, 'child logger too');
    expect(raw()).toContain(REDACTED);
    expect(raw()).not.toContain(CANARY);
    expect(raw()).not.toContain(Buffer.from(CANARY).toString('base64'));
  });

  it('leaves ordinary fields alone', () => {
    const { logger, lines } = memoryLogger();
    logger.info({ key: 'Connection/ns/prod', tokenExpiresAt: '2025-01-01T00:00:00Z', session: { accessToken: CANARY, expiresIn: 3600 } }, 'refreshed');
    expect(lines()[0]).toMatchObject({
      msg: 'refreshed',
      name: 'test',
      key: 'Connection/ns/prod',
      tokenExpiresAt: '2025-01-01T00:00:00Z',
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
