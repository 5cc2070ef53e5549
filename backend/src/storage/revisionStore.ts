import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSqlite, type Database, type Statement } from './sqlite';

/**
 * A durable key/value store with one monotonic revision for the whole store (what etcd gives
 * kube-apiserver, and what becomes every object's resourceVersion) and an event log of every
 * change, kept for a bounded window of revisions so that watches resume from a revision a
 * client saw, also after a restart.
 *
 * Writes are group-committed: every write queued while the event loop was busy runs in one
 * SQLite transaction (each in its own savepoint, so one failing write does not undo the
 * others), the transaction commits with one fsync (WAL, synchronous=FULL), and only then are
 * the writers' promises resolved and the events published. A write is therefore acknowledged
 * only once durable, and a crash before the commit leaves none of the batch visible.
 */

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredObject {
  key: string;
  rev: number;
  json: string;
}

export interface StoredEvent {
  rev: number;
  type: EventType;
  key: string;
  /** The object after the change (for DELETED: as it was deleted, at the delete's revision). */
  json: string;
  /** The object before the change (null for ADDED). */
  prevJson: string | null;
}

/** What a write sees: its own changes and everything committed or written before it. */
export interface WriteTx {
  /** A simulation (dryRun): nothing is stored and no revision is spent. */
  readonly simulated: boolean;
  get(key: string): StoredObject | undefined;
  /** The revision the next put/remove will get (the object's resourceVersion). */
  nextRevision(): number;
  /** Creates or replaces `key`; `render` gets the change's revision and returns the JSON to store. */
  put(key: string, render: (rev: number) => string): number;
  /** Deletes `key`; `render` returns the object's last state (carried by the DELETED event). */
  remove(key: string, render: (rev: number) => string): number;
}

export interface RevisionStoreOptions {
  /** Events kept for watch resume and consistent continue; older revisions answer 410. */
  eventWindow?: number;
  /**
   * Bytes of event log kept at most (objects before and after each change): a client writing
   * large objects must not be able to fill the disk through the log. Default 256 MiB.
   */
  eventLogBytes?: number;
  /** Most writes folded into one transaction. */
  maxBatch?: number;
}

interface QueuedWrite {
  run: (tx: WriteTx) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** The upper bound of a key prefix range: keys use only characters below DEL. */
const PREFIX_END = '\x7f';

export class RevisionStore {
  private readonly db: Database;
  private revision: number;
  private compacted: number;
  private historyStart: number;
  private queue: QueuedWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly listeners = new Set<(events: StoredEvent[]) => void>();
  private readonly eventWindow: number;
  private readonly eventLogBytes: number;
  /** Bytes of the event log's values, kept up to date as events are added and compacted. */
  private logBytes: number;
  private readonly maxBatch: number;
  private readonly idle: (() => void)[] = [];

  private readonly stmt: {
    get: Statement;
    upsert: Statement;
    del: Statement;
    insertEvent: Statement;
    setMeta: Statement;
    range: Statement;
    count: Statement;
    eventsAfter: Statement;
    eventsAfterInRange: Statement;
    compact: Statement;
    savepoint: Statement;
    release: Statement;
    rollbackTo: Statement;
  };

  private constructor(db: Database, options: RevisionStoreOptions) {
    this.db = db;
    this.eventWindow = options.eventWindow ?? 50_000;
    this.eventLogBytes = options.eventLogBytes ?? 256 * 1024 * 1024;
    this.maxBatch = options.maxBatch ?? 1000;
    db.exec(`
      CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, rev INTEGER NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS events (rev INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, prev TEXT);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    `);
    this.stmt = {
      get: db.prepare('SELECT key, rev, value FROM objects WHERE key = ?'),
      upsert: db.prepare(
        'INSERT INTO objects (key, rev, value) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET rev = excluded.rev, value = excluded.value',
      ),
      del: db.prepare('DELETE FROM objects WHERE key = ?'),
      insertEvent: db.prepare(
        'INSERT INTO events (rev, type, key, value, prev) VALUES (?, ?, ?, ?, ?)',
      ),
      setMeta: db.prepare(
        'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value',
      ),
      range: db.prepare(
        'SELECT key, rev, value FROM objects WHERE key > ? AND key < ? ORDER BY key LIMIT ?',
      ),
      count: db.prepare('SELECT COUNT(*) AS n FROM objects WHERE key > ? AND key < ?'),
      eventsAfter: db.prepare(
        'SELECT rev, type, key, value, prev FROM events WHERE rev > ? ORDER BY rev LIMIT ?',
      ),
      eventsAfterInRange: db.prepare(
        'SELECT rev, type, key, value, prev FROM events WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev LIMIT ?',
      ),
      compact: db.prepare('DELETE FROM events WHERE rev <= ?'),
      // Prepared once: a savepoint per write is on the hot path of every batch.
      savepoint: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      rollbackTo: db.prepare('ROLLBACK TO write'),
    };
    const meta = (name: string) =>
      Number(
        (
          db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as
            { value?: number } | undefined
        )?.value ?? 0,
      );
    const lastEvent = Number(
      (db.prepare('SELECT MAX(rev) AS r FROM events').get() as { r: number | null }).r ?? 0,
    );
    this.revision = Math.max(meta('revision'), lastEvent);
    this.compacted = meta('compacted');
    this.logBytes = Number(
      (
        db
          .prepare('SELECT SUM(length(value) + IFNULL(length(prev), 0)) AS n FROM events')
          .get() as { n: number | null }
      ).n ?? 0,
    );
    this.historyStart = meta('historyStart');
  }

