import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import {
  applyConditions,
  checkReason,
  ConditionInvariantError,
  findCondition,
  formatTime,
  InvalidReasonError,
  isPascalCase,
  kstatusViolations,
  markReady,
  markReconciling,
  markStalled,
  MAX_MESSAGE_BYTES,
  normalizeReason,
  removeCondition,
  setCondition,
  statusEqual,
  withConditions,
  type Condition,
  type ConditionUpdate,
} from './conditions.ts';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';

function clockAt(iso: string): FakeClock {
  return new FakeClock(new Date(iso));
}

function cond(type: string, status: Condition['status'], extra: Partial<Condition> = {}): Condition {
  return { type, status, reason: 'Because', message: 'm', lastTransitionTime: T0, ...extra };
}

describe('formatTime', () => {
  it.each([
    ['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00Z'],
    ['2025-01-01T00:00:00.999Z', '2025-01-01T00:00:00Z'],
    ['2025-12-31T23:59:59.001Z', '2025-12-31T23:59:59Z'],
  ])('%s → %s (seconds precision)', (input, expected) => {
    expect(formatTime(new Date(input))).toBe(expected);
  });
});

describe('setCondition', () => {
  it.each<{
    name: string;
    list: Condition[];
    input: Condition | Omit<Condition, 'lastTransitionTime'>;
    expected: Condition[];
  }>([
    {
      name: 'adds a new condition stamped with now',
      list: [],
      input: { type: 'Ready', status: 'True', reason: 'Ok', message: 'fine', observedGeneration: 1 },
      expected: [
        { type: 'Ready', status: 'True', reason: 'Ok', message: 'fine', lastTransitionTime: T1, observedGeneration: 1 },
      ],
    },
    {
      name: 'keeps lastTransitionTime when the status is unchanged but updates reason, message, generation',
      list: [cond('Ready', 'True', { observedGeneration: 1 })],
      input: { type: 'Ready', status: 'True', reason: 'StillOk', message: 'new', observedGeneration: 2 },
      expected: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'StillOk',
          message: 'new',
          lastTransitionTime: T0,
          observedGeneration: 2,
        },
      ],
    },
    {
      name: 'moves lastTransitionTime when the status changes',
      list: [cond('Ready', 'True')],
      input: { type: 'Ready', status: 'False', reason: 'Broken', message: 'fix it' },
      expected: [{ type: 'Ready', status: 'False', reason: 'Broken', message: 'fix it', lastTransitionTime: T1 }],
    },
    {
      name: 'uses a supplied lastTransitionTime on transition',
      list: [],
      input: {
        type: 'Ready',
        status: 'False',
        reason: 'Broken',
        message: 'x',
        lastTransitionTime: '2020-02-02T02:02:02Z',
      },
      expected: [
        { type: 'Ready', status: 'False', reason: 'Broken', message: 'x', lastTransitionTime: '2020-02-02T02:02:02Z' },
      ],
    },
    {
      name: 'replaces in place, keeping the order of other conditions',
      list: [cond('A', 'True'), cond('Ready', 'Unknown'), cond('B', 'False')],
      input: { type: 'Ready', status: 'True', reason: 'Ok', message: 'm' },
      expected: [
        cond('A', 'True'),
        { type: 'Ready', status: 'True', reason: 'Ok', message: 'm', lastTransitionTime: T1 },
        cond('B', 'False'),
      ],
    },
  ])('$name', ({ list, input, expected }) => {
    const before = structuredClone(list);
    expect(setCondition(list, input, clockAt(T1))).toEqual(expected);
    expect(list).toEqual(before);
  });

  it.each([
    ['ASCII', 'x'.repeat(40_000)],
    ['three-byte letters', '語'.repeat(20_000)],
    ['emoji', '😀'.repeat(10_000)],
  ])('cuts a message (%s) to the bytes the API server accepts, on a code point', (_name, message) => {
    const [ready] = setCondition([], { type: 'Ready', status: 'False', reason: 'Big', message }, clockAt(T0));
    expect(Buffer.byteLength(ready!.message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(ready!.message)).toBeGreaterThan(MAX_MESSAGE_BYTES - 4);
    expect(ready!.message.isWellFormed()).toBe(true);
  });

  it('throws a typed error for a reason that is not PascalCase', () => {
    expect(() =>
      setCondition([], { type: 'Ready', status: 'False', reason: 'not_pascal', message: '' }, clockAt(T0)),
    ).toThrow(InvalidReasonError);
  });
});

