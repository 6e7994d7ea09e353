import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KINDS, allCelRules } from '../schemas/index.ts';
import { baseConnection, baseRepository, mergePatch } from './fixtures.ts';
import {
  checkPassphrase,
  codePointsUpTo,
  effectiveRedirectUris,
  passphraseIsPredictable,
  validateResource,
} from './index.ts';
import { MIN_PASSPHRASE_CHARACTERS_DISTINCT, MIN_PASSPHRASE_SEQUENCES_DISTINCT } from './semantic.ts';

const connection = (patch: unknown) => mergePatch(baseConnection(), patch);
const repository = (patch: unknown) => mergePatch(baseRepository(), patch);

describe('validateResource accepts', () => {
  it.each([
    ['the base connection', baseConnection()],
    ['the base repository', baseRepository()],
    [
      'an OnPremise server on any https host',
      connection({
        spec: {
          connectionType: 'OnPremise',
          url: 'https://dms.firm.example',
          customerId: null,
          clientSecretRef: { name: 's' },
        },
      }),
    ],
    ['port 443 written out', connection({ spec: { url: 'https://acme.cloudimanage.com:443' } })],
    [
      'another port with the opt-in',
      connection({ spec: { url: 'https://acme.cloudimanage.com:8443', allowNonStandardPort: true } }),
    ],
    ['plain cloudimanage.com', connection({ spec: { url: 'https://cloudimanage.com' } })],
    [
      'an explicit redirect URI',
      connection({
        spec: {
          environments: [
            {
              name: 'production',
              baseUrl: 'https://x.syncly.io',
              redirectUri: 'https://x.syncly.io/api/connectors/authorised',
            },
          ],
        },
      }),
    ],
    [
      'Password grant with credentials',
      connection({ spec: { auth: { grant: 'Password', credentialsSecretRef: { name: 'svc' } } } }),
    ],
    [
      'advanced search with fallbacks',
      repository({
        spec: {
          resolvers: [
            {
              workType: 'matter',
              resolver: 'custom2=[workitem.id]',
              fallbacks: ['custom2=[workitem.fileReference]'],
              onMultipleMatches: 'Fail',
              folder: 'Documents/Invoices',
            },
          ],
        },
      }),
    ],
  ])('%s', (_title, doc) => {
    expect(validateResource(doc).problems).toEqual([]);
  });
});

