import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { readTextIfExists, syncDirectory, writeSecretFile } from '../pki/secretFiles';

/**
 * A state file that is durable per change without being rewritten per change: a snapshot
 * (FILE, written whole, atomically) and a journal of changes since it (FILE.journal, one JSON
 * line each, appended and fdatasynced). Appends made in one turn of the event loop share one
 * write and one sync (group commit), so an enrollment storm costs a sync per batch, not per
 * device. When the journal outgrows the snapshot it is folded into a new snapshot.
 *
 * Recovery: the snapshot, then every journal line with a higher sequence number. A crash
 * during an append can leave a torn last line: it was never acknowledged, so it is dropped.
 */
export class StateJournal<Record extends object> {
  private fd: number | undefined;
  private seq = 0;
  private snapshotSeq = 0;
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  private failure: Error | undefined;

  constructor(readonly file: string) {}

  get journalFile(): string {
    return `${this.file}.journal`;
  }

  /** Lines in the journal since the last snapshot. */
  get journalLength(): number {
    return this.seq - this.snapshotSeq;
  }

  /** Reads the snapshot and the journal records that came after it. */
  load<Snapshot>(): { snapshot: Snapshot | undefined; records: Record[] } {
    const text = readTextIfExists(this.file);
    const snapshot =
      text === undefined ? undefined : (JSON.parse(text) as Snapshot & { seq?: number });
    this.snapshotSeq = this.seq = snapshot?.seq ?? 0;
    const records: Record[] = [];
    if (existsSync(this.journalFile)) {
      const lines = readFileSync(this.journalFile, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!line) return;
        let entry: { seq: number; record: Record };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch (err) {
          if (i >= lines.length - 2) return; // the torn tail of an append that never returned
          throw new Error(`${this.journalFile}:${i + 1}: ${(err as Error).message}`);
        }
        if (entry.seq <= this.seq) return; // already in the snapshot
        this.seq = entry.seq;
        records.push(entry.record);
      });
    }
    return { snapshot, records };
  }

  /** Journals a change; resolves once it is on disk. */
  append(record: Record): Promise<void> {
    this.pending.push(JSON.stringify({ seq: ++this.seq, record }));
    return this.committed();
  }

  /** Resolves once every change appended so far is on disk. */
  committed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.pending.length) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.commit());
    }
    return done;
  }

  /** Writes pending changes now (synchronously). */
  commit(): void {
    this.scheduled = false;
    const waiters = this.waiters;
    this.waiters = [];
    try {
      if (this.pending.length) {
        const bytes = Buffer.from(this.pending.join('\n') + '\n');
        this.pending = [];
        const fd = this.journal();
        for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
        fdatasyncSync(fd);
      }
    } catch (err) {
      this.failure = new Error(`${this.journalFile}: ${(err as Error).message}`);
      for (const w of waiters) w.reject(this.failure);
      return;
    }
    for (const w of waiters) w.resolve();
  }

  /**
   * Replaces snapshot and journal with `snapshot` (which must hold every change journaled so
   * far): the snapshot is durable before the journal is emptied, so a crash between the two
   * only replays changes the snapshot already holds (their sequence numbers say so).
   */
  compact(snapshot: object): void {
    this.commit();
    if (this.failure) throw this.failure;
    writeSecretFile(this.file, JSON.stringify({ ...snapshot, seq: this.seq }, null, 1));
    this.snapshotSeq = this.seq;
    const fd = this.journal();
    ftruncateSync(fd, 0);
    fsyncSync(fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private journal(): number {
    if (this.fd === undefined) {
      mkdirSync(path.dirname(this.journalFile), { recursive: true, mode: 0o700 });
      const created = !existsSync(this.journalFile);
      this.fd = openSync(this.journalFile, 'a', 0o600);
      if (created) syncDirectory(path.dirname(this.journalFile));
    }
    return this.fd;
  }
}
