import type {
  FallbackEvent,
  FallbackFilter,
  IdempotencyKey,
  IdempotentStart,
  InterviewRecord,
  Page,
  SimulationRecord,
  Store,
  TransitionRecord,
} from './records.js';
import type { StorageStatus } from './storage-errors.js';

/** Can the store take a write now, and if not, why (for /readyz and the check before a paid call). */
export type StoreCheck = StorageStatus;

/**
 * The store as the service uses it across processes: every call may wait on a network (PostgreSQL),
 * so every call is a promise. Same records, same meanings as {@link Store}; one contract test suite
 * runs against every implementation.
 */
export interface AsyncStore {
  /** Writes the interview and its fallback event atomically; false if the idempotency key was taken. */
  recordInterview(
    interview: InterviewRecord,
    event: FallbackEvent | null,
    idempotencyKey: IdempotencyKey | null,
  ): Promise<boolean>;
  getInterview(id: string): Promise<InterviewRecord | null>;
  /** The interview a key started, with the fingerprint of the request that used it first. */
  getInterviewByIdempotencyKey(key: string): Promise<IdempotentStart | null>;
  getFallbackEvent(id: string): Promise<FallbackEvent | null>;
  listFallbackEvents(filter: FallbackFilter): Promise<Page<FallbackEvent>>;
  recordTransition(t: TransitionRecord): Promise<void>;
  listTransitions(modelId: string, limit: number, cursor?: string): Promise<Page<TransitionRecord>>;
  putSimulation(
    sim: Omit<SimulationRecord, 'createdAt' | 'updatedAt'>,
    now: string,
  ): Promise<{ record: SimulationRecord; created: boolean }>;
  getSimulation(id: string): Promise<SimulationRecord | null>;
  listSimulations(limit: number, cursor?: string): Promise<Page<SimulationRecord>>;
  deleteSimulation(id: string): Promise<boolean>;
  /** Each model's health as the engine last saved it (domain/health/persisted.ts): one row per model, replaced. */
  saveHealthState(modelId: string, savedAt: string, body: string): Promise<void>;
  loadHealthStates(): Promise<Array<{ modelId: string; savedAt: string; body: string }>>;
  /** The last known state, without a round trip: cheap enough to ask before every start. */
  status(): StoreCheck;
  /** A round trip to the store now. */
  check(): Promise<StoreCheck>;
  close(): Promise<void>;
}

/** The embedded SQLite store behind the async interface: reads answered at once, writes as the store does them. */
export class SyncStoreAdapter implements AsyncStore {
  /** @param onClose runs after the store closes (e.g. to release the data directory's lock). */
  constructor(
    private readonly store: Store,
    private readonly onClose: () => void = () => undefined,
  ) {}

  recordInterview(i: InterviewRecord, e: FallbackEvent | null, key: IdempotencyKey | null): Promise<boolean> {
    return this.store.recordInterview(i, e, key);
  }
  getInterview(id: string): Promise<InterviewRecord | null> {
    return this.call(() => this.store.getInterview(id));
  }
  getInterviewByIdempotencyKey(key: string): Promise<IdempotentStart | null> {
    return this.call(() => this.store.getInterviewByIdempotencyKey(key));
  }
  getFallbackEvent(id: string): Promise<FallbackEvent | null> {
    return this.call(() => this.store.getFallbackEvent(id));
  }
  listFallbackEvents(filter: FallbackFilter): Promise<Page<FallbackEvent>> {
    return this.call(() => this.store.listFallbackEvents(filter));
  }
  recordTransition(t: TransitionRecord): Promise<void> {
    return this.call(() => this.store.recordTransition(t));
  }
  listTransitions(modelId: string, limit: number, cursor?: string): Promise<Page<TransitionRecord>> {
    return this.call(() => this.store.listTransitions(modelId, limit, cursor));
  }
  putSimulation(
    sim: Omit<SimulationRecord, 'createdAt' | 'updatedAt'>,
    now: string,
  ): Promise<{ record: SimulationRecord; created: boolean }> {
    return this.store.putSimulation(sim, now);
  }
  getSimulation(id: string): Promise<SimulationRecord | null> {
    return this.call(() => this.store.getSimulation(id));
  }
  listSimulations(limit: number, cursor?: string): Promise<Page<SimulationRecord>> {
    return this.call(() => this.store.listSimulations(limit, cursor));
  }
  deleteSimulation(id: string): Promise<boolean> {
    return this.store.deleteSimulation(id);
  }
  saveHealthState(modelId: string, savedAt: string, body: string): Promise<void> {
    return this.call(() => this.store.saveHealthState(modelId, savedAt, body));
  }
  loadHealthStates(): Promise<Array<{ modelId: string; savedAt: string; body: string }>> {
    return this.call(() => this.store.loadHealthStates());
  }
  status(): StoreCheck {
    return this.store.status();
  }
  check(): Promise<StoreCheck> {
    return Promise.resolve(this.status());
  }
  close(): Promise<void> {
    return this.call(() => {
      try {
        this.store.close();
      } finally {
        this.onClose();
      }
    });
  }

  /** A throw becomes a rejection, as it would be from a store across a network. */
  private call<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
