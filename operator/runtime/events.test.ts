import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { EventRecorder, MAX_FIELD_BYTES, MAX_NOTE_BYTES, microTime } from './events.ts';

function fakeClient(patchStatus?: number) {
  const created: any[] = [];
  const patched: any[] = [];
  return {
    created,
    patched,
    client: {
      async create(_r: unknown, o: any) {
        created.push(o);
        return o;
      },
      async patch(_r: unknown, ref: any, body: any) {
        if (patchStatus) throw Object.assign(new Error('gone'), { status: patchStatus });
        patched.push({ ref, body });
        return {};
      },
    } as any,
  };
}

const target = {
  apiVersion: 'example.com/v1beta1',
  kind: 'Widget',
  namespace: 'ns',
  name: 'acme',
  uid: 'u1',
};
const event = { type: 'Warning' as const, reason: 'SecretNotFound', action: 'Reconcile', note: 'create it' };

describe('EventRecorder', () => {
  it('creates an Event once, then counts repeats in its series', async () => {
    const f = fakeClient();
    const r = new EventRecorder({ client: f.client, clock: new FakeClock(0), controller: 'c', instance: 'i' });
    await r.record(target, event);
    await r.record(target, event);
    await r.record(target, event);
    expect(f.created).toHaveLength(1);
    expect(f.created[0]).toMatchObject({
      reason: 'SecretNotFound',
      type: 'Warning',
      note: 'create it',
      regarding: { kind: 'Widget', name: 'acme', uid: 'u1' },
    });
    expect(f.patched.map((p) => p.body.series.count)).toEqual([2, 3]);
  });

  it('starts a new Event when the old one has expired', async () => {
    const f = fakeClient(404);
    const r = new EventRecorder({ client: f.client, clock: new FakeClock(0), controller: 'c', instance: 'i' });
    await r.record(target, event);
    await r.record(target, event);
    expect(f.created).toHaveLength(2);
  });

  // The API server counts a note's bytes of UTF-8; a cut by UTF-16 units sent 1,026 and 2,050.
  it.each([
    ['ASCII', 'x'.repeat(5000)],
    ['two-byte letters', 'é'.repeat(1000)],
    ['three-byte letters', '語'.repeat(1000)],
    ['emoji straddling the limit', `${'x'.repeat(1021)}😀 and more`],
  ])('cuts a long note (%s) to the 1,024 bytes the API server accepts, on a code point', async (_name, note) => {
    const f = fakeClient();
    const r = new EventRecorder({ client: f.client, clock: new FakeClock(0), controller: 'c', instance: 'i' });
    await r.record(target, { ...event, note });
    const sent: string = f.created[0].note;
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(MAX_NOTE_BYTES);
    expect(Buffer.byteLength(sent)).toBeGreaterThan(MAX_NOTE_BYTES - 4);
    expect(sent.isWellFormed()).toBe(true);
    expect(sent.endsWith('…')).toBe(true);
  });

  it('cuts reason, action and reportingInstance to the 128 bytes the API server accepts', async () => {
    const f = fakeClient();
    const instance = 'é'.repeat(200);
    const r = new EventRecorder({ client: f.client, clock: new FakeClock(0), controller: 'c', instance });
    await r.record(target, { ...event, reason: 'R'.repeat(300), action: 'A'.repeat(300) });
    const sent = f.created[0];
    for (const field of ['reason', 'action', 'reportingInstance']) {
      expect(Buffer.byteLength(sent[field]), field).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    }
  });

  it('names the Event of an object with a 253-character name within the 253 an object name may have', async () => {
    const f = fakeClient();
    const r = new EventRecorder({ client: f.client, clock: new FakeClock(0), controller: 'c', instance: 'i' });
    const longName = `${'a'.repeat(250)}-bb`; // the cut falls just after the '-'
    await r.record({ ...target, name: longName }, event);
    const name: string = f.created[0].metadata.name;
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
    expect(f.created[0].regarding.name).toBe(longName);
  });

  it('writes MicroTime', () => {
    expect(microTime(new Date('2026-11-23T12:00:00.123Z'))).toBe('2026-11-23T12:00:00.123000Z');
  });
});
