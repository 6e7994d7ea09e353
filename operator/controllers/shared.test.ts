import { describe, expect, it } from 'vitest';
import { baseConnection, baseRepository, mergePatch } from '../api/validation/fixtures.ts';
import { checkSpec, invalidSpec } from './shared.ts';

describe('checkSpec of a valid object', () => {
  it.each([
    [
      'a connection',
      baseConnection(),
      { redirectPath: '/externalServices/replyFrom', probes: { interval: '5m', timeout: '10s' } },
    ],
    ['a repository', baseRepository(), { ensureFolders: false, accessCheck: false, suspend: false }],
  ])('returns %s with the schema defaults applied, and no failure', (_, object, defaults) => {
    const { failure, value } = checkSpec(object);
    expect(failure).toBeUndefined();
    expect(value.spec).toMatchObject(defaults);
  });

  it('leaves the cached object as it was', () => {
    const cached = baseConnection();
    const before = structuredClone(cached);
    const { value } = checkSpec(cached);
    expect(value).not.toBe(cached);
    expect(value.spec.auth).toEqual({ grant: 'AuthorizationCode', scope: 'user', pkce: 'S256' });
    expect(cached).toEqual(before);
  });

  it('checks one object once: the same answer for it and for its defaulted value', () => {
    const cached = baseRepository();
    const first = checkSpec(cached);
    expect(checkSpec(cached)).toBe(first);
    expect(checkSpec(first.value)).toBe(first);
  });
});

describe('checkSpec of an invalid object', () => {
  it.each([
    [
      'a connection',
      mergePatch(baseConnection(), { spec: { probes: { interval: '1s' } } }),
      'spec.probes.timeout: probes.timeout must be shorter than probes.interval (and 1 more: spec.probes.interval)',
    ],
    [
      'a repository',
      mergePatch(baseRepository(), { spec: { area: 'Nope' } }),
      'spec.area: unsupported value; must be one of DocumentTemplates, DataUploads, InboundEmail, Instructions, ' +
        'ServiceRequests, Scanning, ClientDocuments, Matters',
    ],
  ])('fails %s as InvalidSpec, naming the first problem, and returns it unchanged', (_, object, message) => {
    const { failure, value } = checkSpec(object);
    expect(failure).toEqual({ reason: 'InvalidSpec', message, kind: 'stalled' });
    expect(value).toBe(object);
    expect(invalidSpec(object)).toBe(failure);
  });

  it.each([[null], ['text'], [42]])('fails a value that is not an object (%j)', (value) => {
    expect(checkSpec(value).failure?.reason).toBe('InvalidSpec');
  });
});
