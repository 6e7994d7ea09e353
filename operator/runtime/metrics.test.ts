import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, queueMetricsObserver, readyMetricName, readyStates } from './metrics.ts';
import { StatusLedger } from './status.ts';
import { imanageConnections, workspaceRepositories } from '../api/kinds.ts';

describe('createMetrics', () => {
  it.each([
    ['imanage_operator_reconcile_total', 'counter'],
    ['imanage_operator_reconcile_duration_seconds', 'histogram'],
    ['imanage_operator_queue_depth', 'gauge'],
    ['imanage_operator_queue_wait_seconds', 'histogram'],
    ['imanage_operator_watch_restarts_total', 'counter'],
    ['imanage_operator_leader', 'gauge'],
    ['imanage_operator_status_writes_total', 'counter'],
  ])('registers %s as a %s', async (name, type) => {
    const metrics = createMetrics({ processMetrics: false });
    expect(await metrics.registry.metrics()).toContain(`# TYPE ${name} ${type}`);
  });

  it('uses its own registry, so two instances do not clash and the global one stays empty', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.statusWrites.inc({ kind: 'Connection' });
    expect(await a.registry.metrics()).toContain('imanage_operator_status_writes_total{kind="Connection"} 1');
    expect(await b.registry.metrics()).not.toContain('imanage_operator_status_writes_total{kind="Connection"}');
    expect(await globalRegistry.metrics()).not.toContain('imanage_operator');
  });

  it('includes default process metrics unless turned off', async () => {
    expect(await createMetrics().registry.metrics()).toContain('process_cpu_user_seconds_total');
    expect(await createMetrics({ processMetrics: false }).registry.metrics()).not.toContain(
      'process_cpu_user_seconds_total',
    );
  });

  it('records leader, watch restarts and status writes with their labels', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.leader.set(1);
    metrics.watchRestarts.inc({ resource: 'secrets', reason: 'expired' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('imanage_operator_leader 1');
    expect(text).toContain('imanage_operator_watch_restarts_total{resource="secrets",reason="expired"} 1');
  });
});

describe('queue metrics', () => {
  it('turns queue hooks into reconcile and wait metrics labelled by kind', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const observer = queueMetricsObserver(metrics);
    observer.onWait?.('Connection/ns/a', 1500);
    observer.onResult?.('Connection/ns/a', 'success', 250);
    observer.onResult?.('Connection/ns/b', 'transient', 50, new Error('x'));
    const text = await metrics.registry.metrics();
    expect(text).toContain('imanage_operator_reconcile_total{kind="Connection",result="success"} 1');
    expect(text).toContain('imanage_operator_reconcile_total{kind="Connection",result="transient"} 1');
    expect(text).toContain('imanage_operator_queue_wait_seconds_sum{kind="Connection"} 1.5');
    expect(text).toContain('imanage_operator_reconcile_duration_seconds_count{kind="Connection"} 2');
  });

  it('samples queue depth per kind at scrape time and keeps emptied kinds at 0', async () => {
    const metrics = createMetrics({ processMetrics: false });
    let depths = new Map([
      ['Connection', 3],
      ['Repository', 1],
    ]);
    metrics.trackQueueDepth(() => depths);
    let text = await metrics.registry.metrics();
    expect(text).toContain('imanage_operator_queue_depth{kind="Connection"} 3');
    expect(text).toContain('imanage_operator_queue_depth{kind="Repository"} 1');
    depths = new Map([['Connection', 2]]);
    text = await metrics.registry.metrics();
    expect(text).toContain('imanage_operator_queue_depth{kind="Connection"} 2');
    expect(text).toContain('imanage_operator_queue_depth{kind="Repository"} 0');
  });
});

describe('the per-object ready metric', () => {
  const object = (name: string, ready?: { status: string; reason: string }) => ({
    metadata: { namespace: 'team-a', name, uid: `uid-${name}` },
    status: { conditions: ready ? [{ type: 'Ready', message: '', lastTransitionTime: '', ...ready }] : [] },
  });

  it.each([
    [imanageConnections.kind, 'imanage_connection_ready_status'],
    [workspaceRepositories.kind, 'imanage_workspacerepository_ready_status'],
  ])('names the metric of %s %s', (kind, name) => {
    expect(readyMetricName(kind)).toBe(name);
  });

  it('exports one series per cached object with its Ready, and drops the series when the object goes', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const cache = {
      objects: [
        object('a', { status: 'True', reason: 'Connected' }),
        object('b', { status: 'False', reason: 'RegistrationOverdue' }),
        object('c'),
      ],
      list() {
        return this.objects;
      },
      statusLedger: new StatusLedger(),
    };
    metrics.trackReady(imanageConnections.kind, () => readyStates(cache));
    const text = await metrics.registry.metrics();
    const series = text.split('\n').filter((l) => l.startsWith('imanage_connection_ready_status{'));
    expect(series).toEqual([
      'imanage_connection_ready_status{namespace="team-a",name="a",condition="True",reason="Connected"} 1',
      'imanage_connection_ready_status{namespace="team-a",name="b",condition="False",reason="RegistrationOverdue"} 1',
      'imanage_connection_ready_status{namespace="team-a",name="c",condition="Unknown",reason=""} 1',
    ]);

    // What this process wrote wins over a cache that has not caught up; a deleted object's series goes.
    const conditions = [{ type: 'Ready', status: 'True' as const, reason: 'Connected', message: '', lastTransitionTime: '' }];
    cache.statusLedger.record('uid-b', '2', { conditions });
    cache.objects = cache.objects.filter((o) => o.metadata.name !== 'a');
    const after = (await metrics.registry.metrics())
      .split('\n')
      .filter((l) => l.startsWith('imanage_connection_ready'));
    expect(after).toEqual([
      'imanage_connection_ready_status{namespace="team-a",name="b",condition="True",reason="Connected"} 1',
      'imanage_connection_ready_status{namespace="team-a",name="c",condition="Unknown",reason=""} 1',
    ]);
  });
});
