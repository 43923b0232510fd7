import type { Logger } from '../telemetry/logger.js';
import type { AgentClient } from './agent-client.js';

export interface LivenessSettings {
  /** Pause between the end of one check and the start of the next (checks never overlap). */
  intervalMs: number;
  /** A check with no answer within this long fails. */
  timeoutMs: number;
}

/**
 * Asks the agent's /healthz on a short interval, so the service knows the agent is down without
 * waiting for a call to time out or for someone to ask /readyz. The verdict lives in the client
 * (one home): a failed check marks the agent unreachable there, which answers new starts 503 at once
 * and ends the calls waiting on it; the next check that gets an answer clears it.
 */
export class AgentLiveness {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private lastReady: boolean | null = null;

  constructor(
    private readonly agent: AgentClient,
    private readonly settings: LivenessSettings,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.agent.checkedEvery(this.settings.intervalMs + this.settings.timeoutMs);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.checkOnce().finally(() => {
        this.running = null;
        this.schedule(this.settings.intervalMs);
      });
    }, delayMs);
    // Never what keeps the process alive.
    this.timer.unref();
  }

  private async checkOnce(): Promise<void> {
    const { ready, reason } = await this.agent.checkReady(this.settings.timeoutMs);
    if (ready === this.lastReady) return;
    // Logged on a change only: the first verdict and every transition after it.
    if (ready) this.logger.info({ event: 'agent_liveness', ready, reason }, 'the agent answers its health check');
    else this.logger.warn({ event: 'agent_liveness', ready, reason }, 'the agent is unreachable: starts answer 503');
    this.lastReady = ready;
  }
}
