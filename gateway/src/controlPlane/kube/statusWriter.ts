import type { Logger } from 'pino';
import type { GatewayMetrics } from '../../metrics';
import { TokenBucket } from '../../session/tokenBucket';
import { type KubeApi, paths, statusOf } from './kubeApi';

export type StatusKind = 'devices' | 'appinstances';
export type Fields = Record<string, unknown>;

export interface StatusWriterOptions {
  /** Writes per second for the whole gateway (a token bucket with a burst of one second). */
  writesPerSecond?: number;
  /** Writes in flight at once. */
  concurrency?: number;
  /** How often pending reports are flushed (an urgent one is flushed at once). */
  flushMs?: number;
}

/** An object's status as some copy of it holds it, with that copy's resourceVersion. */
export interface StatusView {
  status: Fields;
  resourceVersion?: string;
}

/** What the writer needs to know of the objects it writes. */
export interface StatusSource {
  /** The object as last seen from the API (its watch); null when it does not exist. */
  current(kind: StatusKind, name: string): StatusView | null | undefined;
  /** On 403: whether to keep retrying these fields (e.g. not for a stale Disconnected). */
  keepRefused(kind: StatusKind, name: string, fields: Fields): boolean;
}

interface Pending {
  kind: StatusKind;
  name: string;
  fields: Fields;
  urgent: boolean;
  attempts: number;
  notBefore: number;
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

/** Own writes remembered until the watch catches up with them (bounded). */
const MAX_REMEMBERED_WRITES = 20_000;

/** Failed writes of one object retried this often before its report is given up. */
const MAX_ATTEMPTS = 40;
// Short enough that a device freed by the Device controller (its old gateway's Lease expired)
// shows its new gateway within seconds of that.
const MAX_BACKOFF_MS = 4_000;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Status reports of devices and app instances, coalesced per object and written as merge
 * patches to the status subresource, within a global budget of writes per second and a bound
 * on writes in flight. Reports of one object between two flushes become one write; fields that
 * already hold the reported value are not written at all. A write refused (403: another
 * gateway holds the device) or failed stays pending and is retried at a later flush, a bounded
 * number of times. Memory is bounded by the fleet: at most one pending entry per object.
 */
export class StatusWriter {
  private readonly pending = new Map<string, Pending>();
  /**
   * The status each of our writes returned, kept until the watch delivers that version or a
   * newer one. Without it a report was compared with a watch copy older than our own last
   * write, and a field that write had changed (Deploying) looked unchanged when it went back
   * (Running): the report was dropped and the object stayed wrong.
   */
  private readonly written = new Map<string, StatusView>();
  private readonly bucket: TokenBucket;
  private readonly concurrency: number;
  private readonly flushMs: number;
  private inFlight = 0;
  /** Objects with a write in flight: their next write waits, so patches land in order. */
  private readonly writing = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private flushQueued = false;
  private stopped = false;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly source: StatusSource,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    options: StatusWriterOptions = {},
  ) {
    const rate = options.writesPerSecond ?? 100;
    this.bucket = new TokenBucket(rate, rate);
    this.concurrency = options.concurrency ?? 8;
    this.flushMs = options.flushMs ?? 500;
    this.timer = setInterval(() => this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Fields reported and not yet written for this object. */
  pendingFields(kind: StatusKind, name: string): Fields | undefined {
    return this.pending.get(`${kind}/${name}`)?.fields;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Adds fields to the object's pending write. Urgent ones are flushed now; `wait` resolves
   * once they are written (and rejects if that write fails).
   */
  report(kind: StatusKind, name: string, fields: Fields, urgent = false, wait = false) {
    const key = `${kind}/${name}`;
    let p = this.pending.get(key);
    if (p) {
      this.metrics.reportsCoalesced.inc();
      Object.assign(p.fields, fields);
      // An urgent report goes out now, unless the object is backing off after a failure.
      if (urgent && p.attempts === 0) p.notBefore = 0;
      p.urgent ||= urgent;
    } else {
      // A routine report waits one flush interval for more of the same object to join it, so a
      // hot object (telemetry every few ms) is written at most once per interval.
      const notBefore = urgent ? 0 : Date.now() + this.flushMs;
      p = { kind, name, fields: { ...fields }, urgent, attempts: 0, notBefore, waiters: [] };
      this.pending.set(key, p);
    }
    this.metrics.pendingWrites.set(this.pending.size);
    const done = wait
      ? new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }))
      : undefined;
    if (urgent) this.scheduleFlush();
    return done;
  }

  /** Writes what is pending now, within the budget; the rest waits for the next flush. */
  flush(): void {
    if (this.stopped && this.inFlight === 0 && this.pending.size === 0) return;
    const now = Date.now();
    // Urgent (phase changes, certificates) before routine (telemetry, heartbeat refreshes).
    for (const urgentPass of [true, false]) {
      for (const [key, p] of this.pending) {
        if (this.inFlight >= this.concurrency) return;
        if (p.urgent !== urgentPass || p.notBefore > now || this.writing.has(key)) continue;
        const patch = this.patchFor(key, p);
        if (patch === undefined) {
          // Gone, or nothing to change: settled without spending the budget.
          this.pending.delete(key);
          continue;
        }
        if (!this.bucket.take()) return;
        this.pending.delete(key);
        this.write(p, patch);
      }
    }
    this.metrics.pendingWrites.set(this.pending.size);
  }