describe('reasons', () => {
  it.each([
    ['InvalidSpec', true],
    ['RedirectUriNotRegistered', true],
    ['Http2Failed', true],
    ['invalidSpec', false],
    ['Invalid Spec', false],
    ['Invalid_Spec', false],
    ['Invalid-Spec', false],
    ['', false],
    ['1Invalid', false],
  ])('isPascalCase(%j) is %s', (reason, expected) => {
    expect(isPascalCase(reason)).toBe(expected);
  });

  it.each([
    ['redirect uri-not_registered', 'RedirectUriNotRegistered'],
    ['InvalidSpec', 'InvalidSpec'],
    ['42 bad', 'Bad'],
    ['---', 'Unknown'],
  ])('normalizeReason(%j) is %j', (reason, expected) => {
    expect(normalizeReason(reason)).toBe(expected);
    expect(isPascalCase(normalizeReason(reason))).toBe(true);
  });

  it('checkReason throws when strict and normalises when not', () => {
    expect(() => checkReason('bad reason', true)).toThrow(InvalidReasonError);
    expect(checkReason('bad reason', false)).toBe('BadReason');
  });
});

describe('findCondition / removeCondition', () => {
  it('finds by type and removes without modifying the input', () => {
    const list = [cond('A', 'True'), cond('B', 'False')];
    expect(findCondition(list, 'B')?.status).toBe('False');
    expect(findCondition(undefined, 'B')).toBeUndefined();
    expect(removeCondition(list, 'A').map((c) => c.type)).toEqual(['B']);
    expect(list).toHaveLength(2);
  });
});

function statuses(list: readonly Condition[]): Record<string, string> {
  return Object.fromEntries(list.map((c) => [c.type, c.status]));
}

