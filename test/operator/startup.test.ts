// A restarted operator over the objects an earlier one left Ready: with
// --resync-looks-per-second it plans their first looks over a window (the engine's test holds
// the timing to a fake clock; here the real controllers' statuses, read back from the API server,
// must be recognised as settled), looks at a spec changed while no operator ran at once, and
// writes nothing for the rest.
import { describe, expect, it } from 'vitest';
import { baseConnection, baseRepository, mergePatch } from '../../operator/api/validation/fixtures.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, metricValue, startOperator, waitFor, type OperatorProcess } from '../harness/operator.ts';

const ns = useTestNamespace('startup');
const CONNECTIONS = 6;
const REPOSITORIES = 6;
/** 11 settled objects at 2 a second: the window is 5.5 s. */
const LOOKS_PER_SECOND = 2;

const list = (items: object[]): string => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
const objects = (): object[] => [
  ...Array.from({ length: CONNECTIONS }, (_, i) => baseConnection(`conn-${i}`)),
  ...Array.from({ length: REPOSITORIES }, (_, i) =>
    mergePatch(baseRepository(`repo-${i}`), { spec: { connectionRef: { name: `conn-${i}` } } }),
  ),
];

async function total(op: OperatorProcess, name: string): Promise<number> {
  return metricValue(await op.metrics(), name);
}

describe('a restart over objects left Ready', () => {
  it('plans their first looks over a window, looks at a changed spec at once, and writes only for that', async () => {
    const first = await startOperator({ namespace: ns.name, leaderElect: false });
    try {
      await ns.apply(list(objects()));
      const waited = await ns.kubectl(['wait', '--for=condition=Ready', 'imc,wsr', '--all', '--timeout=60s']);
      expect(waited.code, waited.stderr).toBe(0);
    } finally {
      await first.stop();
    }
    // Edited while no operator runs: a new generation, which the next process must not hold back.
    const edited = await ns.kubectl(['patch', 'wsr', 'repo-0', '--type=merge', '-p', '{"spec":{"area":"Matters"}}']);
    expect(edited.code, edited.stderr).toBe(0);

    const op = await startOperator({
      namespace: ns.name,
      leaderElect: false,
      extraArgs: ['--resync-looks-per-second', String(LOOKS_PER_SECOND)],
    });
    try {
      const planned = await op.waitForLog((e) => e?.['windowMs'] !== undefined, 30_000);
      expect(planned).toMatchObject({ settled: CONNECTIONS + REPOSITORIES - 1, windowMs: 5_500, perSecond: 2 });
      await waitFor(
        async () => (await getObject(ns.name, 'wsr', 'repo-0'))?.status?.observedGeneration === 2,
        30_000,
        100,
        'the edited repository reported for its new generation',
      );
      await waitFor(
        async () => (await total(op, 'imanage_operator_reconcile_total')) >= CONNECTIONS + REPOSITORIES,
        60_000,
        100,
        'every object looked at once',
      );
      // Only the edited repository's status changed; the settled ones were looked at and left alone.
      expect(await total(op, 'imanage_operator_status_writes_total')).toBe(1);
    } finally {
      await op.stop();
    }
  });
});
