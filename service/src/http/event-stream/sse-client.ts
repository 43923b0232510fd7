import type { ServerResponse } from 'node:http';
import type { StreamEvent, Subscriber } from '../../app/event-hub.js';

export interface SseLimits {
  /** Bytes a client may have queued and unsent before it is disconnected. */
  maxBufferedBytes: number;
  /** A comment line this often keeps proxies and the browser from timing the connection out. */
  heartbeatMs: number;
}

/** 1 MiB of unsent events (about a thousand fallbacks) before a client is cut off; a heartbeat every 15 s. */
export const DEFAULT_SSE_LIMITS: SseLimits = { maxBufferedBytes: 1_048_576, heartbeatMs: 15_000 };

/** Milliseconds a browser waits before reconnecting (the `retry:` field). */
export const RECONNECT_MS = 2_000;

// One event goes to every reader: serialize it once, not once per reader.
const frames = new WeakMap<StreamEvent, string>();

export function frame(event: StreamEvent): string {
  let text = frames.get(event);
  if (text === undefined) {
    const id = event.id === null ? '' : `id: ${event.id}\n`;
    text = `${id}event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
    frames.set(event, text);
  }
  return text;
}

/**
 * One SSE connection. Writes never wait: bytes the socket cannot take yet stay in Node's buffer,
 * and a client whose backlog passes maxBufferedBytes is disconnected rather than held on to (it
 * reconnects with Last-Event-ID and resumes from the journal). While the replay of a resume runs,
 * live events are held back (bounded the same way) and sent after it, skipping any the replay sent.
 */
export class SseClient implements Subscriber {
  private held: StreamEvent[] | null = [];
  private heldBytes = 0;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly limits: SseLimits,
    private lastSentId: number,
    private readonly onDrop: (bufferedBytes: number) => void,
  ) {
    this.heartbeat = setInterval(() => this.write(`: heartbeat ${new Date().toISOString()}\n\n`), limits.heartbeatMs);
    this.heartbeat.unref();
    res.once('close', () => this.stop());
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Called by the hub for every published event. */
  deliver(event: StreamEvent): void {
    if (this.closed) return;
    if (this.held === null) return this.send(event);
    this.held.push(event);
    this.heldBytes += frame(event).length;
    if (this.heldBytes > this.limits.maxBufferedBytes) this.drop(this.heldBytes);
  }

  /** Sends one event now unless it was sent already (a replayed event can also arrive live). */
  send(event: StreamEvent): void {
    if (event.id !== null && event.id <= this.lastSentId) return;
    this.write(frame(event));
    if (event.id !== null) this.lastSentId = event.id;
  }

  /** Ends the replay: the held live events go out, then events are sent as they come. */
  goLive(): void {
    const held = this.held ?? [];
    this.held = null;
    this.heldBytes = 0;
    for (const event of held) this.send(event);
  }

  write(text: string): void {
    if (this.closed) return;
    this.res.write(text);
    if (this.res.writableLength > this.limits.maxBufferedBytes) this.drop(this.res.writableLength);
  }

  /** Resolves when the socket has taken what was queued (or the client is gone). */
  async drained(): Promise<void> {
    if (this.closed || this.res.writableLength === 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }

  /** The service is stopping: end the response cleanly so the server can close. */
  close(): void {
    if (this.closed) return;
    this.stop();
    this.res.end();
  }

  private drop(bufferedBytes: number): void {
    if (this.closed) return;
    this.stop();
    this.onDrop(bufferedBytes);
    this.res.destroy();
  }

  private stop(): void {
    this.closed = true;
    this.held = null;
    clearInterval(this.heartbeat);
  }
}
