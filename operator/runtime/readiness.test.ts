// The readiness chain: ordered pure checks, the first failure names the reason, and the kstatus
// conditions each outcome maps to.
import { describe, expect, it } from 'vitest';
import {
  type Check,
  firstFailure,
  readinessConditions,
  reconciling,
  stalled,
  Suspended,
  suspendedConditions,
} from './readiness.ts';

interface Input {
  readonly spec: boolean;
  readonly secret: boolean;
  readonly server: boolean;
}

const calls: string[] = [];
const specIsValid: Check<Input> = (i) => (
  calls.push('spec'),
  i.spec ? undefined : stalled('InvalidSpec', 'spec.url', 'fix the URL')
);
const secretExists: Check<Input> = (i) => (
  calls.push('secret'),
  i.secret ? undefined : stalled('SecretNotFound', undefined, 'create it')
);
const serverAnswers: Check<Input> = (i) => (
  calls.push('server'),
  i.server ? undefined : reconciling('Probing', 'probe in progress')
);
const chain = [specIsValid, secretExists, serverAnswers];

describe('firstFailure', () => {
  it.each<[string, Input, string | undefined, string[]]>([
    ['all pass', { spec: true, secret: true, server: true }, undefined, ['spec', 'secret', 'server']],
    [
      'the first failure wins and stops the chain',
      { spec: false, secret: false, server: false },
      'InvalidSpec',
      ['spec'],
    ],
    ['a later failure', { spec: true, secret: false, server: false }, 'SecretNotFound', ['spec', 'secret']],
    ['the last check', { spec: true, secret: true, server: false }, 'Probing', ['spec', 'secret', 'server']],
  ])('%s', (_name, input, reason, called) => {
    calls.length = 0;
    expect(firstFailure(chain, input)?.reason).toBe(reason);
    expect(calls).toEqual(called);
  });

  it('an empty chain passes', () => {
    expect(firstFailure([], {})).toBeUndefined();
  });
});

describe('readinessConditions', () => {
  const ready = { reason: 'Configured', message: 'all good' };

  it('Ready=True, Reconciling and Stalled and Suspended removed, on no failure', () => {
    const update = readinessConditions(3, undefined, ready);
    expect(update.generation).toBe(3);
    expect(update.set).toEqual([{ type: 'Ready', status: 'True', reason: 'Configured', message: 'all good' }]);
    expect(update.remove).toEqual(expect.arrayContaining(['Reconciling', 'Stalled', Suspended]));
  });

  it('a stalled failure: Stalled=True and Ready=False, the field path leading the message', () => {
    const update = readinessConditions(3, stalled('InvalidSpec', 'spec.url', 'fix the URL'), ready);
    expect(update.set).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Stalled',
          status: 'True',
          reason: 'InvalidSpec',
          message: 'spec.url: fix the URL',
        }),
        expect.objectContaining({
          type: 'Ready',
          status: 'False',
          reason: 'InvalidSpec',
          message: 'spec.url: fix the URL',
        }),
      ]),
    );
    expect(update.remove).toEqual(expect.arrayContaining(['Reconciling', Suspended]));
  });

  it('a stalled failure without a field path keeps its message as is', () => {
    const update = readinessConditions(1, stalled('SecretNotFound', undefined, 'create it'), ready);
    expect(update.set.find((c) => c.type === 'Ready')?.message).toBe('create it');
  });

  it('a reconciling failure: Reconciling=True and Ready=Unknown', () => {
    const update = readinessConditions(2, reconciling('Probing', 'probe in progress'), ready);
    expect(update.set).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Reconciling', status: 'True', reason: 'Probing' }),
        expect.objectContaining({ type: 'Ready', status: 'Unknown', reason: 'Probing' }),
      ]),
    );
    expect(update.remove).toEqual(expect.arrayContaining(['Stalled', Suspended]));
  });

  it('suspension sets only Suspended and removes nothing', () => {
    const update = suspendedConditions(4);
    expect(update).toEqual({
      generation: 4,
      set: [expect.objectContaining({ type: Suspended, status: 'True', reason: 'Suspended' })],
      remove: [],
    });
  });
});
