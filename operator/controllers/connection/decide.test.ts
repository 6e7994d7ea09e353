import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import { decideConnection } from './decide.ts';
import type { ObservedConnection } from './observed.ts';

const now = new Date('2026-11-23T12:00:00Z');
const withGeneration = (patch: unknown = {}) => mergePatch(baseConnection(), { metadata: { generation: 3 }, ...(patch as object) });
const secret = (name: string, keys: string[], found = true) => ({ name, found, keys });

const encrypted = withGeneration({ spec: { tokens: { encryption: { passphraseSecretRef: { name: 'pp', key: 'passphrase' }, certificateSecretRef: { name: 'cert' } } } } });
const goodEncryption: ObservedConnection = {
  passphrase: { ...secret('pp', ['passphrase']), key: 'passphrase', length: 120 },
  certificate: { ...secret('cert', ['tls.crt', 'tls.key']), notAfter: '2030-01-01T00:00:00Z' },
};

describe('decideConnection', () => {
  it('is Ready with the effective redirect URIs when the spec and Secrets are valid', () => {
    const d = decideConnection(withGeneration(), {}, now);
    expect(d.failure).toBeUndefined();
    expect(d.conditions.set).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Configured' })]);
    expect(d.conditions.generation).toBe(3);
    expect(d.status).toEqual({
      observedGeneration: 3,
      environments: [
        { name: 'production', redirectUri: 'https://acme.clioweb.com/externalServices/replyFrom' },
        { name: 'uat', redirectUri: 'https://acme-uat.clioweb.com/externalServices/replyFrom' },
      ],
    });
  });

  it.each([
    ['an invalid spec', withGeneration({ spec: { url: 'http://acme.cloudimanage.com' } }), {}, 'InvalidSpec', /^spec\.url: .*\(and 1 more: spec\.url\)$/],
    ['a missing client secret', withGeneration({ spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' } } }), { clientSecret: secret('app', [], false) }, 'SecretNotFound', /^spec\.clientSecretRef\.name: Secret 'app' \(client credentials\) does not exist; create it with keys clientId, clientSecret/],
    ['a client secret without clientSecret', withGeneration({ spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' } } }), { clientSecret: secret('app', ['clientId']) }, 'SecretMissingKey', /lacks key clientSecret; add it/],
    ['Password credentials without password', withGeneration({ spec: { auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } } } }), { credentials: secret('svc', ['username']) }, 'SecretMissingKey', /^spec\.auth\.credentialsSecretRef\.name: .*lacks key password/],
    ['a fall-back account without a refresh token', withGeneration({ spec: { auth: { credentialsSecretRef: { name: 'fb' } } } }), { credentials: secret('fb', ['token']) }, 'SecretMissingKey', /lacks key refreshToken/],
    ['a short passphrase', encrypted, { ...goodEncryption, passphrase: { ...goodEncryption.passphrase!, length: 99 } }, 'PassphraseTooShort', /^spec\.tokens\.encryption\.passphraseSecretRef: .* has 99 characters; at least 100/],
    ['a passphrase Secret without its key', encrypted, { ...goodEncryption, passphrase: { ...secret('pp', ['other']), key: 'passphrase' } }, 'SecretMissingKey', /lacks key passphrase/],
    ['a certificate Secret without tls.key', encrypted, { ...goodEncryption, certificate: secret('cert', ['tls.crt']) }, 'SecretMissingKey', /lacks key tls\.key/],
    ['an unparseable certificate', encrypted, { ...goodEncryption, certificate: { ...secret('cert', ['tls.crt', 'tls.key']), parseError: 'bad PEM' } }, 'CertificateInvalid', /not a PEM certificate/],
    ['an expired certificate', encrypted, { ...goodEncryption, certificate: { ...secret('cert', ['tls.crt', 'tls.key']), notAfter: '2020-01-01T00:00:00Z' } }, 'CertificateExpired', /expired at 2020-01-01/],
  ])('stalls on %s', (_title, connection, observed, reason, message) => {
    const d = decideConnection(connection, observed as ObservedConnection, now);
    expect(d.failure?.reason).toBe(reason);
    const ready = d.conditions.set.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason });
    expect(ready?.message).toMatch(message);
    expect(d.conditions.set.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason });
    expect(d.conditions.remove).toContain('Reconciling');
  });

  it('checks in order: an invalid spec is reported before a missing Secret', () => {
    const connection = withGeneration({ spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' }, url: 'http://x.cloudimanage.com' } });
    expect(decideConnection(connection, { clientSecret: secret('app', [], false) }, now).failure?.reason).toBe('InvalidSpec');
  });

  it('is Ready with valid encryption', () => {
    expect(decideConnection(encrypted, goodEncryption, now).failure).toBeUndefined();
  });

  it('never puts a Secret value into status', () => {
    const d = decideConnection(encrypted, { ...goodEncryption, passphrase: { ...goodEncryption.passphrase!, length: 12 } }, now);
    expect(JSON.stringify(d)).not.toMatch(/canary/);
  });
});

describe('suspend', () => {
  it('keeps Ready and everything else, adds Suspended, and stamps observedGeneration', () => {
    const connection = withGeneration({ spec: { suspend: true, url: 'http://broken' } });
    const ready = { type: 'Ready', status: 'True' as const, reason: 'Configured', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 2 };
    connection.status = { observedGeneration: 2, conditions: [ready], environments: [{ name: 'production', redirectUri: 'https://old/cb' }] };
    const d = decideConnection(connection, {}, now);
    expect(d.status).toEqual({ observedGeneration: 3, environments: [{ name: 'production', redirectUri: 'https://old/cb' }] });
    expect(d.conditions).toEqual({ generation: 3, set: [expect.objectContaining({ type: 'Suspended', status: 'True' })], remove: [] });
    expect(d.failure).toBeUndefined();
  });

  it('removes Suspended once resumed', () => {
    expect(decideConnection(withGeneration(), {}, now).conditions.remove).toContain('Suspended');
  });
});

describe('with probes', () => {
  const at = new Date('2026-11-23T11:59:00Z');
  const next = new Date('2026-11-23T12:04:00Z');
  const reach = (reachable: boolean, reason: string, message = 'm') => ({
    value: { reachable, ok: reachable, reason, message, latencyMs: 12, address: '203.0.113.7', certificateNotAfter: '2027-01-01T00:00:00.000Z' } as never,
    checkedAt: at, nextAt: next,
  });
  const reg = (name: string, answer: string) => ({
    name, redirectUri: `https://${name}.example/cb`,
    probe: { value: { answer, detail: answer === 'NotRegistered' ? 'invalid_redirect_uri' : 'x', ok: true } as never, checkedAt: at, nextAt: next },
  });

  it('is Ready (Connected) when reachable and every redirect URI is registered, with Reachable and Registered True', () => {
    const d = decideConnection(withGeneration(), { reachability: reach(true, 'Reachable'), registrations: [reg('production', 'Registered'), reg('uat', 'Registered')] }, now);
    expect(d.failure).toBeUndefined();
    const byType = Object.fromEntries(d.conditions.set.map((c) => [c.type, c]));
    expect(byType['Ready']).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(byType['Reachable']).toMatchObject({ status: 'True', reason: 'Reachable' });
    expect(byType['Registered']).toMatchObject({ status: 'True', reason: 'AllRegistered' });
    expect(d.status.server).toEqual({ address: '203.0.113.7', latencyMs: 12, certificateNotAfter: '2027-01-01T00:00:00.000Z', checkedAt: at.toISOString() });
    expect(d.status.environments?.[0]).toMatchObject({ registration: 'Registered', checkedAt: at.toISOString() });
  });

  it('stalls with the reachability reason on the probed URL', () => {
    const d = decideConnection(withGeneration(), { reachability: reach(false, 'ConnectFailed', 'cannot open a TCP connection') }, now);
    expect(d.failure).toMatchObject({ reason: 'ConnectFailed', fieldPath: 'spec.url', kind: 'stalled' });
    expect(d.conditions.set.find((c) => c.type === 'Reachable')).toMatchObject({ status: 'False', reason: 'ConnectFailed' });
  });

  it('is Reconciling while a registration is Pending, and names the environment', () => {
    const pending = withGeneration({ spec: { registration: { requestedAt: '2026-11-23T10:00:00Z' } } });
    const d = decideConnection(pending, { reachability: reach(true, 'Reachable'), registrations: [reg('production', 'Registered'), reg('uat', 'NotRegistered')] }, now);
    expect(d.failure).toMatchObject({ reason: 'RegistrationPending', kind: 'reconciling' });
    expect(d.conditions.set.find((c) => c.type === 'Registered')).toMatchObject({ status: 'False', reason: 'RegistrationPending', message: expect.stringMatching(/^uat: Pending — /) });
    expect(d.status.environments?.find((e) => e.name === 'uat')).toMatchObject({ registration: 'Pending' });
  });

  it('stalls Overdue after 48 hours', () => {
    const old = withGeneration({ spec: { registration: { requestedAt: '2026-11-21T11:00:00Z' } } });
    const d = decideConnection(old, { reachability: reach(true, 'Reachable'), registrations: [reg('production', 'Registered'), reg('uat', 'NotRegistered')] }, now);
    expect(d.failure).toMatchObject({ reason: 'RegistrationOverdue', kind: 'stalled', fieldPath: 'spec.environments' });
  });

  it('keeps what was last known of an environment when registration was not probed', () => {
    const c = withGeneration();
    c.status = { environments: [{ name: 'uat', redirectUri: 'https://acme-uat.clioweb.com/externalServices/replyFrom', registration: 'Registered', message: 'ok' }] };
    const d = decideConnection(c, { clientSecret: secret('x', [], false) }, now);
    expect(d.status.environments?.find((e) => e.name === 'uat')).toMatchObject({ registration: 'Registered' });
  });
});