  /** Opens (creating if needed) the store in `dir/store.db`. */
  static open(dir: string, options: RevisionStoreOptions = {}): RevisionStore {
    mkdirSync(dir, { recursive: true });
    const { DatabaseSync } = loadSqlite();
    const db = new DatabaseSync(join(dir, 'store.db'));
    // WAL: readers never wait for the writer, and a commit is one sequential append + fsync.
    // synchronous=FULL: the WAL is fsynced at every commit, so an acknowledged write survives
    // power loss, not only a process crash (NORMAL would only guarantee the latter).
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    // A few MiB of page cache: objects are read from SQLite on demand rather than held in JS.
    db.exec('PRAGMA cache_size = -8192');
    db.exec('PRAGMA wal_autocheckpoint = 4000');
    return new RevisionStore(db, options);
  }

  /** The latest committed revision. */
  currentRevision(): number {
    return this.revision;
  }

  /** Events at or below this revision are gone: resuming from it answers 410. */
  compactedRevision(): number {
    return this.compacted;
  }

  /**
   * The oldest revision a watch may start from: the compacted revision, or where the store's
   * watchable history was declared to start (markHistoryStart), whichever is later.
   */
  watchFloor(): number {
    return Math.max(this.compacted, this.historyStart);
  }

  /** Watches from before `rev` answer 410 (their events stay, for lists at a revision). */
  markHistoryStart(rev: number): void {
    this.stmt.setMeta.run('historyStart', rev);
    this.historyStart = rev;
  }

  get(key: string): StoredObject | undefined {
    const row = this.stmt.get.get(key) as { key: string; rev: number; value: string } | undefined;
    return row && { key: row.key, rev: Number(row.rev), json: row.value };
  }

  /** Up to `limit` objects under `prefix` whose key is after `after` (or all), in key order. */
  range(prefix: string, after: string | undefined, limit: number): StoredObject[] {
    const from = after !== undefined && after > prefix ? after : prefix;
    const rows = this.stmt.range.all(from, prefix + PREFIX_END, limit) as {
      key: string;
      rev: number;
      value: string;
    }[];
    return rows.map(r => ({ key: r.key, rev: Number(r.rev), json: r.value }));
  }

  count(prefix: string, after?: string): number {
    const from = after !== undefined && after > prefix ? after : prefix;
    return Number((this.stmt.count.get(from, prefix + PREFIX_END) as { n: number }).n);
  }

  /** Logged events after `rev` (exclusive) under `prefix`, in revision order. */
  eventsAfter(rev: number, prefix: string, limit = 1_000_000): StoredEvent[] {
    const rows = (
      prefix === ''
        ? this.stmt.eventsAfter.all(rev, limit)
        : this.stmt.eventsAfterInRange.all(rev, prefix, prefix + PREFIX_END, limit)
    ) as { rev: number; type: EventType; key: string; value: string; prev: string | null }[];
    return rows.map(r => ({
      rev: Number(r.rev),
      type: r.type,
      key: r.key,
      json: r.value,
      prevJson: r.prev,
    }));
  }