  /** Writes everything pending, waiting at most `timeoutMs`; then stops the timer. */
  async drain(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((this.pending.size > 0 || this.inFlight > 0) && Date.now() < until) {
      for (const p of this.pending.values()) p.notBefore = 0;
      this.flush();
      await new Promise(r => setTimeout(r, 20));
    }
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const p of this.pending.values())
      for (const w of p.waiters) w.reject(new Error('gateway stopping'));
    this.pending.clear();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** The newest status we know of: the watch's copy, or our own last write if newer. */
  private latest(key: string, kind: StatusKind, name: string): Fields | null | undefined {
    const watched = this.source.current(kind, name);
    if (watched === null) {
      this.written.delete(key);
      return null;
    }
    const own = this.written.get(key);
    if (!own) return watched?.status;
    // resourceVersions are etcd revisions (or the embedded store's), numbers in decimal.
    if (watched && Number(watched.resourceVersion) >= Number(own.resourceVersion)) {
      this.written.delete(key);
      return watched.status;
    }
    return own.status;
  }

  private remember(key: string, reply: unknown): void {
    const r = reply as { metadata?: { resourceVersion?: string }; status?: Fields } | undefined;
    const resourceVersion = r?.metadata?.resourceVersion;
    if (!resourceVersion) return;
    this.written.delete(key);
    if (this.written.size >= MAX_REMEMBERED_WRITES) {
      // Forget the oldest: it then falls back to the watch copy, as before this memory.
      const oldest = this.written.keys().next().value;
      if (oldest !== undefined) this.written.delete(oldest);
    }
    this.written.set(key, { status: r.status ?? {}, resourceVersion });
  }

  /**
   * The merge patch for a pending report, or undefined when there is nothing to write (the
   * object is gone, or every field already holds its value; waiters are settled here). A report
   * that failed before is sent whole: the copy it was compared with may be out of date (the
   * Device controller marked a device Unreachable that our diff still saw Connected).
   */
  private patchFor(key: string, p: Pending): Fields | undefined {
    const current = this.latest(key, p.kind, p.name);
    if (current === null) {
      // The object is gone: nothing to write to.
      this.metrics.reportsDropped.inc({ reason: 'gone' });
      for (const w of p.waiters) w.reject(new Error(`${p.kind} ${p.name} does not exist`));
      return undefined;
    }
    if (p.attempts > 0) return { ...p.fields };
    const patch: Fields = {};
    for (const [field, value] of Object.entries(p.fields)) {
      if (!same(current?.[field], value)) patch[field] = value;
    }
    if (Object.keys(patch).length === 0) {
      this.metrics.reportsCoalesced.inc();
      for (const w of p.waiters) w.resolve();
      return undefined;
    }
    return patch;
  }

  private write(p: Pending, patch: Fields): void {
    const key = `${p.kind}/${p.name}`;
    this.inFlight++;
    this.writing.add(key);
    const path = `${paths.wasmbed(this.namespace, p.kind, p.name)}/status`;
    this.api
      .request('PATCH', path, { status: patch }, 'application/merge-patch+json')
      .then(
        reply => {
          this.remember(key, reply);
          this.metrics.apiWrites.inc({ kind: p.kind, outcome: 'written' });
          for (const w of p.waiters) w.resolve();
        },
        (err: Error) => this.failed(p, err),
      )
      .finally(() => {
        this.inFlight--;
        this.writing.delete(key);
        // A finished write frees a slot: use it at once while the budget lasts (waiting for the
        // next tick would cap the writer at `concurrency` writes per tick). Routine reports
        // still wait out their interval (notBefore).
        if (this.pending.size > 0) this.scheduleFlush();
      });
  }

  private failed(p: Pending, err: Error): void {
    const status = statusOf(err);
    this.metrics.apiWrites.inc({ kind: p.kind, outcome: status === 403 ? 'refused' : 'failed' });
    for (const w of p.waiters) w.reject(err);
    p.waiters = [];
    if (status === 404 || status === 422 || status === 400) {
      this.metrics.reportsDropped.inc({ reason: status === 404 ? 'gone' : 'invalid' });
      this.log.warn({ object: `${p.kind}/${p.name}`, err: err.message }, 'status not written');
      return;
    }
    if (status === 403 && !this.source.keepRefused(p.kind, p.name, p.fields)) {
      this.metrics.reportsDropped.inc({ reason: 'heldByOther' });
      return;
    }
    if (++p.attempts >= MAX_ATTEMPTS) {
      this.metrics.reportsDropped.inc({ reason: 'retries' });
      this.log.warn(
        { object: `${p.kind}/${p.name}`, attempts: p.attempts, err: err.message },
        'status report given up',
      );
      return;
    }
    if (this.stopped) return;
    // Back in the queue under any newer report of the same object (newer fields win).
    const key = `${p.kind}/${p.name}`;
    const notBefore = Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(p.attempts, 5));
    const newer = this.pending.get(key);
    if (newer) {
      newer.fields = { ...p.fields, ...newer.fields };
      newer.attempts = p.attempts;
      newer.urgent ||= p.urgent;
      newer.notBefore = notBefore;
    } else {
      p.notBefore = notBefore;
      this.pending.set(key, p);
    }
    if (p.attempts === 1 || p.attempts % 10 === 0)
      this.log.info(
        { object: key, status, attempts: p.attempts, err: err.message },
        'status write refused or failed; kept for a later flush',
      );
  }
}
