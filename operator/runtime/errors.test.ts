import { describe, expect, it } from 'vitest';
import { InvalidReasonError } from './conditions.ts';
import {
  classify,
  ConfigurationError,
  missingPermissionOf,
  GoneError,
  retryAfterMsOf,
  stalledDetail,
  TransientError,
  type ErrorClass,
} from './errors.ts';

// Stand-ins shaped like operator/runtime/kube/errors.ts's ApiError family: only `status` matters.
class FakeApiError extends Error {
  readonly status: number;
  constructor(status: number, message = `HTTP ${status}`) {
    super(message);
    this.status = status;
  }
}

describe('classify', () => {
  it.each<[string, unknown, ErrorClass]>([
    ['TransientError', new TransientError('iManage is down'), 'transient'],
    ['ConfigurationError', new ConfigurationError('InvalidSpec', 'bad'), 'configuration'],
    ['GoneError', new GoneError('deleted'), 'gone'],
    ['404 NotFound', new FakeApiError(404), 'gone'],
    ['409 Conflict', new FakeApiError(409), 'transient'],
    ['429 TooManyRequests', new FakeApiError(429), 'transient'],
    ['408 RequestTimeout', new FakeApiError(408), 'transient'],
    ['status 0: no response (network error)', new FakeApiError(0), 'transient'],
    ['500 InternalError', new FakeApiError(500), 'transient'],
    ['503 ServiceUnavailable', new FakeApiError(503), 'transient'],
    ['504 GatewayTimeout', new FakeApiError(504), 'transient'],
    ['400 BadRequest', new FakeApiError(400), 'configuration'],
    ['401 Unauthorized', new FakeApiError(401), 'transient'],
    ['403 Forbidden: a missing permission, retried', new FakeApiError(403), 'permission'],
    [
      '403 marked transient (answered while the server was restarting)',
      Object.assign(new FakeApiError(403), { transient: true }),
      'transient',
    ],
    ['401 marked transient', Object.assign(new FakeApiError(401), { transient: true }), 'transient'],
    ['transient: "yes" is not the flag', Object.assign(new FakeApiError(403), { transient: 'yes' }), 'permission'],
    ['422 Invalid', new FakeApiError(422), 'configuration'],
    ['plain object with status 404', { status: 404 }, 'gone'],
    ['string status is ignored', { status: '404' }, 'transient'],
    ['3xx status', new FakeApiError(304), 'transient'],
    ['plain Error', new Error('boom'), 'transient'],
    ['TypeError from a bug', new TypeError('x is undefined'), 'transient'],
    ['non-Error value', 'oops', 'transient'],
    ['undefined', undefined, 'transient'],
    ['null', null, 'transient'],
  ])('%s → %s', (_name, err, expected) => {
    expect(classify(err)).toBe(expected);
  });

  it('prefers the typed class over a status the error also carries', () => {
    const err = Object.assign(new TransientError('wrapped'), { status: 404 });
    expect(classify(err)).toBe('transient');
  });
});

describe('TransientError', () => {
  it('carries retryAfterMs and cause', () => {
    const cause = new Error('socket hang up');
    const err = new TransientError('retry', { retryAfterMs: 2500, cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('TransientError');
    expect(err.retryAfterMs).toBe(2500);
    expect(err.cause).toBe(cause);
  });
});

describe('retryAfterMsOf', () => {
  it.each<[string, unknown, number | undefined]>([
    ['TransientError with a delay', new TransientError('x', { retryAfterMs: 1000 }), 1000],
    ['TransientError without', new TransientError('x'), undefined],
    ['duck-typed API error', { status: 429, retryAfterMs: 3000 }, 3000],
    ['zero', { retryAfterMs: 0 }, undefined],
    ['negative', { retryAfterMs: -5 }, undefined],
    ['not a number', { retryAfterMs: '5' }, undefined],
    ['infinite', { retryAfterMs: Infinity }, undefined],
    ['not an object', 'x', undefined],
  ])('%s → %s', (_name, err, expected) => {
    expect(retryAfterMsOf(err)).toBe(expected);
  });
});

describe('ConfigurationError', () => {
  it('carries reason, message and fieldPath', () => {
    const err = new ConfigurationError('RedirectUriNotRegistered', 'register the redirect URI', {
      fieldPath: 'spec.oauth.redirectUri',
    });
    expect(err.name).toBe('ConfigurationError');
    expect(err.reason).toBe('RedirectUriNotRegistered');
    expect(err.message).toBe('register the redirect URI');
    expect(err.fieldPath).toBe('spec.oauth.redirectUri');
  });

  it('rejects a reason that is not PascalCase', () => {
    expect(() => new ConfigurationError('redirect uri not registered', 'x')).toThrow(InvalidReasonError);
  });
});

describe('stalledDetail', () => {
  it.each<[string, unknown, { reason: string; message: string; fieldPath?: string }]>([
    [
      'ConfigurationError keeps its own reason',
      new ConfigurationError('SecretNotFound', 'create the Secret', { fieldPath: 'spec.secretRef' }),
      { reason: 'SecretNotFound', message: 'create the Secret', fieldPath: 'spec.secretRef' },
    ],
    [
      '403 from the API',
      new FakeApiError(403, 'forbidden: cannot get secrets'),
      { reason: 'Forbidden', message: 'forbidden: cannot get secrets' },
    ],
    [
      '422 from the API',
      new FakeApiError(422, 'spec.x: Invalid value'),
      { reason: 'Invalid', message: 'spec.x: Invalid value' },
    ],
    ['other 4xx', new FakeApiError(415, 'unsupported'), { reason: 'ApiRequestRejected', message: 'unsupported' }],
    ['non-Error', { status: 400 }, { reason: 'BadRequest', message: 'the request was rejected' }],
  ])('%s', (_name, err, expected) => {
    expect(stalledDetail(err)).toEqual(expected);
  });
});

describe('missingPermissionOf', () => {
  it.each<[string, unknown, ReturnType<typeof missingPermissionOf>]>([
    [
      'verb, resource and namespace',
      { verb: 'get', resource: 'secrets', namespace: 'team-a' },
      { verb: 'get', resource: 'secrets', namespace: 'team-a' },
    ],
    ['cluster-scoped', { verb: 'list', resource: 'namespaces' }, { verb: 'list', resource: 'namespaces' }],
    ['no verb', { resource: 'secrets' }, undefined],
    ['not strings', { verb: 1, resource: 'x' }, undefined],
    ['not an object', 'forbidden', undefined],
  ])('%s', (_name, err, expected) => {
    expect(missingPermissionOf(err)).toEqual(expected);
  });
});