  /** Called after each commit with the batch's events in revision order. */
  onCommit(listener: (events: StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Queues a write; resolves with `run`'s result once its transaction is durable, or rejects
   * with what `run` threw (its changes undone) or with the commit's failure.
   */
  write<T>(run: (tx: WriteTx) => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate, not a microtask: lets every request already read from the sockets in
        // this turn of the event loop join the same transaction.
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Runs `run` against the current state without storing anything (dryRun): its puts and
   * removes are recorded in an overlay, and no revision is spent.
   */
  simulate<T>(run: (tx: WriteTx) => T): T {
    const overlay = new Map<string, StoredObject | null>();
    const tx: WriteTx = {
      simulated: true,
      get: key => {
        const o = overlay.get(key);
        return o === null ? undefined : (o ?? this.get(key));
      },
      nextRevision: () => this.revision + 1,
      put: (key, render) => {
        overlay.set(key, { key, rev: this.revision + 1, json: render(this.revision + 1) });
        return this.revision + 1;
      },
      remove: (key, render) => {
        render(this.revision + 1);
        overlay.set(key, null);
        return this.revision + 1;
      },
    };
    return run(tx);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return this.notifyIdle();
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    const startRevision = this.revision;
    const events: StoredEvent[] = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    let batchBytes = 0;
    const tx: WriteTx = {
      simulated: false,
      get: key => this.get(key),
      nextRevision: () => this.revision + 1,
      put: (key, render) => {
        const rev = ++this.revision;
        const prev = this.get(key);
        const json = render(rev);
        this.stmt.upsert.run(key, rev, json);
        const type: EventType = prev ? 'MODIFIED' : 'ADDED';
        this.stmt.insertEvent.run(rev, type, key, json, prev?.json ?? null);
        events.push({ rev, type, key, json, prevJson: prev?.json ?? null });
        batchBytes += json.length + (prev?.json.length ?? 0);
        return rev;
      },
      remove: (key, render) => {
        const prev = this.get(key);
        if (!prev) throw new Error(`remove of a missing key ${key}`);
        const rev = ++this.revision;
        const json = render(rev);
        this.stmt.del.run(key);
        this.stmt.insertEvent.run(rev, 'DELETED', key, json, prev.json);
        events.push({ rev, type: 'DELETED', key, json, prevJson: prev.json });
        batchBytes += json.length + prev.json.length;
        return rev;
      },
    };
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const item of batch) {
        const eventMark = events.length;
        const revisionMark = this.revision;
        this.stmt.savepoint.run();
        try {
          const value = item.run(tx);
          this.stmt.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.stmt.rollbackTo.run();
          this.stmt.release.run();
          for (const e of events.splice(eventMark))
            batchBytes -= e.json.length + (e.prevJson?.length ?? 0);
          this.revision = revisionMark;
          outcomes.push({ ok: false, value: error });
        }
      }
      if (this.revision !== startRevision) this.stmt.setMeta.run('revision', this.revision);
      this.db.exec('COMMIT');
      this.logBytes += batchBytes;
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is durable.
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // already rolled back by SQLite
      }
      this.revision = startRevision;
      for (const item of batch) item.reject(error);
      return;
    }
    if (events.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(events);
        } catch {
          // a listener's failure must not lose the acknowledgements below
        }
      }
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    });
    this.compactIfDue();
    if (!this.flushScheduled) this.notifyIdle();
  }

  /** Keeps the event log to a bounded window; compaction trails by 10% so it runs rarely. */
  private compactIfDue(): void {
    const keepFrom = this.revision - this.eventWindow;
    if (keepFrom - this.compacted >= Math.max(1, Math.floor(this.eventWindow / 10))) {
      this.compactTo(keepFrom);
    }
    if (this.logBytes > this.eventLogBytes) {
      // Over the byte bound: drop the oldest events until the log is back under 90% of it.
      let excess = this.logBytes - Math.floor(this.eventLogBytes * 0.9);
      let upTo = this.compacted;
      const oldest = this.db.prepare(
        'SELECT rev, length(value) + IFNULL(length(prev), 0) AS n FROM events WHERE rev > ? ORDER BY rev LIMIT 1000',
      );
      while (excess > 0) {
        const rows = oldest.all(upTo) as { rev: number; n: number }[];
        if (rows.length === 0) break;
        for (const row of rows) {
          upTo = Number(row.rev);
          excess -= Number(row.n);
          if (excess <= 0) break;
        }
      }
      this.compactTo(upTo);
    }
  }

  /** Drops the events at or below `rev`: resuming from them answers 410 from now on. */
  compactTo(rev: number): void {
    if (rev <= this.compacted) return;
    this.db.exec('BEGIN');
    const dropped = this.db
      .prepare(
        'SELECT SUM(length(value) + IFNULL(length(prev), 0)) AS n FROM events WHERE rev <= ?',
      )
      .get(rev) as { n: number | null };
    this.logBytes -= Number(dropped.n ?? 0);
    this.stmt.compact.run(rev);
    this.stmt.setMeta.run('compacted', rev);
    this.db.exec('COMMIT');
    this.compacted = rev;
  }

  private notifyIdle(): void {
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves when every queued write is committed. */
  drain(): Promise<void> {
    if (!this.flushScheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise(resolve => this.idle.push(resolve));
  }

  /** Commits what is queued, then closes the database; later writes are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }
}