describe('validateResource rejects, naming the field path', () => {
  it.each([
    ['http URL', connection({ spec: { url: 'http://acme.cloudimanage.com' } }), 'spec.url', /https:\/\//],
    [
      'trailing slash in a redirect URI',
      connection({
        spec: { environments: [{ name: 'p', baseUrl: 'https://a.example', redirectUri: 'https://a.example/cb/' }] },
      }),
      'spec.environments[0].redirectUri',
      /must not end with '\/'/,
    ],
    [
      'upper-case host in a redirect URI',
      connection({
        spec: { environments: [{ name: 'p', baseUrl: 'https://a.example', redirectUri: 'https://A.example/cb' }] },
      }),
      'spec.environments[0].redirectUri',
      /lower-case host/,
    ],
    [
      'port without the opt-in',
      connection({ spec: { url: 'https://acme.cloudimanage.com:8443' } }),
      'spec.url',
      /port other than 443/,
    ],
    ['userinfo', connection({ spec: { url: 'https://me:pw@acme.cloudimanage.com' } }), 'spec.url', /credentials/],
    ['Cloud without customerId', connection({ spec: { customerId: null } }), 'spec.customerId', /needs customerId/],
    [
      'Hosted without clientSecretRef',
      connection({ spec: { connectionType: 'Hosted' } }),
      'spec.clientSecretRef',
      /clientSecretRef/,
    ],
    [
      'unclosed [',
      repository({ spec: { resolvers: [{ workType: '*', resolver: '[workitem.title' }] } }),
      'spec.resolvers[0].resolver',
      /column 1: '\[' is never closed/,
    ],
    [
      'unknown workitem path',
      repository({ spec: { resolvers: [{ workType: '*', resolver: '[workitem.clientref]' }] } }),
      'spec.resolvers[0].resolver',
      /not a work-item value/,
    ],
    [
      'unknown search field',
      repository({ spec: { resolvers: [{ workType: '*', resolver: 'custom31=[workitem.id]' }] } }),
      'spec.resolvers[0].resolver',
      /custom31/,
    ],
    ['unknown field', connection({ spec: { customerID: '1' } }), 'spec.customerID', /unknown field/],
    [
      'duplicate environment names',
      connection({
        spec: {
          environments: [
            { name: 'uat', baseUrl: 'https://a.example' },
            { name: 'uat', baseUrl: 'https://b.example' },
          ],
        },
      }),
      'spec.environments[1]',
      /duplicate entry \(name="uat"\)/,
    ],
    [
      'duplicate effective redirect URIs',
      connection({
        spec: {
          environments: [
            { name: 'uat', baseUrl: 'https://a.example' },
            { name: 'test', baseUrl: 'https://a.example' },
          ],
        },
      }),
      'spec.environments[1].baseUrl',
      /same effective redirect URI/,
    ],
    ['unknown area', repository({ spec: { area: 'Billing' } }), 'spec.area', /must be one of/],
    [
      'a bad fallback',
      repository({ spec: { resolvers: [{ workType: '*', resolver: '[workitem.id]', fallbacks: ['custom1='] }] } }),
      'spec.resolvers[0].fallbacks[0]',
      /resolver "custom1="/,
    ],
    [
      'a preview for an unknown work type',
      repository({
        spec: {
          resolvers: [{ workType: 'matter', resolver: '[workitem.id]' }],
          preview: [{ workType: 'lead', workItem: { id: 1 } }],
        },
      }),
      'spec.preview[0].workType',
      /no resolver for work type 'lead'/,
    ],
    [
      'a bad date',
      connection({ spec: { registration: { requestedAt: 'yesterday' } } }),
      'spec.registration.requestedAt',
      /date-time/,
    ],
    ['a missing name', mergePatch(baseConnection(), { metadata: { name: null } }), 'metadata.name', /required/],
    [
      'the wrong apiVersion',
      mergePatch(baseConnection(), { apiVersion: 'imanage.operator.dev/v1' }),
      'apiVersion',
      /unsupported apiVersion/,
    ],
    ['an unknown kind', mergePatch(baseConnection(), { kind: 'IManageServer' }), 'kind', /unknown kind/],
  ])('%s', (_title, doc, path, message) => {
    const { problems } = validateResource(doc);
    expect(problems.map((p) => p.path)).toContain(path);
    const messages = problems.filter((p) => p.path === path).map((p) => p.message);
    expect(
      messages.some((m) => message.test(m)),
      messages.join('\n'),
    ).toBe(true);
  });

  it('suggests the nearest field for a typo', () => {
    const { problems } = validateResource(connection({ spec: { libary: 'X' } }));
    expect(problems[0]?.fix).toMatch(/did you mean 'library'/);
  });

  it('suggests the nearest enum value', () => {
    const { problems } = validateResource(repository({ spec: { area: 'DocumentTemplate' } }));
    expect(problems[0]?.fix).toBe("did you mean 'DocumentTemplates'?");
  });
});

describe('spec.customerId, a number or a string', () => {
  it.each([4021, '4021', 0, 'acme_01'])('accepts %j', (customerId) => {
    expect(validateResource(connection({ spec: { customerId } })).problems).toEqual([]);
  });

  it.each([
    [4021.5, /must be integer or string/],
    [true, /must be integer or string/],
    ['', /fewer than 1 characters/],
    [-4021, /must be >= 0/],
    [2 ** 53, /must be <= 9007199254740991/],
    ['40 21', /must match pattern/],
  ])('refuses %j at spec.customerId', (customerId, message) => {
    const problems = validateResource(connection({ spec: { customerId } })).problems;
    expect(new Set(problems.map((p) => p.path))).toEqual(new Set(['spec.customerId']));
    expect(problems.map((p) => p.message)).toContainEqual(expect.stringMatching(message));
    expect(problems[0]?.fix).toMatch(/customerId: 4021$/);
  });
});

describe('every CEL rule has a twin that rejects its own examples', () => {
  const cases = allCelRules()
    .filter((r) => !r.transition)
    .flatMap((r) => r.rejects.map((e) => [e.title, r, e] as const));
  it.each(cases)('%s', (_title, rule, example) => {
    const base = example.kind === 'WorkspaceRepository' ? baseRepository() : baseConnection();
    const { problems } = validateResource(mergePatch(base, example.patch));
    expect(problems.map((p) => p.message)).toContain(rule.message);
  });

  it('covers both kinds', () => {
    expect(KINDS).toHaveLength(2);
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });
});

describe('defaults and derived values', () => {
  it('applies schema defaults to the returned value, not to the input', () => {
    const input = baseConnection();
    const { value } = validateResource(input);
    expect(value?.spec).toMatchObject({
      redirectPath: '/externalServices/replyFrom',
      suspend: false,
      probes: { interval: '5m', timeout: '10s' },
    });
    expect(input.spec.redirectPath).toBeUndefined();
  });

  describe("a status taken as written (the controllers' spec check)", () => {
    // Out of the status schema: observedGeneration is an integer there.
    const withStatus = () => ({ ...baseRepository(), status: { observedGeneration: 'seven', conditions: [] } });

    it('is not checked, where the default mode checks it', () => {
      expect(validateResource(withStatus()).problems.map((p) => p.path)).toEqual(['status.observedGeneration']);
      expect(validateResource(withStatus(), { status: 'asWritten' }).problems).toEqual([]);
    });

    it('is handed back as it came, beside a defaulted copy of the spec; the input is not modified', () => {
      const input = withStatus();
      const { value } = validateResource(input, { status: 'asWritten' });
      expect(value?.status).toBe(input.status);
      expect(value?.spec).toMatchObject({ suspend: false });
      expect(value?.spec).not.toBe(input.spec);
      expect((input.spec as { suspend?: boolean }).suspend).toBeUndefined();
    });

    it('is defaulted as in the default mode when there is none', () => {
      const { value } = validateResource(baseConnection(), { status: 'asWritten' });
      expect(value?.status).toEqual({ observedGeneration: -1 });
    });

    it('does not hide a problem in the spec', () => {
      const doc = { ...repository({ spec: { area: 'DocumentTemplate' } }), status: { observedGeneration: 1 } };
      expect(validateResource(doc, { status: 'asWritten' }).problems.map((p) => p.path)).toEqual(['spec.area']);
    });
  });

  it('computes each effective redirect URI', () => {
    const spec = {
      ...baseConnection().spec,
      environments: [
        { name: 'production', baseUrl: 'https://acme.clioweb.com' },
        {
          name: 'syncly',
          baseUrl: 'https://x.syncly.io',
          redirectUri: 'https://x.syncly.io/api/connectors/authorised',
        },
      ],
    };
    expect(effectiveRedirectUris(spec).map((e) => e.redirectUri)).toEqual([
      'https://acme.clioweb.com/externalServices/replyFrom',
      'https://x.syncly.io/api/connectors/authorised',
    ]);
  });
});

// As `openssl rand -base64 96` prints one (a fixed sample, so that the table is the same on every run).
const RANDOM_PASSPHRASE = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 151 + 17) % 256)).toString('base64');

