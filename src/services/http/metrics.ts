import { collectDefaultMetrics, Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  lines(): string[];
}

/** A monotonically increasing count per label set. */
export class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const entry = this.#values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.#values.set(key, entry);
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels))?.value ?? 0;
  }

  samples(): { labels: Labels; value: number }[] {
    return [...this.#values.values()];
  }
}

/** A distribution of observed values (seconds, usually) over fixed upper bounds. */
export class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.#counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.buckets.forEach((bound, i) => {
      if (value <= bound) this.#counts[i]!++;
    });
    this.#sum += value;
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  lines(name: string): string[] {
    return [
      ...this.buckets.map((bound, i) => `${name}_bucket{le="${bound}"} ${this.#counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.#count}`,
      `${name}_sum ${this.#sum}`,
      `${name}_count ${this.#count}`,
    ];
  }
}

/**
 * A Prometheus registry (text exposition format 0.0.4): counters, histograms and gauges whose values are read
 * when scraped, followed by prom-client's default process metrics (CPU, memory, heap, event-loop lag, GC) unless
 * `processMetrics` is false. Names are registered once; the `allegro_` prefix is the caller's.
 */
export class Metrics {
  readonly #families: Family[] = [];
  readonly #process: Registry | undefined;

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics === false) return;
    this.#process = new Registry();
    collectDefaultMetrics({ register: this.#process });
  }

  counter(name: string, help: string): Counter {
    const counter = new Counter();
    this.#register({
      name,
      help,
      type: 'counter',
      lines: () => counter.samples().map((s) => `${name}${renderLabels(s.labels)} ${s.value}`),
    });
    return counter;
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const histogram = new Histogram(buckets);
    this.#register({ name, help, type: 'histogram', lines: () => histogram.lines(name) });
    return histogram;
  }

  /** A gauge computed at scrape time: one sample per label set `read` returns. */
  gauge(name: string, help: string, read: () => readonly { labels?: Labels; value: number }[]): void {
    this.#register({
      name,
      help,
      type: 'gauge',
      lines: () => read().map((s) => `${name}${renderLabels(s.labels ?? {})} ${s.value}`),
    });
  }

  /** The exposition text. */
  async render(): Promise<string> {
    const own = this.#families
      .flatMap((f) => [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.lines()])
      .map((line) => `${line}\n`)
      .join('');
    return this.#process ? `${own}${await this.#process.metrics()}` : own;
  }

  #register(family: Family): void {
    if (this.#families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} exists`);
    this.#families.push(family);
  }
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function renderLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escaped = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${entries.map(([k, v]) => `${k}="${escaped(v)}"`).join(',')}}`;
}
