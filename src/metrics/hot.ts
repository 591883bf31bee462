// Metrics touched on every request (gRPC counters and latency, per-kind MVCC totals,
// pending proposals): plain numbers on the hot path, turned into Prometheus samples
// only when /metrics is scraped. prom-client's own inc/observe hash the label set and
// allocate on each call, which under load cost more than the counting itself.
// The families register with a prom-client Registry and print exactly as its
// counters, gauges and histograms do.

type Labels = Record<string, string | number>;
interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

/** Where a family registers: a prom-client Registry, or an edge thread's plain list (metrics/edge.ts). */
export interface FamilyRegistry {
  registerMetric(metric: never): void;
}

/** What prom-client's registry reads from a metric at scrape time. */
abstract class Family {
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  constructor(
    readonly name: string,
    readonly help: string,
    registry: FamilyRegistry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract samples(): Sample[];

  async get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    return { name: this.name, help: this.help, type: this.type, values: this.samples(), aggregator: this.aggregator };
  }

  abstract reset(): void;
}

export class CounterCell {
  value = 0;
  inc(n = 1): void {
    if (!(n >= 0)) throw new Error(`a counter only goes up (got ${n})`);
    this.value += n;
  }
}

export class GaugeCell extends CounterCell {
  override inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  set(v: number): void {
    this.value = v;
  }
}

/** Label values in the order of the family's label names, joined: one map key per label set. */
function keyOf(values: readonly string[]): string {
  return values.join('\u0000');
}

abstract class CellFamily<C> extends Family {
  protected readonly cells = new Map<string, { labels: Labels; cell: C }>();

  constructor(name: string, help: string, registry: FamilyRegistry, readonly labelNames: readonly string[]) {
    super(name, help, registry);
  }

  protected abstract newCell(): C;

  /** The cell of one label set, by values in label-name order; keep it and update it directly. */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name}: ${this.labelNames.length} label values expected, got ${values.length}`);
    const key = keyOf(values);
    let e = this.cells.get(key);
    if (e === undefined) {
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i]));
      e = { labels, cell: this.newCell() };
      this.cells.set(key, e);
    }
    return e.cell;
  }
}

export class HotCounter extends CellFamily<CounterCell> {
  readonly type = 'counter';
  private readonly own: CounterCell;

  constructor(name: string, help: string, registry: FamilyRegistry, labelNames: readonly string[] = []) {
    super(name, help, registry, labelNames);
    this.own = new CounterCell();
    if (labelNames.length === 0) this.cells.set('', { labels: {}, cell: this.own });
  }

  protected newCell(): CounterCell {
    return new CounterCell();
  }

  /** For a family without labels (a labelled one counts through labels(...)). */
  inc(n = 1): void {
    if (this.labelNames.length > 0) throw new Error(`${this.name}: inc() needs a label set; use labels(...)`);
    this.own.inc(n);
  }

  protected samples(): Sample[] {
    return [...this.cells.values()].map((e) => ({ labels: e.labels, value: e.cell.value }));
  }

  reset(): void {
    for (const e of this.cells.values()) e.cell.value = 0;
  }
}

export class HotGauge extends Family {
  readonly type = 'gauge';
  private readonly cell = new GaugeCell();

  inc(n = 1): void {
    this.cell.inc(n);
  }
  dec(n = 1): void {
    this.cell.dec(n);
  }
  set(v: number): void {
    this.cell.set(v);
  }
  get value(): number {
    return this.cell.value;
  }

  protected samples(): Sample[] {
    return [{ labels: {}, value: this.cell.value }];
  }

  reset(): void {
    this.cell.value = 0;
  }
}

export class HistogramCell {
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    // Few bounds (at most a dozen or so): a scan beats a binary search here.
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

export class HotHistogram extends CellFamily<HistogramCell> {
  readonly type = 'histogram';

  constructor(name: string, help: string, registry: FamilyRegistry, labelNames: readonly string[], readonly bounds: readonly number[]) {
    super(name, help, registry, labelNames);
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i] > bounds[i - 1])) throw new Error(`${name}: bucket bounds must increase`);
  }

  protected newCell(): HistogramCell {
    return new HistogramCell(this.bounds);
  }

  protected samples(): Sample[] {
    const out: Sample[] = [];
    for (const { labels, cell } of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += cell.counts[i];
        out.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      });
      out.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: cell.count });
      out.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    }
    return out;
  }

  reset(): void {
    // Callers keep their cells: zero them rather than forget them.
    for (const { cell } of this.cells.values()) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}

/**
 * A counter or gauge whose samples are read at scrape time from the state that holds
 * them (a store's counters, the watchers open now), so nothing is updated on the path
 * that changes them.
 */
export class PulledFamily extends Family {
  constructor(
    name: string,
    help: string,
    registry: FamilyRegistry,
    readonly type: 'counter' | 'gauge',
    private readonly read: () => Array<{ labels?: Labels; value: number }>,
  ) {
    super(name, help, registry);
  }

  protected samples(): Sample[] {
    return this.read().map((s) => ({ labels: s.labels ?? {}, value: s.value }));
  }

  reset(): void {
    // Nothing is held here: the values belong to their source.
  }
}
