/**
 * The work queue of one controller, as client-go's: keys (namespace/name), each queued at
 * most once however many events named it; a key being reconciled is never handed to a
 * second worker (an event arriving meanwhile marks it dirty and it runs again afterwards);
 * failures are retried with a per-key exponential backoff; `addAfter` arms one timer per key
 * (the earliest wins) for time-based requeues such as a lease's expiry. The number of keys
 * (queued, delayed or backing off) is bounded; past the bound a key is dropped and counted,
 * and the next event or resync of that object brings it back.
 */

export interface WorkQueueOptions {
  maxKeys?: number;
  baseRetryMs?: number;
  maxRetryMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly maxKeys: number;
  private readonly baseRetryMs: number;
  private readonly maxRetryMs: number;
  /** Keys refused because the queue was full. */
  dropped = 0;

  constructor(options: WorkQueueOptions = {}) {
    this.maxKeys = options.maxKeys ?? 200_000;
    this.baseRetryMs = options.baseRetryMs ?? 100;
    this.maxRetryMs = options.maxRetryMs ?? 60_000;
  }

  get length(): number {
    return this.queued.size;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    if (this.queued.size + this.processing.size >= this.maxKeys) {
      this.dropped++;
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Queue `key` in `ms`; an earlier pending requeue of the same key stays. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const current = this.timers.get(key);
    if (current && current.at <= at) return;
    if (!current && this.timers.size >= this.maxKeys) {
      this.dropped++;
      return;
    }
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Requeue after a failure: 100 ms, 200 ms, ... up to a minute. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    if (n === 0 && this.failures.size >= this.maxKeys) this.failures.clear();
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.baseRetryMs * 2 ** n, this.maxRetryMs));
  }

  /** The key succeeded: its backoff starts again from the shortest. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key (waits for one); undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.head < this.queue.length) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise(resolve => this.waiters.push(resolve));
  }

  /** The worker finished `key`: if it was named meanwhile, it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
