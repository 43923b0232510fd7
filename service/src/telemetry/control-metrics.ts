import { Counter, Gauge, type Registry } from 'prom-client';

/** Metrics of run-time control: drains, config reloads and the event stream's readers. */
export class ControlMetrics {
  private readonly drained: Gauge<'model'>;
  private readonly reloads: Counter<'result'>;
  private readonly clients: Gauge;
  private readonly dropped: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.drained = new Gauge({
      name: 'modelwatch_model_drained',
      help: '1 while an operator has the model drained (out of rotation for starts, still probed), else 0.',
      labelNames: ['model'],
      registers,
    });
    this.reloads = new Counter({
      name: 'modelwatch_config_reloads_total',
      help: 'Configuration reloads (SIGHUP or POST /v1/admin/reload), by result: applied or refused.',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['applied', 'refused']) this.reloads.inc({ result }, 0);
    this.clients = new Gauge({
      name: 'modelwatch_event_stream_clients',
      help: 'Clients connected to GET /v1/events.',
      registers,
    });
    this.dropped = new Counter({
      name: 'modelwatch_event_stream_dropped_clients_total',
      help: 'Event-stream clients disconnected because they fell too far behind.',
      registers,
    });
  }

  setDrained(modelId: string, drained: boolean): void {
    this.drained.set({ model: modelId }, drained ? 1 : 0);
  }

  forgetModel(modelId: string): void {
    this.drained.remove({ model: modelId });
  }

  recordReload(result: 'applied' | 'refused'): void {
    this.reloads.inc({ result });
  }

  clientConnected(delta: 1 | -1): void {
    this.clients.inc(delta);
  }

  clientDropped(): void {
    this.dropped.inc();
  }
}
