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

/** Text of about this many characters is handed on at a time (see Chunks). */
export const CHUNK_CHARS = 64 * 1024;

/**
 * Takes the text piece by piece; a promise back means "wait before the next piece" (a slow reader's socket
 * is full). Waiting happens only between series, so a series (a histogram's buckets, sum and count) is
 * always read at one moment.
 */
export type ChunkSink = (chunk: string) => Promise<void> | undefined;

/**
 * Gathers the exposition into pieces of about CHUNK_CHARS and hands each on at the next series boundary, so no
 * string (or array of lines) of a whole family or of the whole 5-MB body is made: such strings go straight to
 * V8's large-object space, which only a full GC frees, and with the sink's waiting, pieces do not pile up
 * (and outlive the young generation) in a socket that cannot send while the scrape holds the thread
 * (bench/README.md section 9).
 */
class Chunks {
  private text = '';
  constructor(private readonly emit: ChunkSink) {}

  add(piece: string): void {
    this.text += piece;
  }

  /** At a series boundary: hands on a full piece; what comes back is the sink's wait, if any. */
  boundary(): Promise<void> | undefined {
    return this.text.length >= CHUNK_CHARS ? this.flush() : undefined;
  }

  flush(): Promise<void> | undefined {
    const text = this.text;
    this.text = '';
    return text ? this.emit(text) : undefined;
  }
}

export class FastExposition {
  /**
   * Per metric: series hash -> its escaped label text, kept across scrapes (a map of 58,000 entries built anew
   * per scrape was old-space garbage each time); entries of removed series are dropped when a scrape sees
   * fewer series than the map holds.
   */
  private readonly labelText = new WeakMap<object, Map<string, string>>();

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

  /** The whole text as one string (tests; the route streams it with renderTo). */
  async render(openMetrics: boolean): Promise<string> {
    const chunks: string[] = [];
    await this.renderTo(openMetrics, (chunk) => void chunks.push(chunk));
    return chunks.join('');
  }

  /** The text in pieces of about CHUNK_CHARS, in order; their concatenation is Registry.metrics()'s text. */
  async renderTo(openMetrics: boolean, sink: ChunkSink): Promise<void> {
    const out = new Chunks(sink);
    let first = true;
    for (const metric of this.registry.getMetricsAsArray()) {
      // Families are separated as Registry.metrics() joins them: a blank line in text, a newline in OpenMetrics.
      if (!first) out.add(openMetrics ? '\n' : '\n\n');
      first = false;
      const m = metric as unknown as Internals;
      if (FastExposition.handles(metric)) {
        await this.family(out, m, openMetrics);
        continue;
      }
      // As Registry.metrics() does (metricsRenderer puts the name back after the scrape).
      if (openMetrics && m.type === 'counter') m.name = m.name.replace(/_total$/, '');
      out.add(await (this.registry as unknown as PromFormatter).getMetricsAsString(metric));
    }
    out.add(openMetrics ? '\n# EOF\n' : '\n');
    await out.flush();
  }

  private labelsOf(known: Map<string, string>, hash: string, labels: Entry['labels']): string {
    let text = known.get(hash);
    if (text === undefined) known.set(hash, (text = formatLabels(labels)));
    return text;
  }

  private knownLabels(metric: Internals): Map<string, string> {
    let known = this.labelText.get(metric);
    if (!known) this.labelText.set(metric, (known = new Map<string, string>()));
    return known;
  }

  private async family(out: Chunks, metric: Internals, openMetrics: boolean): Promise<void> {
    const counterInOm = openMetrics && metric.type === 'counter';
    const name = escapeString(counterInOm ? metric.name.replace(/_total$/, '') : metric.name);
    out.add(`# HELP ${name} ${escapeString(metric.help)}\n# TYPE ${name} ${metric.type}`);
    const known = this.knownLabels(metric);
    let series = 0;
    for (const hash in metric.hashMap) {
      const entry = metric.hashMap[hash];
      if (!entry) continue; // removed while the scrape waited for its reader
      const labels = this.labelsOf(known, hash, entry.labels);
      series += 1;
      if (metric.upperBounds) this.histogramLines(out, name, metric.upperBounds, entry, labels, openMetrics);
      else {
        const sample = counterInOm ? `${name}_total` : name;
        out.add(`\n${sample}${labels ? `{${labels}}` : ''} ${valueText(entry.value ?? 0)}`);
      }
      const wait = out.boundary();
      if (wait) await wait;
    }
    if (known.size > series) for (const hash of known.keys()) if (!(hash in metric.hashMap)) known.delete(hash);
  }

  private histogramLines(
    out: Chunks,
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
      out.add(`\n${name}_bucket{le="${bound}"${shared}} ${valueText(cumulative)}${ex}`);
    }
    const inf = exemplars ? exemplarText(exemplars['-1']) : '';
    out.add(`\n${name}_bucket{le="+Inf"${shared}} ${valueText(entry.count ?? 0)}${inf}`);
    const own = labels ? `{${labels}}` : '';
    out.add(`\n${name}_sum${own} ${valueText(entry.sum ?? 0)}\n${name}_count${own} ${valueText(entry.count ?? 0)}`);
  }
}
