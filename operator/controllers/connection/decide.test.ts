import { describe, expect, it } from 'vitest';
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import type { ReachabilityOutcome } from '../../imanage/reachability.ts';
import type { RegistrationOutcome } from '../../imanage/registration.ts';
import { decideConnection, probesDue } from './decide.ts';
import { connectionFacts } from '../../api/connection.ts';
import type { ObservedConnection } from './observed.ts';

const now = new Date('2026-11-23T12:00:00Z');
const withGeneration = (patch: unknown = {}) =>
  mergePatch(baseConnection(), { metadata: { generation: 3 }, ...(patch as object) });
const secret = (name: string, keys: string[], found = true) => ({ name, found, keys });

const encrypted = withGeneration({
  spec: {
    tokens: {
      encryption: { passphraseSecretRef: { name: 'pp', key: 'passphrase' }, certificateSecretRef: { name: 'cert' } },
    },
  },
});
const goodEncryption: ObservedConnection = {
  passphrase: { ...secret('pp', ['passphrase']), key: 'passphrase', length: 120 },
  certificate: { ...secret('cert', ['tls.crt', 'tls.key']), notAfter: '2030-01-01T00:00:00Z' },
};

describe('decideConnection', () => {
  it('is Ready with the effective redirect URIs when the spec and Secrets are valid', () => {
    const d = decideConnection(withGeneration(), {}, now);
    expect(d.failure).toBeUndefined();
    expect(d.conditions.set).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Configured' }),
    ]);
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
    ['a missing Secret, which is not watched', { clientSecret: secret('app', [], false) }, 'recheck'],
    ['a valid spec and Secrets, with probes off', {}, 'wait'],
  ] as const)('says what happens next: %s', (_, observed, next) => {
    const connection = withGeneration({ spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' } } });
    expect(decideConnection(connection, observed, now).next).toBe(next);
  });

  it.each([
    [
      'an invalid spec',
      withGeneration({ spec: { url: 'http://acme.cloudimanage.com' } }),
      {},
      'InvalidSpec',
      /^spec\.url: .*\(and 1 more: spec\.url\)$/,
    ],
    [
      'a missing client secret',
      withGeneration({ spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' } } }),
      { clientSecret: secret('app', [], false) },
      'SecretNotFound',
      /^spec\.clientSecretRef\.name: Secret 'app' \(client credentials\) does not exist; create it with keys clientId, clientSecret/,
    ],
    [
      'a client secret without clientSecret',
      withGeneration({ spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' } } }),
      { clientSecret: secret('app', ['clientId']) },
      'SecretMissingKey',
      /lacks key clientSecret; add it/,
    ],
    [
      'Password credentials without password',
      withGeneration({ spec: { auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } } } }),
      { credentials: secret('svc', ['username']) },
      'SecretMissingKey',
      /^spec\.auth\.credentialsSecretRef\.name: .*lacks key password/,
    ],
    [
      'a fall-back account without a refresh token',
      withGeneration({ spec: { auth: { credentialsSecretRef: { name: 'fb' } } } }),
      { credentials: secret('fb', ['token']) },
      'SecretMissingKey',
      /lacks key refreshToken/,
    ],
    [
      'a short passphrase',
      encrypted,
      { ...goodEncryption, passphrase: { ...goodEncryption.passphrase!, length: 99 } },
      'PassphraseTooShort',
      /^spec\.tokens\.encryption\.passphraseSecretRef: .* is too short: at least 100 characters/,
    ],
    [
      'a long but predictable passphrase',
      encrypted,
      { ...goodEncryption, passphrase: { ...goodEncryption.passphrase!, predictable: true } },
      'PassphraseTooWeak',
      /^spec\.tokens\.encryption\.passphraseSecretRef: .*is predictable.*openssl rand -base64 96/,
    ],
    [
      'a passphrase Secret without its key',
      encrypted,
      { ...goodEncryption, passphrase: { ...secret('pp', ['other']), key: 'passphrase' } },
      'SecretMissingKey',
      /lacks key passphrase/,
    ],
    [
      'a certificate Secret without tls.key',
      encrypted,
      { ...goodEncryption, certificate: secret('cert', ['tls.crt']) },
      'SecretMissingKey',
      /lacks key tls\.key/,
    ],
    [
      'an unparseable certificate',
      encrypted,
      { ...goodEncryption, certificate: { ...secret('cert', ['tls.crt', 'tls.key']), parseError: 'bad PEM' } },
      'CertificateInvalid',
      /not a PEM certificate/,
    ],
    [
      'an expired certificate',
      encrypted,
      {
        ...goodEncryption,
        certificate: { ...secret('cert', ['tls.crt', 'tls.key']), notAfter: '2020-01-01T00:00:00Z' },
      },
      'CertificateExpired',
      /expired at 2020-01-01/,
    ],
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
    const connection = withGeneration({
      spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' }, url: 'http://x.cloudimanage.com' },
    });
    expect(decideConnection(connection, { clientSecret: secret('app', [], false) }, now).failure?.reason).toBe(
      'InvalidSpec',
    );
  });

  it('is Ready with valid encryption', () => {
    expect(decideConnection(encrypted, goodEncryption, now).failure).toBeUndefined();
  });

  it("never puts a Secret value into status, nor a passphrase's length", () => {
    const d = decideConnection(
      encrypted,
      { ...goodEncryption, passphrase: { ...goodEncryption.passphrase!, length: 37 } },
      now,
    );
    expect(JSON.stringify(d)).not.toMatch(/canary|37/);
  });
});

describe('suspend', () => {
  it('keeps Ready and everything else, adds Suspended, and stamps observedGeneration', () => {
    const connection = withGeneration({ spec: { suspend: true, url: 'http://broken' } });
    const ready = {
      type: 'Ready',
      status: 'True' as const,
      reason: 'Configured',
      message: 'ok',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 2,
    };
    connection.status = {
      observedGeneration: 2,
      conditions: [ready],
      environments: [{ name: 'production', redirectUri: 'https://old/cb' }],
    };
    const d = decideConnection(connection, {}, now);
    expect(d.status).toEqual({
      observedGeneration: 3,
      environments: [{ name: 'production', redirectUri: 'https://old/cb' }],
    });
    expect(d.conditions).toEqual({
      generation: 3,
      set: [expect.objectContaining({ type: 'Suspended', status: 'True' })],
      remove: [],
    });
    expect(d.failure).toBeUndefined();
  });

  it('removes Suspended once resumed', () => {
    expect(decideConnection(withGeneration(), {}, now).conditions.remove).toContain('Suspended');
  });
});

describe('with probes', () => {
  const at = new Date('2026-11-23T11:59:00Z');
  const next = new Date('2026-11-23T12:04:00Z');
  const probe = <T>(value: T, checkedAt = at) => ({ value, checkedAt, nextAt: next });
  const answered = (httpStatus = 401, certificateNotAfter = '2027-01-01T00:00:00.000Z') =>
    probe({
      outcome: { kind: 'Answered', httpStatus } as const,
      latencyMs: 12,
      address: '203.0.113.7',
      certificateNotAfter,
    });
  const failed = (outcome: ReachabilityOutcome) => probe({ outcome, latencyMs: 12, address: '10.0.0.5' });
  const registrations = (entries: Record<string, RegistrationOutcome>, checkedAt = at) =>
    new Map(Object.entries(entries).map(([name, outcome]) => [name, probe(outcome, checkedAt)]));
  const registered: RegistrationOutcome = { kind: 'Registered', via: 'redirect' };
  const healthy = (checkedAt = at): ObservedConnection => ({
    reachability: { ...answered(), checkedAt },
    registrations: registrations({ production: registered, uat: registered }, checkedAt),
  });

  it('is Ready (Connected) when reachable and every redirect URI is registered, with Reachable and Registered True', () => {
    const d = decideConnection(withGeneration(), healthy(), now);
    expect(d.failure).toBeUndefined();
    const byType = Object.fromEntries(d.conditions.set.map((c) => [c.type, c]));
    expect(byType['Ready']).toMatchObject({ status: 'True', reason: 'Connected' });
    expect(byType['Reachable']).toMatchObject({
      status: 'True',
      reason: 'Reachable',
      message: 'acme.cloudimanage.com:443 answers GET /api over verified TLS',
    });
    expect(byType['Registered']).toMatchObject({ status: 'True', reason: 'AllRegistered' });
    // Outcomes only: no latency, no address (times and latencies are metrics).
    expect(d.status.server).toEqual({ certificateNotAfter: '2027-01-01T00:00:00.000Z', checkedAt: at.toISOString() });
    expect(d.status.environments?.[0]).toMatchObject({ registration: 'Registered', checkedAt: at.toISOString() });
  });

  it('gives a healthy connection the same status from every probe within the hour, and a new checkedAt after it', () => {
    const first = decideConnection(withGeneration(), healthy(), now);
    const previous = withGeneration();
    previous.status = {
      ...first.status,
      conditions: first.conditions.set.map((c) => ({
        ...c,
        lastTransitionTime: at.toISOString(),
        observedGeneration: 3,
      })),
    };
    const later = new Date(at.getTime() + 59 * 60_000);
    expect(decideConnection(previous, healthy(later), later).status).toEqual(first.status);
    const hourLater = new Date(at.getTime() + 60 * 60_000);
    const renewed = decideConnection(previous, healthy(hourLater), hourLater).status;
    expect(renewed.server?.checkedAt).toBe(hourLater.toISOString());
    expect(renewed.environments?.[0]?.checkedAt).toBe(hourLater.toISOString());
  });

  it('says the probed field: spec.apiUrl when it is set', () => {
    const legatics = withGeneration({ spec: { apiUrl: 'https://api.cloudimanage.com' } });
    const d = decideConnection(legatics, { reachability: failed({ kind: 'DnsFailed', code: 'ENOTFOUND' }) }, now);
    expect(d.failure).toMatchObject({
      reason: 'DnsFailed',
      fieldPath: 'spec.apiUrl',
      message: expect.stringMatching(/^cannot resolve api\.cloudimanage\.com .*check spec\.apiUrl/),
    });
  });

  it.each([
    [
      'forbidden by the SSRF guard',
      {
        kind: 'Forbidden',
        literal: false,
        verdict: { allowed: false, category: 'private', judged: '10.0.0.5', range: '10.0.0.0/8' },
      },
    ],
    ['refused', { kind: 'ConnectFailed', code: 'ECONNREFUSED' }],
    ['unreachable', { kind: 'ConnectFailed', code: 'EHOSTUNREACH' }],
    ['unanswered while connecting', { kind: 'Timeout', step: 'TCP connect' }],
  ] as const)(
    'reads the same, "cannot connect", when %s (no port-scan oracle), and never names the address',
    (_title, outcome) => {
      const d = decideConnection(withGeneration(), { reachability: failed(outcome) }, now);
      expect(d.failure).toMatchObject({
        reason: 'ConnectFailed',
        fieldPath: 'spec.url',
        kind: 'retrying',
        message:
          "cannot connect to acme.cloudimanage.com:443; check the host and port in spec.url, firewalls, and that iManage's IP allow-list admits the cluster's egress address",
      });
      expect(JSON.stringify(d)).not.toMatch(/10\.0\.0\.5|ECONN|EHOST|Forbidden/);
    },
  );

  // Issue 18, finding 18: the user wrote the address, so status may say what it is, and who can open it.
  it.each([
    ['https://169.254.169.254', 'link-local', '169.254.0.0/16', /no flag opens this range/],
    ['https://10.0.0.5', 'private', '10.0.0.0/8', /--allow-probe-cidr and a range holding 10\.0\.0\.5/],
  ] as const)(
    'an IP literal the guard refuses (%s) is AddressNotProbed, not "cannot connect"',
    (url, category, range, open) => {
      const host = new URL(url).hostname;
      const spec = { connectionType: 'OnPremise', url, customerId: null, clientSecretRef: { name: 'app' } };
      const outcome = {
        kind: 'Forbidden',
        literal: true,
        verdict: { allowed: false, category, judged: host, range },
      } as const;
      const observed = { clientSecret: secret('app', ['clientId', 'clientSecret']), reachability: failed(outcome) };
      const d = decideConnection(withGeneration({ spec }), observed, now);
      expect(d.failure).toMatchObject({
        reason: 'AddressNotProbed',
        fieldPath: 'spec.url',
        kind: 'stalled',
        message: expect.stringContaining('the operator does not probe this class of address'),
      });
      expect(d.failure?.message).toMatch(open);
      expect(d.failure?.message).not.toMatch(/firewall|allow-list/);
    },
  );

  it.each([
    [
      { kind: 'TlsFailed', tls: 'HostnameMismatch', code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      'TlsFailed',
      /another host name; check spec\.url/,
      'stalled',
    ],
    [{ kind: 'Timeout', step: 'GET /api' }, 'Timeout', /within 10 s \(at GET \/api\)/, 'retrying'],
    [
      { kind: 'Reset', step: 'TLS handshake' },
      'ConnectFailed',
      /reset the connection during TLS handshake/,
      'retrying',
    ],
    [
      { kind: 'Answered', httpStatus: 503 },
      'HttpError',
      /answered HTTP 503; iManage reports a server error/,
      'retrying',
    ],
    [{ kind: 'Answered', httpStatus: 404 }, 'HttpError', /does not look like an iManage Work API/, 'stalled'],
    [
      { kind: 'Answered', httpStatus: 429, retryAfterMs: 3_600_000 },
      'RateLimited',
      /waits 3600 s as Retry-After asks/,
      'retrying',
    ],
    [{ kind: 'DnsFailed', code: 'ENOTFOUND' }, 'DnsFailed', /cannot resolve/, 'retrying'],
  ] as const)('%j → %s, %s', (outcome, reason, message, kind) => {
    const d = decideConnection(withGeneration(), { reachability: failed(outcome) }, now);
    expect(d.failure).toMatchObject({ reason, kind, message: expect.stringMatching(message) });
  });

  it('marks a retried failure as Flux does: Ready=False, Reconciling=True ProgressingWithRetry, no Stalled', () => {
    const d = decideConnection(withGeneration(), { reachability: failed({ kind: 'Answered', httpStatus: 503 }) }, now);
    expect(d.conditions.set).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Ready', status: 'False', reason: 'HttpError' }),
        expect.objectContaining({ type: 'Reconciling', status: 'True', reason: 'ProgressingWithRetry' }),
      ]),
    );
    expect(d.conditions.remove).toContain('Stalled');
  });

  it('warns of a certificate expiring within the window, and stays Ready', () => {
    const soon = decideConnection(
      withGeneration(),
      { ...healthy(), reachability: answered(401, '2026-11-30T12:00:00.000Z') },
      now,
      undefined,
      { expiryWarningDays: 14 },
    );
    expect(soon.conditions.set.find((c) => c.type === 'Reachable')).toMatchObject({
      status: 'True',
      reason: 'CertificateExpiring',
      message: expect.stringMatching(/expires in 7 days/),
    });
    expect(soon.failure).toBeUndefined();
  });

  it('is Reconciling while a registration is Pending, and names the environment', () => {
    const pending = withGeneration({ spec: { registration: { requestedAt: '2026-11-23T10:00:00Z' } } });
    const d = decideConnection(
      pending,
      {
        reachability: answered(),
        registrations: registrations({ production: registered, uat: { kind: 'NotRegistered' } }),
      },
      now,
    );
    expect(d.failure).toMatchObject({ reason: 'RegistrationPending', kind: 'reconciling' });
    expect(d.conditions.set.find((c) => c.type === 'Registered')).toMatchObject({
      status: 'False',
      reason: 'RegistrationPending',
      message: expect.stringMatching(/^uat: Pending — /),
    });
    expect(d.status.environments?.find((e) => e.name === 'uat')).toMatchObject({ registration: 'Pending' });
  });

  it('stalls Overdue after 48 hours', () => {
    const old = withGeneration({ spec: { registration: { requestedAt: '2026-11-21T11:00:00Z' } } });
    const d = decideConnection(
      old,
      {
        reachability: answered(),
        registrations: registrations({ production: registered, uat: { kind: 'NotRegistered' } }),
      },
      now,
    );
    expect(d.failure).toMatchObject({ reason: 'RegistrationOverdue', kind: 'stalled', fieldPath: 'spec.environments' });
  });

  it('names where the client id is kept, never the id, when iManage does not know it', () => {
    const d = decideConnection(
      withGeneration(),
      {
        reachability: answered(),
        clientIdSource: "Secret 'app' key clientId",
        registrations: registrations({ production: { kind: 'InvalidClient' }, uat: { kind: 'InvalidClient' } }),
      },
      now,
    );
    expect(d.failure).toMatchObject({
      reason: 'InvalidClient',
      message: expect.stringContaining("the client id in Secret 'app' key clientId"),
    });
  });

  it('keeps what was last known of an environment when registration was not probed', () => {
    const c = withGeneration();
    c.status = {
      environments: [
        {
          name: 'uat',
          redirectUri: 'https://acme-uat.clioweb.com/externalServices/replyFrom',
          registration: 'Registered',
          message: 'ok',
        },
      ],
    };
    const d = decideConnection(c, { clientSecret: secret('x', [], false) }, now);
    expect(d.status.environments?.find((e) => e.name === 'uat')).toMatchObject({ registration: 'Registered' });
  });
});

describe('probesDue', () => {
  it.each([
    ['a valid spec with its Secrets', withGeneration(), {}, true],
    ['an invalid spec', withGeneration({ spec: { url: 'http://acme.cloudimanage.com' } }), {}, false],
    [
      'a missing Secret',
      withGeneration({ spec: { connectionType: 'Hosted', clientSecretRef: { name: 'app' } } }),
      { clientSecret: secret('app', [], false) },
      false,
    ],
    [
      'a CA bundle Secret without its key',
      withGeneration({ spec: { caBundleSecretRef: { name: 'ca', key: 'ca.crt' } } }),
      { caBundle: { ...secret('ca', []), key: 'ca.crt' } },
      false,
    ],
  ])('%s → %s', (_title, connection, observed, due) => {
    expect(probesDue(connection, connectionFacts(connection), observed as ObservedConnection, now)).toBe(due);
  });
});
