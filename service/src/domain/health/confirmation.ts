// Confirmation runs: a suspicion (a hard failure, or a first-token miss) on a model that is not
// unhealthy asks for quick probes until it is confirmed unhealthy or a probe succeeds (Kubernetes'
// short period while failing). Bounded: a run sends at most `maxProbes` probes (what the
// consecutive-failure rule needs), and a new run opens only `coolDownMs` after the last one closed,
// so a model failing a share of its calls gets at most maxProbes extra probes per coolDownMs.

export class ConfirmationRun {
  private open = false;
  private probesSent = 0;
  private closedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxProbes: number,
    private readonly coolDownMs: number,
  ) {}

  get active(): boolean {
    return this.open;
  }

  /** Opens a run unless one is open or the last closed less than coolDownMs ago. */
  suspect(now: number): void {
    if (this.open || now - this.closedAt < this.coolDownMs) return;
    this.open = true;
    this.probesSent = 0;
  }

  /** A probe ended while the run was open: the run closes on success or when its budget is spent. */
  probed(success: boolean, now: number): void {
    if (!this.open) return;
    this.probesSent += 1;
    if (success || this.probesSent >= this.maxProbes) this.close(now);
  }

  /** Confirmed (unhealthy) or cleared by other evidence. */
  close(now: number): void {
    if (!this.open) return;
    this.open = false;
    this.closedAt = now;
  }
}
