// What a connection means once its defaults apply, read in one place (issue 20).
import { describe, expect, it } from 'vitest';
import {
  applicationSourceOf,
  caBundleRefOf,
  connectionFacts,
  encryptionRefsOf,
  grantOf,
  pkceOf,
  probeIntervalMsOf,
  probeTimeoutMsOf,
  refreshBeforeMsOf,
  scopeOf,
  targetOf,
  tokenSecretNameOf,
} from './connection.ts';
import type { IManageConnection } from './generated/types.ts';
import { validateResource } from './validation/index.ts';
import { baseConnection, mergePatch } from './validation/fixtures.ts';

const connection = (patch: Record<string, unknown>): IManageConnection =>
  mergePatch(baseConnection(), { metadata: { namespace: 'team' }, ...patch });
const DEFAULT_APP = { namespace: 'operator', name: 'default-app' };

describe('the Secrets a connection names', () => {
  it('the CA bundle under ca.crt unless another key is named', () => {
    expect(caBundleRefOf(connection({ spec: { caBundleSecretRef: { name: 'ca' } } }))).toEqual({
      name: 'ca',
      key: 'ca.crt',
    });
    expect(caBundleRefOf(connection({ spec: { caBundleSecretRef: { name: 'ca', key: 'root.pem' } } }))).toEqual({
      name: 'ca',
      key: 'root.pem',
    });
    expect(caBundleRefOf(connection({ spec: { caBundleSecretRef: null } }))).toBeUndefined();
  });

  it('the passphrases under passphrase unless another key is named', () => {
    const refs = encryptionRefsOf(
      connection({
        spec: {
          tokens: {
            encryption: {
              passphraseSecretRef: { name: 'p' },
              certificateSecretRef: { name: 'c' },
              previousPassphraseSecretRef: { name: 'old', key: 'was' },
            },
          },
        },
      }),
    );
    expect(refs).toEqual({
      passphrase: { name: 'p', key: 'passphrase' },
      certificate: { name: 'c' },
      previousPassphrase: { name: 'old', key: 'was' },
    });
  });

  it("the application: the connection's own, else for Cloud the operator's default, else none", () => {
    const own = connection({ spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' } } });
    expect(applicationSourceOf(own, DEFAULT_APP)).toEqual({ namespace: 'team', name: 'app', operators: false });
    const cloud = connection({ spec: { connectionType: 'Cloud', clientSecretRef: null } });
    expect(applicationSourceOf(cloud, DEFAULT_APP)).toEqual({ ...DEFAULT_APP, operators: true });
    expect(applicationSourceOf(cloud, undefined)).toBeUndefined();
  });
});

describe('targetOf', () => {
  const c = connection({
    spec: { customerId: undefined, library: undefined },
    status: { server: { customerId: '7', libraries: ['FIRST', 'SECOND'] } },
  });

  it("takes the server's customer id and first library when the spec names none", () => {
    expect(targetOf(c)).toEqual({ customerId: '7', library: 'FIRST' });
  });

  it("prefers the repository's library and the token's customer id", () => {
    expect(targetOf(c, { library: 'SECOND', tokenCustomerId: '9' })).toEqual({ customerId: '9', library: 'SECOND' });
  });

  it('says nothing it does not know', () => {
    expect(targetOf(connection({ spec: { customerId: undefined, library: undefined }, status: null }))).toEqual({});
  });
});

describe('read from the spec as written or as the schema defaults it', () => {
  const readings = (c: IManageConnection) => ({
    grant: grantOf(c),
    scope: scopeOf(c),
    pkce: pkceOf(c),
    refreshBeforeMs: refreshBeforeMsOf(c),
    intervalMs: probeIntervalMsOf(c),
    timeoutMs: probeTimeoutMsOf(c),
    ca: caBundleRefOf(c),
    tokenSecret: tokenSecretNameOf(c),
    facts: connectionFacts(c),
  });

  it.each([
    ['the base connection', connection({})],
    ['a CA bundle without its key', connection({ spec: { caBundleSecretRef: { name: 'ca' } } })],
    ['a token Secret named, refreshBefore not', connection({ spec: { tokens: { secretName: 'stored' } } })],
    ['an auth block without scope', connection({ spec: { auth: { pkce: 'S256' } } })],
  ])('%s says the same either way', (_, written) => {
    const defaulted = validateResource(written).value as IManageConnection;
    expect(defaulted.spec.probes).toEqual({ interval: '5m', timeout: '10s' });
    expect(written.spec.probes).toBeUndefined();
    expect(readings(defaulted)).toEqual(readings(written));
  });
});