describe('codePointsUpTo', () => {
  it.each([
    ['ASCII under the limit', 'x'.repeat(99), 99],
    ['two-byte characters under the limit', 'é'.repeat(99), 99],
    ['astral characters, two UTF-16 units each', '😀'.repeat(60) + 'x'.repeat(30), 90],
    ['astral characters past the limit', '😀'.repeat(150), 100],
    ['a 1 MiB Secret value', 'x'.repeat(1024 * 1024), 100],
    ['astral past the limit, under twice its units', '😀'.repeat(40) + 'x'.repeat(80), 100],
  ])('%s', (_case, text, count) => {
    expect(codePointsUpTo(text, 100)).toBe(count);
  });
});

/** The first implementation, by a string iterator and joined windows: the index-based one must agree. */
function predictableByIterator(passphrase: string): boolean {
  const characters = new Set<string>();
  const sequences = new Set<string>();
  const window: string[] = [];
  let examined = 0;
  for (const point of passphrase) {
    if (examined++ === 4096) break;
    if (characters.size < MIN_PASSPHRASE_CHARACTERS_DISTINCT) characters.add(point);
    window.push(point);
    if (window.length > 4) window.shift();
    if (window.length === 4 && sequences.size < MIN_PASSPHRASE_SEQUENCES_DISTINCT) sequences.add(window.join(''));
    if (characters.size >= MIN_PASSPHRASE_CHARACTERS_DISTINCT && sequences.size >= MIN_PASSPHRASE_SEQUENCES_DISTINCT) {
      return false;
    }
  }
  return true;
}

