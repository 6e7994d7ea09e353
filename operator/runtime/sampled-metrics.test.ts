// The sampled gauges write the same exposition text prom-client writes for a Gauge with the same
// series, and appear in the JSON too (the monitoring test reads names from there).
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics } from './metrics.ts';
import { escapeLabelValue, OperatorRegistry, SERIES_PER_PIECE } from './sampled-metrics.ts';

interface Item {
  readonly name: string;
  readonly reason: string;
  readonly value: number;
}

const ITEMS: Item[] = [
  { name: 'a', reason: 'Connected', value: 1 },
  { name: 'with "quotes"', reason: 'back\\slash\nand newline', value: -2.5 },
  { name: 'nan', reason: '', value: Number.NaN },
  { name: 'inf', reason: 'X', value: Number.POSITIVE_INFINITY },
];

function sampled(): OperatorRegistry {
  const registry = new OperatorRegistry();
  new Gauge({ name: 'plain_gauge', help: 'A gauge of prom-client.', registers: [registry] }).set(3);
  registry.addSampled<Item>({
    name: 'per_object',
    help: 'One series per object.\nSecond line with a \\.',
    labelNames: ['name', 'reason'],
    sample: () => ITEMS,
    labelValues: (i) => [i.name, i.reason],
    value: (i) => i.value,
  });
  return registry;
}

function promClient(): Registry {
  const registry = new Registry();
  new Gauge({ name: 'plain_gauge', help: 'A gauge of prom-client.', registers: [registry] }).set(3);
  const gauge = new Gauge({
    name: 'per_object',
    help: 'One series per object.\nSecond line with a \\.',
    labelNames: ['name', 'reason'] as const,
    registers: [registry],
  });
  for (const i of ITEMS) gauge.set({ name: i.name, reason: i.reason }, i.value);
  return registry;
}

describe('OperatorRegistry', () => {
  it('writes a sampled gauge exactly as prom-client writes the same Gauge', async () => {
    expect(await sampled().metrics()).toBe(await promClient().metrics());
  });

  it('writes many series in pieces of at most SERIES_PER_PIECE lines, the same text joined', async () => {
    const many = Array.from({ length: 2 * SERIES_PER_PIECE + 3 }, (_, i) => ({ name: `o${i}`, value: i }));
    const ours = new OperatorRegistry();
    new Gauge({ name: 'plain_gauge', help: 'A gauge of prom-client.', registers: [ours] }).set(3);
    ours.addSampled({
      name: 'many',
      help: 'Many.',
      labelNames: ['name'],
      sample: () => many,
      labelValues: (i) => [i.name],
      value: (i) => i.value,
    });
    const theirs = new Registry();
    new Gauge({ name: 'plain_gauge', help: 'A gauge of prom-client.', registers: [theirs] }).set(3);
    const gauge = new Gauge({ name: 'many', help: 'Many.', labelNames: ['name'] as const, registers: [theirs] });
    for (const i of many) gauge.set({ name: i.name }, i.value);
    const pieces: string[] = [];
    for await (const piece of ours.pieces()) pieces.push(piece);
    expect(pieces.join('')).toBe(await theirs.metrics());
    expect(pieces.length).toBeGreaterThanOrEqual(4); // prom-client's text, then three pieces of series
    for (const piece of pieces) expect(piece.split('\n').length - 1).toBeLessThanOrEqual(SERIES_PER_PIECE + 2);
  });

  it('lists sampled gauges in the JSON with their series', async () => {
    const json = await sampled().getMetricsAsJSON();
    const metric = json.find((m) => m.name === 'per_object');
    expect(String(metric?.type)).toBe('gauge');
    expect(metric?.values[0]).toEqual({ labels: { name: 'a', reason: 'Connected' }, value: 1 });
    expect(metric?.values).toHaveLength(ITEMS.length);
  });

  it('refuses a second metric of the same name', () => {
    const registry = sampled();
    const again = {
      name: 'plain_gauge',
      help: '',
      labelNames: [],
      sample: () => [],
      labelValues: () => [],
      value: () => 0,
    };
    expect(() => registry.addSampled(again)).toThrow(/already been registered/);
    expect(() => registry.addSampled({ ...again, name: 'per_object' })).toThrow(/already been registered/);
  });

  it('samples on every scrape: a series goes with its item', async () => {
    const registry = new OperatorRegistry();
    let items = ['a', 'b'];
    registry.addSampled<string>({
      name: 'x',
      help: 'h',
      labelNames: ['n'],
      sample: () => items,
      labelValues: (n) => [n],
      value: () => 1,
    });
    expect(await registry.metrics()).toContain('x{n="b"} 1');
    items = ['a'];
    expect(await registry.metrics()).not.toContain('x{n="b"}');
  });

  it('escapes only what the format requires', () => {
    expect(escapeLabelValue('plain-name.1')).toBe('plain-name.1');
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it("exports the operator's token expiry, in seconds from the scrape", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-07T10:00:00Z') });
    try {
      const metrics = createMetrics({ processMetrics: false });
      const expiresAt = new Date('2026-12-07T10:10:00Z');
      metrics.trackTokenExpiry(() => [{ namespace: 'team-a', name: 'acme', token: 'access', expiresAt }]);
      const scraped = async () =>
        (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith('imanage_token_expiry_seconds{'));
      expect(await scraped()).toBe('imanage_token_expiry_seconds{namespace="team-a",name="acme",token="access"} 600');
      vi.setSystemTime(new Date('2026-12-07T10:10:01.500Z'));
      expect(await scraped()).toBe('imanage_token_expiry_seconds{namespace="team-a",name="acme",token="access"} -1.5');
    } finally {
      vi.useRealTimers();
    }
  });
});