describe('kstatus helpers', () => {
  const start = [
    cond('Reconciling', 'True'),
    cond('Stalled', 'True'),
    cond('Ready', 'True', { observedGeneration: 1 }),
  ];

  it.each<{ name: string; update: ConditionUpdate; expected: Record<string, string> }>([
    { name: 'markReady', update: markReady(3, 'Ready', 'ok'), expected: { Ready: 'True' } },
    {
      name: 'markReconciling',
      update: markReconciling(3, 'Progressing', 'wait'),
      expected: { Reconciling: 'True', Ready: 'Unknown' },
    },
    {
      name: 'markStalled',
      update: markStalled(3, 'InvalidSpec', 'fix it'),
      expected: { Stalled: 'True', Ready: 'False' },
    },
  ])('$name sets its kstatus conditions and stamps the generation on each', ({ update, expected }) => {
    // Start from an inconsistent list to show each helper leaves a consistent one.
    const result = applyConditions(start, update, clockAt(T1));
    expect(statuses(result)).toEqual(expected);
    expect(result.every((c) => c.observedGeneration === 3)).toBe(true);
    expect(kstatusViolations(result, 3)).toEqual([]);
  });

  it.each([
    ['Reconciling then Stalled', [markReconciling(2, 'Progressing', 'a'), markStalled(2, 'InvalidSpec', 'b')]],
    ['Stalled then Reconciling', [markStalled(2, 'InvalidSpec', 'b'), markReconciling(2, 'Progressing', 'a')]],
    ['Stalled then Ready', [markStalled(2, 'InvalidSpec', 'b'), markReady(2, 'Ready', 'c')]],
  ])('%s never leaves Reconciling and Stalled both True', (_name, updates) => {
    let list: Condition[] = [];
    for (const update of updates) list = applyConditions(list, update, clockAt(T1));
    expect(kstatusViolations(list, 2)).toEqual([]);
  });

  it('keeps other condition types and adds kind-specific ones', () => {
    const update = withConditions(markReady(4, 'Ready', 'ok'), {
      type: 'CredentialsValid',
      status: 'True',
      reason: 'Verified',
      message: '',
    });
    const result = applyConditions([cond('Custom', 'False')], update, clockAt(T1));
    expect(statuses(result)).toEqual({ Custom: 'False', Ready: 'True', CredentialsValid: 'True' });
    expect(findCondition(result, 'CredentialsValid')?.observedGeneration).toBe(4);
    expect(findCondition(result, 'Custom')?.observedGeneration).toBeUndefined();
  });

  it('rejects an update that would make Reconciling and Stalled both True', () => {
    const update = withConditions(markStalled(1, 'InvalidSpec', 'x'), {
      type: 'Reconciling',
      status: 'True',
      reason: 'Progressing',
      message: '',
    });
    expect(() => applyConditions([], update, clockAt(T0))).toThrow(ConditionInvariantError);
  });

  it('keeps lastTransitionTime of Ready across reconciles that do not change its status', () => {
    const first = applyConditions([], markReady(1, 'Ready', 'ok'), clockAt(T0));
    const second = applyConditions(first, markReady(2, 'Ready', 'still ok'), clockAt(T1));
    expect(findCondition(second, 'Ready')).toMatchObject({
      lastTransitionTime: T0,
      observedGeneration: 2,
      message: 'still ok',
    });
  });

  it.each([
    ['markReady', markReady],
    ['markReconciling', markReconciling],
    ['markStalled', markStalled],
  ])('%s rejects a reason that is not PascalCase where it is written', (_name, mark) => {
    expect(() => mark(1, 'not pascal', 'm')).toThrow(InvalidReasonError);
  });

  it.each<{ name: string; list: Condition[]; generation: number; violations: number }>([
    { name: 'consistent', list: [cond('Ready', 'True', { observedGeneration: 2 })], generation: 2, violations: 0 },
    {
      name: 'Ready True for an older generation',
      list: [cond('Ready', 'True', { observedGeneration: 1 })],
      generation: 2,
      violations: 1,
    },
    {
      name: 'Ready False for an older generation',
      list: [cond('Ready', 'False', { observedGeneration: 1 })],
      generation: 2,
      violations: 0,
    },
    {
      name: 'Reconciling and Stalled both True',
      list: [cond('Reconciling', 'True'), cond('Stalled', 'True')],
      generation: 1,
      violations: 1,
    },
  ])('kstatusViolations: $name', ({ list, generation, violations }) => {
    expect(kstatusViolations(list, generation)).toHaveLength(violations);
  });
});

describe('statusEqual', () => {
  it.each<{ name: string; a: unknown; b: unknown; equal: boolean }>([
    { name: 'key order ignored', a: { x: 1, y: { p: 'a', q: 'b' } }, b: { y: { q: 'b', p: 'a' }, x: 1 }, equal: true },
    { name: 'undefined members ignored', a: { x: 1, y: undefined }, b: { x: 1 }, equal: true },
    { name: 'different value', a: { x: 1 }, b: { x: 2 }, equal: false },
    { name: 'extra key', a: { x: 1 }, b: { x: 1, y: 0 }, equal: false },
    { name: 'array order matters', a: [1, 2], b: [2, 1], equal: false },
    { name: 'array length', a: [1], b: [1, 1], equal: false },
    { name: 'array vs object', a: [], b: {}, equal: false },
    { name: 'null vs object', a: null, b: {}, equal: false },
    { name: 'string vs number', a: '1', b: 1, equal: false },
    {
      name: 'conditions with reordered keys',
      a: {
        observedGeneration: 2,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ok', message: '', lastTransitionTime: T0 }],
      },
      b: {
        conditions: [{ lastTransitionTime: T0, message: '', reason: 'Ok', status: 'True', type: 'Ready' }],
        observedGeneration: 2,
      },
      equal: true,
    },
  ])('$name → $equal', ({ a, b, equal }) => {
    expect(statusEqual(a, b)).toBe(equal);
    expect(statusEqual(b, a)).toBe(equal);
  });

  it('reports no change after re-applying the same update later', () => {
    const first = applyConditions([], markReady(1, 'Ready', 'ok'), clockAt(T0));
    const again = applyConditions(first, markReady(1, 'Ready', 'ok'), clockAt(T1));
    expect(statusEqual({ conditions: first }, { conditions: again })).toBe(true);
  });
});