describe('passphraseIsPredictable', () => {
  // Few symbols, so that repeats are common and both answers come up; astral characters and lone
  // surrogates, which take two UTF-16 units or one.
  const symbol = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789', 'é', '😀', '🔑', '\ud800', '\udfff');
  const passphrase = fc.oneof(
    fc.array(symbol, { maxLength: 300, size: 'max' }).map((s) => s.join('')),
    fc
      .tuple(
        fc.array(symbol, { minLength: 1, maxLength: 40, size: 'max' }),
        fc.integer({ min: 1, max: 150 }),
        fc.array(symbol, { maxLength: 100, size: 'max' }),
      )
      .map(([unit, times, tail]) => unit.join('').repeat(times) + tail.join('')),
  );

  it('answers as the iterator-based check did, for any string', () => {
    fc.assert(
      fc.property(passphrase, (value) => passphraseIsPredictable(value) === predictableByIterator(value)),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['astral characters up to the examined limit, then variety', '😀'.repeat(4096) + RANDOM_PASSPHRASE],
    ['variety that ends just inside the limit', '😀'.repeat(4096 - RANDOM_PASSPHRASE.length) + RANDOM_PASSPHRASE],
    ['a surrogate pair split by the limit', 'a'.repeat(4095) + '😀' + RANDOM_PASSPHRASE],
  ])('%s', (_case, value) => {
    expect(passphraseIsPredictable(value)).toBe(predictableByIterator(value));
  });
});

describe('checkPassphrase', () => {
  it.each([
    [undefined, 'PassphraseMissing'],
    ['x'.repeat(99), 'PassphraseTooShort'],
    ['é'.repeat(99), 'PassphraseTooShort'],
    ['x'.repeat(100), 'PassphraseTooWeak'],
    ['ab'.repeat(60), 'PassphraseTooWeak'],
    ['correct horse battery staple '.repeat(4), 'PassphraseTooWeak'],
    [RANDOM_PASSPHRASE, undefined],
    // Only the first 4,096 characters count: variety after them does not save a weak start.
    ['a'.repeat(4096) + RANDOM_PASSPHRASE, 'PassphraseTooWeak'],
    ['a'.repeat(4096 - RANDOM_PASSPHRASE.length) + RANDOM_PASSPHRASE, undefined],
    [RANDOM_PASSPHRASE + 'a'.repeat(100_000), undefined],
    [
      'It was a bright cold day in April, and the clocks were striking thirteen; Winston Smith hurried home.',
      undefined,
    ],
  ])('%#: %s…', (value, code) => {
    expect(checkPassphrase(value, 'spec.tokens.encryption.passphraseSecretRef')?.code).toBe(code);
  });

  it('says how to make a good one when it is predictable', () => {
    expect(checkPassphrase('a'.repeat(100), 'x')?.fix).toMatch(/openssl rand -base64 96/);
  });

  it('never repeats the passphrase in its message', () => {
    const secret = 'canary-passphrase-0123456789';
    const problem = checkPassphrase(secret, 'x');
    expect(JSON.stringify(problem)).not.toContain(secret);
  });
});
