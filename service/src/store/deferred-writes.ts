/**
 * Writes nobody waits for (health transitions), kept in order in memory while the store cannot
 * take them (another connection's lock, a full disk) and written, oldest first and in one
 * transaction, as soon as it can. Bounded: past `max` the oldest are dropped, and counted.
 */
export class DeferredWrites<T> {
  private readonly pending: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private droppedCount = 0;

  constructor(
    private readonly writeAll: (items: readonly T[]) => void,
    private readonly onTrouble: (event: {
      err?: unknown;
      pending: number;
      dropped: number;
      recovered: boolean;
    }) => void,
    private readonly retryMs = 250,
    private readonly max = 10_000,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.pending.length > this.max) {
      this.pending.shift();
      this.droppedCount++;
    }
    if (!this.timer) this.flush();
  }

  get size(): number {
    return this.pending.length;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Tries to write everything pending now; true when nothing is left. */
  flush(): boolean {
    if (this.pending.length === 0) return true;
    try {
      this.writeAll(this.pending);
      this.pending.length = 0;
      if (this.failing) this.onTrouble({ pending: 0, dropped: this.droppedCount, recovered: true });
      this.failing = false;
      return true;
    } catch (err) {
      // Said once per streak of failures, not once per retry.
      if (!this.failing)
        this.onTrouble({ err, pending: this.pending.length, dropped: this.droppedCount, recovered: false });
      this.failing = true;
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.retryMs);
      this.timer.unref();
      return false;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
