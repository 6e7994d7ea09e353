import { describe, expect, it } from 'vitest';
import type { WorkspaceRepositorySpec } from '../generated/types.ts';
import { allCelRules } from '../schemas/index.ts';
import { connectionProfileRules } from '../schemas/profiles.ts';
import { baseConnection, baseRepository, mergePatch } from './fixtures.ts';
import { validateResource } from './index.ts';
import { type ConnectionFacts, repositoryProfileProblems } from './profiles.ts';

const connection = (patch: unknown) => mergePatch(baseConnection(), patch);
const encryption = {
  passphraseSecretRef: { name: 'passphrase' },
  certificateSecretRef: { name: 'certificate' },
};
const onPremise = { connectionType: 'OnPremise', url: 'https://dms.firm.example', clientSecretRef: { name: 'app' } };

describe('each profile accepts what its guide describes', () => {
  it.each([
    ['Generic, as before profiles', connection({ spec: { profile: 'Generic', redirectPath: '/cb' } })],
    [
      'ClioOperate 7.11 on Cloud',
      connection({ spec: { profile: 'ClioOperate', productVersion: '7.11.0', tokens: { encryption } } }),
    ],
    [
      'ClioOperate 8.0 on Cloud',
      connection({ spec: { profile: 'ClioOperate', productVersion: '8.0', tokens: { encryption } } }),
    ],
    [
      'ClioOperate 7.10 as Hosted',
      connection({
        spec: {
          profile: 'ClioOperate',
          productVersion: '7.10',
          connectionType: 'Hosted',
          clientSecretRef: { name: 'a' },
          tokens: { encryption },
        },
      }),
    ],
    [
      'ClioOperate on-premise without a version',
      connection({ spec: { profile: 'ClioOperate', ...onPremise, tokens: { encryption } } }),
    ],
    ['Actionstep on Cloud with one library', connection({ spec: { profile: 'Actionstep', environments: null } })],
    ['Legatics on Cloud without environments', connection({ spec: { profile: 'Legatics', environments: null } })],
    [
      'Legatics on-premise with a separate API URL',
      connection({
        spec: {
          profile: 'Legatics',
          ...onPremise,
          apiUrl: 'https://api.dms.firm.example',
          environments: [
            {
              name: 'production',
              baseUrl: 'https://acmelaw.legatics.com',
              redirectUri: 'https://api.acmelaw.legatics.com/auth/v0/oauth2/authorized',
            },
          ],
        },
      }),
    ],
    [
      'Syncly on-premise',
      connection({
        spec: {
          profile: 'Syncly',
          ...onPremise,
          environments: [
            {
              name: 'production',
              baseUrl: 'https://firm.syncly.io',
              redirectUri: 'https://firm.syncly.io/api/connectors/authorised',
            },
          ],
        },
      }),
    ],
  ])('%s', (_title, doc) => {
    expect(validateResource(doc).problems).toEqual([]);
  });
});

