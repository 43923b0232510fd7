import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WalCheckpointer, type CheckpointTrouble } from './wal-checkpointer.js';

/**
 * The event journal behind GET /v1/events and the drain switches, in the service's database file
 * (its own connection and tables, so the audit store's code stays as it is).
 *
 * The journal's sequence number is the stream's event id: one total order over transitions,
 * fallbacks and registry changes, so `Last-Event-ID` is one integer and a resume replays exactly
 * the rows after it. It keeps the newest JOURNAL_KEEP rows; older ones stay in their own tables
 * (GET /v1/fallbacks, /v1/health/{id}/history).
 */
export const JOURNAL_KEEP = 100_000;

export interface JournalEntry {
  id: number;
  type: string;
  at: string;
  data: unknown;
}

export interface DrainRecord {
  modelId: string;
  reason: string;
  at: string;
}

export interface ControlStore {
  append(type: string, at: string, data: unknown): JournalEntry;
  /** Entries after `afterId`, oldest first, at most `limit`. */
  after(afterId: number, limit: number): JournalEntry[];
  /** The oldest id still kept (null: empty), so a resume from before it can be told it missed some. */
  oldestId(): number | null;
  lastId(): number;
  putDrain(d: DrainRecord): void;
  deleteDrain(modelId: string): boolean;
  listDrains(): DrainRecord[];
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS event_journal (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_drains (
  model_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  at TEXT NOT NULL
);
`;

type JournalRow = { seq: number; type: string; at: string; body: string };
const entry = (r: JournalRow): JournalEntry => ({ id: r.seq, type: r.type, at: r.at, data: JSON.parse(r.body) });

export class SqliteControlStore implements ControlStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement;
  private appended = 0;
  private readonly checkpointer: WalCheckpointer;

  constructor(file: string, onCheckpointTrouble: (trouble: CheckpointTrouble) => void = () => undefined) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // As the audit store's default: a commit survives a crash of the process, not of the machine.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare('INSERT INTO event_journal (type, at, body) VALUES (?, ?, ?)');
    this.prune = this.db.prepare('DELETE FROM event_journal WHERE seq <= ?');
    this.checkpointer = WalCheckpointer.start(this.db, file, onCheckpointTrouble);
  }

  static openInDir(dataDir: string, onCheckpointTrouble?: (trouble: CheckpointTrouble) => void): SqliteControlStore {
    mkdirSync(dataDir, { recursive: true });
    // A file of its own: an outside lock on the audit database (an operator's sqlite3 shell) must not
    // stall the event journal or the drains, which the event loop writes while serving.
    return new SqliteControlStore(join(dataDir, 'control.db'), onCheckpointTrouble);
  }

  append(type: string, at: string, data: unknown): JournalEntry {
    const id = Number(this.insert.run(type, at, JSON.stringify(data)).lastInsertRowid);
    // Pruning every thousand appends keeps the journal bounded at a negligible cost per event.
    if (++this.appended % 1000 === 0) this.prune.run(id - JOURNAL_KEEP);
    return { id, type, at, data };
  }

  after(afterId: number, limit: number): JournalEntry[] {
    const rows = this.db
      .prepare('SELECT seq, type, at, body FROM event_journal WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(afterId, limit) as JournalRow[];
    return rows.map(entry);
  }

  oldestId(): number | null {
    const row = this.db.prepare('SELECT MIN(seq) AS seq FROM event_journal').get() as { seq: number | null };
    return row.seq;
  }

  lastId(): number {
    // AUTOINCREMENT's counter, so the id keeps rising even when the newest rows were pruned.
    const row = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'event_journal'").get() as
      { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  putDrain(d: DrainRecord): void {
    this.db
      .prepare(
        'INSERT INTO model_drains (model_id, reason, at) VALUES (?, ?, ?) ON CONFLICT(model_id) DO UPDATE SET reason = excluded.reason, at = excluded.at',
      )
      .run(d.modelId, d.reason, d.at);
  }

  deleteDrain(modelId: string): boolean {
    return this.db.prepare('DELETE FROM model_drains WHERE model_id = ?').run(modelId).changes === 1;
  }

  listDrains(): DrainRecord[] {
    return this.db
      .prepare('SELECT model_id AS modelId, reason, at FROM model_drains ORDER BY model_id')
      .all() as DrainRecord[];
  }

  close(): void {
    this.checkpointer.stop();
    if (this.db.open) this.db.close();
  }
}
