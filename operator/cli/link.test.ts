// `link`'s wait, over a scripted sequence of what the API server answers: each new sign-in URL is
// shown once, TokensReady=True ends it linked, a reason that linking cannot fix ends it not
// linked, and so do a deleted or re-created connection and the timeout.
import { describe, expect, it } from 'vitest';
import type { IManageConnection } from '../api/generated/types.ts';
import { NotFoundError } from '../runtime/kube/errors.ts';
import {
  LINK_FAILURE_ANNOTATION,
  LINK_GENERATION_ANNOTATION,
  LINKED_ACCOUNT_ANNOTATION,
} from '../tokens/link-annotations.ts';
import { waitForLink } from './link.ts';

type Answer = IManageConnection | 'gone';

function connection(
  uid: string,
  status: Record<string, unknown> = {},
  grant = 'AuthorizationCode',
  annotations: Record<string, string> = {},
): Answer {
  return {
    metadata: { name: 'acme', namespace: 'clio', uid, generation: 1, annotations },
    spec: { connectionType: 'Hosted', url: 'https://acme.cloudimanage.com', auth: { grant } },
    status,
  } as unknown as IManageConnection;
}

/** `url`: what the sign-in Secret the status names holds (the fake API answers it). */
const notLinked = (url: string) => ({
  tokens: { signInSecret: 'acme-sign-in', url },
  conditions: [{ type: 'TokensReady', status: 'False', reason: 'NotLinked', observedGeneration: 1 }],
});
const tokensReady = (status: string, reason: string, message = '') => ({
  tokens: { account: 'jsmith' },
  conditions: [{ type: 'TokensReady', status, reason, message, observedGeneration: 1 }],
});

function signInSecret(answer: Answer | undefined) {
  if (answer === undefined || answer === 'gone')
    throw new NotFoundError('not found', { status: 404, reason: 'NotFound' });
  const url = (answer.status?.tokens as { url?: string } | undefined)?.url ?? '';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    metadata: { name: 'acme-sign-in', ownerReferences: [{ controller: true, uid: answer.metadata.uid }] },
    data: { url: b64(url), expiresAt: b64('2025-06-01T12:10:00Z') },
  };
}

async function run(answers: Answer[], timeoutMs = 60_000, linkedAfter?: number) {
  const shown: string[] = [];
  let i = 0;
  let last: Answer | undefined;
  const client = {
    get: async (resource: { plural: string }) => {
      if (resource.plural === 'secrets') return signInSecret(last);
      const answer = answers[Math.min(i++, answers.length - 1)]!;
      if (answer === 'gone') throw new NotFoundError('not found', { status: 404, reason: 'NotFound' });
      last = answer;
      return answer;
    },
  } as never;
  const outcome = await waitForLink({
    client,
    namespace: 'clio',
    name: 'acme',
    deadline: Date.now() + timeoutMs,
    pollMs: 1,
    onSignInUrl: (url) => shown.push(url),
    ...(linkedAfter !== undefined ? { linkedAfter } : {}),
  });
  return { outcome, shown };
}

describe('link waits', () => {
  it('shows each new sign-in URL once and ends linked when TokensReady is True', async () => {
    const { outcome, shown } = await run([
      connection('u1'),
      connection('u1', notLinked('https://a/1')),
      connection('u1', notLinked('https://a/1')),
      connection('u1', notLinked('https://a/2')),
      connection('u1', tokensReady('True', 'Linked', 'tokens stored')),
    ]);
    expect(shown).toEqual(['https://a/1', 'https://a/2']);
    expect(outcome).toMatchObject({ linked: true, reason: 'Linked', account: 'jsmith' });
  });

  it.each<[string, Answer[], string]>([
    [
      'a reason linking cannot fix',
      [connection('u1', tokensReady('False', 'EncryptionKeyChanged'))],
      'EncryptionKeyChanged',
    ],
    ['another grant', [connection('u1', {}, 'Password')], 'NotInteractive'],
    ['a deleted connection', ['gone'], 'NotFound'],
    ['a re-created connection', [connection('u1', notLinked('https://a/1')), connection('u2')], 'Recreated'],
  ])('ends not linked on %s', async (_what, answers, reason) => {
    expect((await run(answers)).outcome).toMatchObject({ linked: false, reason });
  });

  it('ends not linked, naming it, when the callback recorded a failure for a URL it showed', async () => {
    const state = (nonce: string) => `v1.${Buffer.from(JSON.stringify({ nonce })).toString('base64url')}.mac`;
    const url = `https://a/1?state=${state('n-shown')}`;
    const failed = (nonce: string) => ({
      [LINK_FAILURE_ANNOTATION]: JSON.stringify({ reason: 'Denied', message: 'declined', nonce, at: 'now' }),
    });
    const { outcome } = await run([
      connection('u1', notLinked(url), 'AuthorizationCode', failed('n-of-another-url')),
      connection('u1', notLinked(url), 'AuthorizationCode', failed('n-shown')),
    ]);
    expect(outcome).toMatchObject({ linked: false, reason: 'Denied', message: 'declined' });
  });

  it('--relink waits past the link in place for a newer one, and names its account', async () => {
    const linked = (generation: string, account: string) => ({
      [LINK_GENERATION_ANNOTATION]: generation,
      [LINKED_ACCOUNT_ANNOTATION]: account,
    });
    const ready = tokensReady('True', 'Linked');
    const { outcome, shown } = await run(
      [
        connection('u1', ready, 'AuthorizationCode', linked('3', 'JSMITH')),
        connection(
          'u1',
          { ...ready, tokens: { signInSecret: 'acme-sign-in', url: 'https://a/2' } },
          'AuthorizationCode',
          linked('3', 'JSMITH'),
        ),
        connection('u1', ready, 'AuthorizationCode', linked('4', 'SVC')),
      ],
      60_000,
      3,
    );
    expect(shown).toEqual(['https://a/2']);
    expect(outcome).toMatchObject({ linked: true, account: 'SVC' });
  });

  it('keeps waiting through a retried refresh failure, then gives up at the timeout', async () => {
    const { outcome } = await run([connection('u1', tokensReady('False', 'RefreshFailed'))], 20);
    expect(outcome).toMatchObject({ linked: false, reason: 'Timeout' });
  });
});