describe('profile messages', () => {
  const messages = allCelRules()
    .filter((r) => r.message.startsWith('profile '))
    .map((r) => [r.message] as const);

  it('one CEL rule per connection profile rule', () => {
    expect(messages).toHaveLength(connectionProfileRules().length);
  });

  // validate prints at most 400 characters of a message; ours must never be cut.
  it.each(messages)('%s: names the profile, the seed and the fix, within 400 characters', (message) => {
    expect(message).toMatch(/^profile (ClioOperate|Actionstep|Legatics|Syncly) \((Clio Operate|Legatics|Actionstep|Syncly)'s? [^:]*guide: ".+"\): .+; fix: .+/);
    expect(message.length).toBeLessThanOrEqual(400);
  });
});

describe('repository rules that need the connection', () => {
  const spec = (patch: unknown): WorkspaceRepositorySpec => mergePatch(baseRepository(), { spec: patch }).spec;
  const actionstep: ConnectionFacts = { profile: 'Actionstep', library: 'ACTIVE_AU' };
  const matters = {
    area: 'Matters',
    resolvers: [
      {
        workType: '*',
        resolver: 'custom2=[workitem.id]',
        fallbacks: ['custom2=[workitem.fileReference]'],
        onMultipleMatches: 'Fail',
      },
    ],
  };

  it.each([
    ['Generic: anything', { profile: 'Generic' }, spec({ area: 'Matters' })],
    ['ClioOperate: one of the seven areas', { profile: 'ClioOperate' }, spec({ area: 'Scanning' })],
    ['Actionstep: Matter ID then File Reference', actionstep, spec(matters)],
    [
      'Actionstep: no fallback (File Reference not mapped)',
      actionstep,
      spec({ ...matters, resolvers: [{ ...matters.resolvers[0], fallbacks: null }] }),
    ],
    ['Actionstep: the same library written out', actionstep, spec({ ...matters, library: 'ACTIVE_AU' })],
  ] as const)('accepts %s', (_title, facts, repository) => {
    expect(repositoryProfileProblems(facts as ConnectionFacts, repository)).toEqual([]);
  });

  it.each([
    [
      'ClioOperate: the Matters area',
      { profile: 'ClioOperate' },
      spec({ area: 'Matters' }),
      'spec.area',
      /not one of Clio Operate's functional areas/,
    ],
    [
      'Actionstep: another area',
      actionstep,
      spec({ ...matters, area: 'DocumentTemplates' }),
      'spec.area',
      /links matters only/,
    ],
    [
      'Actionstep: another library',
      actionstep,
      spec({ ...matters, library: 'ACTIVE_US' }),
      'spec.library',
      /differs from the connection's library ACTIVE_AU/,
    ],
    [
      'Actionstep: not by Matter ID',
      actionstep,
      spec({ ...matters, resolvers: [{ ...matters.resolvers[0], resolver: 'custom1=[workitem.client.id]' }] }),
      'spec.resolvers[0].resolver',
      /does not search by \[workitem.id\]/,
    ],
    [
      'Actionstep: a fallback other than File Reference',
      actionstep,
      spec({ ...matters, resolvers: [{ ...matters.resolvers[0], fallbacks: ['[workitem.title]'] }] }),
      'spec.resolvers[0].fallbacks[0]',
      /first fallback does not search by \[workitem.fileReference\]/,
    ],
    [
      'Actionstep: the first of several matches',
      actionstep,
      spec({ ...matters, resolvers: [{ ...matters.resolvers[0], onMultipleMatches: null }] }),
      'spec.resolvers[0].onMultipleMatches',
      /must not be guessed at/,
    ],
    [
      'Actionstep: a value it does not map',
      actionstep,
      spec({
        ...matters,
        resolvers: [
          { ...matters.resolvers[0], resolver: 'custom2=[workitem.id], custom1=[workitem.client.reference]' },
        ],
      }),
      'spec.resolvers[0].resolver',
      /\[workitem.client.reference\] is not a value Actionstep maps/,
    ],
  ] as const)('rejects %s', (_title, facts, repository, path, message) => {
    const problems = repositoryProfileProblems(facts as ConnectionFacts, repository);
    const at = problems.filter((p) => p.path === path);
    expect(at.map((p) => p.message).join('\n')).toMatch(message);
    expect(at[0]?.message).toMatch(/^profile \w+ \([^:]*guide: ".+"\): /);
    expect(at[0]?.fix).toBeTruthy();
  });

  it('never throws on a malformed repository', () => {
    for (const bad of [null, {}, { resolvers: 'x' }, { resolvers: [null, { resolver: 5, fallbacks: [{}] }] }]) {
      expect(() => repositoryProfileProblems(actionstep, bad as never)).not.toThrow();
      expect(() => repositoryProfileProblems({ profile: 'ClioOperate' }, bad as never)).not.toThrow();
    }
  });
});
