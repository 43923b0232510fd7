import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The text of a registry, as prom-client 15's Registry.metrics() writes it, byte for byte
 * (fast-exposition.test.ts compares the two), but cheap at 1,000 models: prom-client builds an object
 * per sample and escapes every label on every scrape (about 400 ms and as much garbage for the ~58,000
 * series of 1,000 models, blocking the event loop the probes run on). Here the label text of each
 * series is escaped once and kept while the series exists; a sample is one string concatenation.
 *
 * Reads prom-client's own per-series store (`hashMap`, `upperBounds`) of plain Counters, Gauges and
 * Histograms, which the pinned version keeps stable; a metric with a `collect` callback (the default
 * process metrics) goes through prom-client's own formatter.
 */
interface Entry {
  labels: Record<string, string | number>;
  value?: number;
  sum?: number;
  count?: number;
  bucketValues?: Record<string, number>;
  bucketExemplars?: Record<string, Exemplar | null>;
}
interface Exemplar {
  labelSet: Record<string, string | number>;
  value: number;
  timestamp: number;
}
/** prom-client's formatter of one metric (in its Registry, not in its type declarations). */
interface PromFormatter {
  getMetricsAsString(metric: unknown): Promise<string>;
}
interface Internals {
  name: string;
  help: string;
  type: string;
  hashMap: Record<string, Entry>;
  upperBounds?: number[];
  collect?: unknown;
}

const escapeString = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (v: string | number): string | number =>
  typeof v === 'string' ? escapeString(v).replace(/"/g, '\\"') : v;
const formatLabels = (labels: Record<string, string | number>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');

function valueText(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

function exemplarText(e: Exemplar | null | undefined): string {
  if (!e) return '';
  return ` # {${formatLabels(e.labelSet)}} ${valueText(e.value)} ${e.timestamp}`;
}

export class FastExposition {
  /** Per metric: series hash -> its escaped label text; rebuilt each scrape so removed series are let go. */
  private labelText = new WeakMap<object, Map<string, string>>();

  constructor(private readonly registry: Registry) {}

  /** Whether this metric's samples are written here rather than by prom-client. */
  static handles(metric: unknown): boolean {
    const m = metric as Internals;
    return (
      (metric instanceof Counter || metric instanceof Gauge || metric instanceof Histogram) &&
      !m.collect &&
      typeof m.hashMap === 'object'
    );
  }

  async render(openMetrics: boolean): Promise<string> {
    const parts: string[] = [];
    for (const metric of this.registry.getMetricsAsArray()) {
      const m = metric as unknown as Internals;
      if (FastExposition.handles(metric)) {
        parts.push(this.family(m, openMetrics));
        continue;
      }
      // As Registry.metrics() does (metricsRenderer puts the name back after the scrape).
      if (openMetrics && m.type === 'counter') m.name = m.name.replace(/_total$/, '');
      parts.push(await (this.registry as unknown as PromFormatter).getMetricsAsString(metric));
    }
    return openMetrics ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`;
  }

  private labelsOf(metric: Internals, hash: string, labels: Entry['labels'], next: Map<string, string>): string {
    let text = this.labelText.get(metric)?.get(hash);
    text ??= formatLabels(labels);
    next.set(hash, text);
    return text;
  }

  private family(metric: Internals, openMetrics: boolean): string {
    const counterInOm = openMetrics && metric.type === 'counter';
    const name = escapeString(counterInOm ? metric.name.replace(/_total$/, '') : metric.name);
    const lines = [`# HELP ${name} ${escapeString(metric.help)}`, `# TYPE ${name} ${metric.type}`];
    const next = new Map<string, string>();
    for (const [hash, entry] of Object.entries(metric.hashMap)) {
      const labels = this.labelsOf(metric, hash, entry.labels, next);
      if (metric.upperBounds) this.histogramLines(lines, name, metric.upperBounds, entry, labels, openMetrics);
      else {
        const sample = counterInOm ? `${name}_total` : name;
        lines.push(`${sample}${labels ? `{${labels}}` : ''} ${valueText(entry.value ?? 0)}`);
      }
    }
    this.labelText.set(metric, next);
    return lines.join('\n');
  }

  private histogramLines(
    lines: string[],
    name: string,
    bounds: number[],
    entry: Entry,
    labels: string,
    openMetrics: boolean,
  ): void {
    const shared = labels ? `,${labels}` : '';
    const exemplars = openMetrics ? entry.bucketExemplars : undefined;
    let cumulative = 0;
    for (const bound of bounds) {
      cumulative += entry.bucketValues?.[bound] ?? 0;
      const ex = exemplars ? exemplarText(exemplars[bound]) : '';
      lines.push(`${name}_bucket{le="${bound}"${shared}} ${valueText(cumulative)}${ex}`);
    }
    const inf = exemplars ? exemplarText(exemplars['-1']) : '';
    lines.push(`${name}_bucket{le="+Inf"${shared}} ${valueText(entry.count ?? 0)}${inf}`);
    const own = labels ? `{${labels}}` : '';
    lines.push(`${name}_sum${own} ${valueText(entry.sum ?? 0)}`, `${name}_count${own} ${valueText(entry.count ?? 0)}`);
  }
}
