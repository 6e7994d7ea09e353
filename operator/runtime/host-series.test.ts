// Issue 18, finding 16: imanage_work_requests_total{host} series were never removed, so /metrics
// grew with every host a tenant ever named and kept naming it after the repository was gone.
import { describe, expect, it } from 'vitest';
import { createMetrics, HostSeries } from './metrics.ts';

const seriesOf = async (metrics: ReturnType<typeof createMetrics>, host: string) =>
  (await metrics.registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith('imanage_work_requests_total{') && l.includes(`host="${host}"`));

describe('HostSeries', () => {
  it("drops a host's series when the last repository sending there lets go, not before", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const series = new HostSeries(metrics.workRequests);
    series.count('team-a/one', 'dms.example', 'success');
    series.count('team-a/two', 'dms.example', 'ServerError');
    series.count('team-b/three', 'other.example', 'success');

    series.release('team-a/one');
    expect(await seriesOf(metrics, 'dms.example')).toHaveLength(2);
    series.release('team-a/two');
    expect(await seriesOf(metrics, 'dms.example')).toEqual([]);
    expect(await seriesOf(metrics, 'other.example')).toHaveLength(1);
  });

  it('lets go of the old host when a repository sends to another one', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const series = new HostSeries(metrics.workRequests);
    series.count('team-a/one', 'old.example', 'success');
    series.count('team-a/one', 'new.example', 'success');
    expect(await seriesOf(metrics, 'old.example')).toEqual([]);
    expect(await seriesOf(metrics, 'new.example')).toEqual([
      'imanage_work_requests_total{host="new.example",result="success"} 1',
    ]);
  });

  it('ignores a release of an owner it never saw, and a second release', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const series = new HostSeries(metrics.workRequests);
    series.count('a/x', 'h.example', 'success');
    series.count('a/y', 'h.example', 'success');
    series.release('a/never');
    series.release('a/x');
    series.release('a/x');
    expect(await seriesOf(metrics, 'h.example')).toHaveLength(1);
  });
});
