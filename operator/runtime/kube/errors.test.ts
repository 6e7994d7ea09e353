import { describe, expect, it } from 'vitest';
import { classify, retryAfterMsOf } from '../errors.ts';
import {
  ApiError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  NotFoundError,
  RecoveringAuthError,
  ruleOf,
  toApiError,
  toTransportError,
  TransientApiError,
} from './errors.ts';

const request = { method: 'GET', path: '/api/v1/namespaces/a/secrets/b' };

function status(code: number, reason: string, details?: object): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: `server says ${reason}`,
    reason,
    code,
    details,
  };
}

describe('toApiError', () => {
  it.each([
    [404, status(404, 'NotFound'), NotFoundError, 'NotFound', 'gone'],
    [409, status(409, 'Conflict'), ConflictError, 'Conflict', 'transient'],
    [409, status(409, 'AlreadyExists'), ConflictError, 'AlreadyExists', 'transient'],
    [410, status(410, 'Expired'), GoneError, 'Expired', 'transient'],
    [403, status(403, 'Forbidden'), ForbiddenError, 'Forbidden', 'permission'],
    [422, status(422, 'Invalid'), InvalidError, 'Invalid', 'configuration'],
    [500, status(500, 'InternalError'), TransientApiError, 'InternalError', 'transient'],
    [503, undefined, TransientApiError, 'ServiceUnavailable', 'transient'],
    [504, status(504, 'Timeout'), TransientApiError, 'Timeout', 'transient'],
    [429, status(429, 'TooManyRequests'), TransientApiError, 'TooManyRequests', 'transient'],
    [401, status(401, 'Unauthorized'), ApiError, 'Unauthorized', 'transient'],
    [400, status(400, 'BadRequest'), ApiError, 'BadRequest', 'configuration'],
    [415, '<html>not a status</html>', ApiError, 'UnsupportedMediaType', 'configuration'],
    [418, undefined, ApiError, 'Unknown', 'configuration'],
  ])('%i %o → %o with reason %s (engine class %s)', (code, body, type, reason, engineClass) => {
    const error = toApiError(request, code, body);
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.constructor).toBe(type);
    expect(error.status).toBe(code);
    expect(error.reason).toBe(reason);
    expect(error.name).toBe(type.name);
    expect(classify(error)).toBe(engineClass);
  });

  it('keeps the method, path and server message', () => {
    expect(toApiError(request, 404, status(404, 'NotFound')).message).toBe(
      'GET /api/v1/namespaces/a/secrets/b: 404 NotFound: server says NotFound',
    );
  });

  it('carries the field paths of a 422', () => {
    const body = status(422, 'Invalid', {
      causes: [
        { reason: 'FieldValueInvalid', message: 'bad', field: 'spec.connectionRef.name' },
        { reason: 'FieldValueRequired', message: 'missing', field: 'metadata.labels' },
        { reason: 'FieldValueForbidden', message: 'no field' },
      ],
    });
    const error = toApiError(request, 422, body) as InvalidError;
    expect(error.fieldPaths).toEqual(['spec.connectionRef.name', 'metadata.labels']);
    expect(error.causes).toHaveLength(3);
  });

  it.each([
    ['the Retry-After header', '7', undefined, 7],
    ['the Status details', undefined, { retryAfterSeconds: 3 }, 3],
    ['the header over the details', ['5'], { retryAfterSeconds: 3 }, 5],
    ['nothing for an HTTP date', 'Wed, 21 Oct 2015 07:28:00 GMT', undefined, undefined],
  ])('reads the retry delay from %s', (_what, header, details, seconds) => {
    const error = toApiError(request, 429, status(429, 'TooManyRequests', details), header) as TransientApiError;
    expect(error.retryAfterSeconds).toBe(seconds);
    expect(retryAfterMsOf(error)).toBe(seconds === undefined ? undefined : seconds * 1000);
  });
});

describe('toTransportError', () => {
  it.each([
    ['Timeout', undefined, 'GET /api/v1/namespaces/a/secrets/b: timed out'],
    [
      'NetworkError',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'GET /api/v1/namespaces/a/secrets/b: network error (ECONNREFUSED)',
    ],
  ] as const)('%s is transient with status 0', (failure, cause, message) => {
    const error = toTransportError(request, failure, cause);
    expect(error).toBeInstanceOf(TransientApiError);
    expect(error.status).toBe(0);
    expect(error.reason).toBe(failure);
    expect(error.message).toBe(message);
    expect(error.cause).toBe(cause);
    expect(classify(error)).toBe('transient');
  });
});

describe('a 401 or 403 while the server is recovering', () => {
  it.each([401, 403])('%i is a RecoveringAuthError, which the engine retries as transient', (code) => {
    const error = toApiError(request, code, status(code, code === 401 ? 'Unauthorized' : 'Forbidden'), undefined, {
      serverRecovering: true,
    });
    expect(error).toBeInstanceOf(RecoveringAuthError);
    expect(error.status).toBe(code);
    expect(classify(error)).toBe('transient');
  });

  it('other statuses are unchanged by the window', () => {
    expect(toApiError(request, 404, status(404, 'NotFound'), undefined, { serverRecovering: true })).toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('ForbiddenError names the RBAC rule that is missing', () => {
  it.each([
    ['GET', '/api/v1/namespaces/a/secrets/b', { verb: 'get', resource: 'secrets', namespace: 'a' }],
    ['GET', '/api/v1/namespaces/a/secrets', { verb: 'list', resource: 'secrets', namespace: 'a' }],
    ['WATCH', '/apis/example.com/v1/widgets', { verb: 'watch', resource: 'widgets.example.com', namespace: undefined }],
    [
      'PUT',
      '/apis/g.example/v1/namespaces/n/things/x/status',
      { verb: 'update', resource: 'things.g.example/status', namespace: 'n' },
    ],
    [
      'PATCH',
      '/apis/coordination.k8s.io/v1/namespaces/n/leases/l',
      { verb: 'patch', resource: 'leases.coordination.k8s.io', namespace: 'n' },
    ],
    [
      'POST',
      '/apis/events.k8s.io/v1/namespaces/n/events',
      { verb: 'create', resource: 'events.events.k8s.io', namespace: 'n' },
    ],
    ['DELETE', '/api/v1/namespaces/n/configmaps/c', { verb: 'delete', resource: 'configmaps', namespace: 'n' }],
    ['DELETE', '/api/v1/namespaces/n/configmaps', { verb: 'deletecollection', resource: 'configmaps', namespace: 'n' }],
    ['GET', '/api/v1/namespaces/n', { verb: 'get', resource: 'namespaces', namespace: undefined }],
  ])('%s %s', (method, path, rule) => {
    expect(ruleOf({ method, path })).toEqual(rule);
    const error = toApiError({ method, path }, 403, status(403, 'Forbidden')) as ForbiddenError;
    expect({ verb: error.verb, resource: error.resource, namespace: error.namespace }).toEqual(rule);
  });
});
