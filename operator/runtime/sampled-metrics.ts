// Gauges with one series per object (the Ready of every cached object, the expiry of every held
// token), sampled from their source on every scrape and written out here instead of by prom-client.
//
// Why: prom-client's Gauge keeps a hashed entry per label set. Reset and set again on every scrape,
// then formatted, that took 39 ms a scrape at 1,000 connections (6,000 objects and 2,000 tokens,
// 833 KiB of text) with the image's Node flags; this writes the same text in 14 ms, and keeps no
// entry per series between scrapes.
import { type MetricObjectWithValues, type MetricType, type MetricValue, Registry } from 'prom-client';

export interface SampledGauge<T> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Read on every scrape: the series are exactly what it yields then. */
  readonly sample: () => Iterable<T>;
  /** In the order of labelNames. */
  readonly labelValues: (item: T) => readonly string[];
  readonly value: (item: T) => number;
}

const NEEDS_ESCAPE = /[\\\n"]/;

/** The exposition format's escaping of a label value: backslash, newline and double quote. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** As prom-client writes a value (its `Nan` included, so that both halves of the text agree). */
function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return String(value);
}

/**
 * Series per piece of the text. Why pieces: at 1,000 connections the sampled series are 833 KiB of
 * text; made as one string (and the array of its lines), each scrape put megabytes in V8's
 * large-object space, which only a full collection frees. Pieces of about 30 KiB die young.
 */
export const SERIES_PER_PIECE = 256;

/** The gauge's text in pieces of at most SERIES_PER_PIECE lines, each ending in a newline. */
function* renderPieces<T>(gauge: SampledGauge<T>): Generator<string> {
  const help = gauge.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  let piece = `# HELP ${gauge.name} ${help}\n# TYPE ${gauge.name} gauge\n`;
  let lines = 0;
  for (const item of gauge.sample()) {
    const values = gauge.labelValues(item);
    let labels = '';
    gauge.labelNames.forEach((label, i) => {
      labels += `${i === 0 ? '' : ','}${label}="${escapeLabelValue(values[i] ?? '')}"`;
    });
    piece += `${gauge.name}{${labels}} ${valueText(gauge.value(item))}\n`;
    if (++lines === SERIES_PER_PIECE) {
      yield piece;
      piece = '';
      lines = 0;
    }
  }
  if (piece !== '') yield piece;
}

/** prom-client's text of the named metrics a registry holds, in its order and joined as `metrics()` does; '' for none. */
export async function namedText(registry: Registry, names: ReadonlySet<string>): Promise<string> {
  const held = registry.getMetricsAsArray().filter((metric) => names.has(metric.name));
  const texts = await Promise.all(held.map((metric) => registry.getSingleMetricAsString(metric.name)));
  return texts.length === 0 ? '' : `${texts.join('\n\n')}\n`;
}

/** prom-client's registry, plus the sampled gauges, in the text and in the JSON alike. */
export class OperatorRegistry extends Registry {
  readonly #sampled = new Map<string, SampledGauge<never>>();

  addSampled<T>(gauge: SampledGauge<T>): void {
    if (this.#sampled.has(gauge.name) || this.getSingleMetric(gauge.name)) {
      throw new Error(`A metric with the name ${gauge.name} has already been registered.`);
    }
    this.#sampled.set(gauge.name, gauge as unknown as SampledGauge<never>);
  }

  override async metrics(): Promise<string> {
    let text = '';
    for await (const piece of this.pieces()) text += piece;
    return text;
  }

  /**
   * The same text as `metrics()`, in pieces for a response to write one by one: prom-client's
   * metrics first, then each sampled gauge, a blank line between metrics. With `names`, only the
   * metrics of those names (unknown names are left out): the rest is neither collected nor
   * rendered, so a reader of two counters does not pay for a series per object.
   */
  async *pieces(names?: ReadonlySet<string>): AsyncGenerator<string> {
    const text = names ? await namedText(this, names) : await super.metrics();
    const sampled = [...this.#sampled.values()].filter((gauge) => !names || names.has(gauge.name));
    if (sampled.length === 0) {
      if (text !== '') yield text;
      return;
    }
    // Between pieces other work may run and change what a gauge samples: each series is read as
    // its piece is made, as one scrape at one moment would read it.
    if (text !== '') yield `${text}\n`;
    let first = true;
    for (const gauge of sampled) {
      if (!first) yield '\n';
      first = false;
      yield* renderPieces(gauge);
    }
  }

  override async getMetricsAsJSON(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    const sampled = [...this.#sampled.values()].map((gauge) => ({
      name: gauge.name,
      help: gauge.help,
      type: 'gauge' as unknown as MetricType,
      aggregator: 'sum' as const,
      // Nothing to collect: `sample` is read as this object is made.
      collect: () => {},
      values: [...gauge.sample()].map((item) => {
        const values = gauge.labelValues(item);
        return {
          labels: Object.fromEntries(gauge.labelNames.map((label, i) => [label, values[i] ?? ''])),
          value: gauge.value(item),
        };
      }),
    }));
    return [...(await super.getMetricsAsJSON()), ...sampled];
  }
}
