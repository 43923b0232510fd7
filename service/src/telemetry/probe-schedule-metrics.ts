import { Counter, Histogram, type Registry } from 'prom-client';
import { PROBE_SKIP_REASONS, type ProbeSkipReason } from '../domain/probe-plan.js';

// From on time to a whole interval late: the schedule's own health, so no per-model label (1,000 models
// would make it 1,000 histograms); a late model shows in its probe's log line and trace instead.
const LATENESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How well the scheduler keeps its schedule: how late probes leave, and which never gave a sample and why. */
export class ProbeScheduleMetrics {
  private readonly lateness: Histogram;
  private readonly skipped: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.lateness = new Histogram({
      name: 'modelwatch_probe_lateness_seconds',
      help: 'How long after its due time each scheduled probe was sent to the agent (queueing in the service).',
      buckets: LATENESS_BUCKETS,
      registers,
    });
    this.skipped = new Counter({
      name: 'modelwatch_probes_skipped_total',
      help: 'Due probes that gave no health sample because of the monitor itself (service backlog, agent overloaded or unreachable), by reason.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of PROBE_SKIP_REASONS) this.skipped.inc({ reason }, 0);
  }

  observeLateness(ms: number): void {
    this.lateness.observe(Math.max(0, ms) / 1000);
  }

  countSkipped(reason: ProbeSkipReason): void {
    this.skipped.inc({ reason });
  }
}
