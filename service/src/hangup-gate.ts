/**
 * SIGHUP from the first moment of the process. Its default action ends the process, and /healthz answers
 * before start-up is over, so a reload sent to a service still starting used to kill it. The gate is
 * installed before anything else loads: a SIGHUP while starting is remembered and applied once start-up
 * is done (one reload, however many arrived); after that each SIGHUP reloads at once.
 */
export class HangupGate {
  private reload: (() => void) | null = null;
  private pending = false;

  constructor() {
    process.on('SIGHUP', () => {
      if (this.reload) this.reload();
      else this.pending = true;
    });
  }

  /** Start-up is done: from now on SIGHUP calls `reload`; one that came while starting is applied now. */
  open(reload: () => void): { deferred: boolean } {
    this.reload = reload;
    const deferred = this.pending;
    this.pending = false;
    if (deferred) reload();
    return { deferred };
  }
}
