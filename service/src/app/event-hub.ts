import type { ControlStore } from '../store/control-store.js';
import type { Logger } from '../telemetry/logger.js';

/** What GET /v1/events carries: health transitions, fallbacks, and registry changes (reloads, drains). */
export const STREAM_EVENT_TYPES = ['transition', 'fallback', 'registry'] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

export interface StreamEvent {
  /** The journal's sequence number: the SSE `id:`. Null only when the journal could not be written. */
  id: number | null;
  type: StreamEventType;
  data: unknown;
}

/** A reader of the stream: gets each event as it is published, and is told when the service stops. */
export interface Subscriber {
  deliver(event: StreamEvent): void;
  close(): void;
}

/**
 * Journals each event, then hands it to every subscriber, synchronously: the journal write and the
 * fan-out happen in one tick, so an event is in the journal before any subscriber sees it, and a
 * subscriber that replays the journal and then goes live in one tick cannot miss one in between.
 * Subscribers only queue bytes (see the SSE client), so publishing never waits for a slow reader.
 */
export class EventHub {
  private readonly subscribers = new Set<Subscriber>();

  constructor(
    private readonly journal: ControlStore,
    private readonly logger: Logger,
    private readonly clock: () => number,
  ) {}

  publish(type: StreamEventType, data: unknown): StreamEvent {
    let id: number | null = null;
    try {
      id = this.journal.append(type, new Date(this.clock()).toISOString(), data).id;
    } catch (err) {
      // The thing itself happened and is stored in its own table; live readers still hear of it.
      this.logger.error({ event: 'journal_error', type, err }, 'could not journal a stream event');
    }
    const event: StreamEvent = { id, type, data };
    for (const subscriber of this.subscribers) {
      try {
        subscriber.deliver(event);
      } catch (err) {
        this.logger.error({ event: 'subscriber_error', type, err }, 'an event subscriber failed');
      }
    }
    return event;
  }

  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** Ends every subscription (the service is stopping). */
  closeAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.close();
    this.subscribers.clear();
  }

  subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Journaled events after `afterId`, oldest first. */
  replay(afterId: number, limit: number): StreamEvent[] {
    return this.journal.after(afterId, limit).map((e) => ({ id: e.id, type: e.type as StreamEventType, data: e.data }));
  }

  /** The oldest id still in the journal, or null when it is empty. */
  oldestId(): number | null {
    return this.journal.oldestId();
  }

  lastId(): number {
    return this.journal.lastId();
  }
}
