import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { EventRecorder, microTime } from './events.ts';

function fakeClient(patchStatus?: number) {
  const created: any[] = [];
  const patched: any[] = [];
  return {
    created, patched,
    client: {
      async create(_r: unknown, o: any) { created.push(o); return o; },
      async patch(_r: unknown, ref: any, body: any) {
        if (patchStatus) throw Object.assign(new Error('gone'), { status: patchStatus });
        patched.push({ ref, body });
        return {};
      },
    } as any,
  };
}

const target = { apiVersion: 'imanage.operator.dev/v1alpha1', kind: 'IManageConnection', namespace: 'ns', name: 'acme', uid: 'u1' };
const event = { type: 'Warning' as const, reason: 'SecretNotFound', action: 'Reconcile', note: 'create it' };

describe('EventRecorder', () => {
  it('creates an Event once, then counts repeats in its series', async () => {
    const f = fakeClient();
    const r = new EventRecorder({ client: f.client, clock: new FakeClock(0), controller: 'c', instance: 'i' });
    await r.record(target, event);
    await r.record(target, event);
    await r.record(target, event);
    expect(f.created).toHaveLength(1);
    expect(f.created[0]).toMatchObject({ reason: 'SecretNotFound', type: 'Warning', note: 'create it', regarding: { kind: 'IManageConnection', name: 'acme', uid: 'u1' } });
    expect(f.patched.map((p) => p.body.series.count)).toEqual([2, 3]);
  });

  it('starts a new Event when the old one has expired', async () => {
    const f = fakeClient(404);
    const r = new EventRecorder({ client: f.client, clock: new FakeClock(0), controller: 'c', instance: 'i' });
    await r.record(target, event);
    await r.record(target, event);
    expect(f.created).toHaveLength(2);
  });

  it('cuts long notes to the 1 kB the API server accepts', async () => {
    const f = fakeClient();
    const r = new EventRecorder({ client: f.client, clock: new FakeClock(0), controller: 'c', instance: 'i' });
    await r.record(target, { ...event, note: 'x'.repeat(5000) });
    expect(f.created[0].note).toHaveLength(1024);
  });

  it('writes MicroTime', () => {
    expect(microTime(new Date('2026-11-23T12:00:00.123Z'))).toBe('2026-11-23T12:00:00.123000Z');
  });
});
