/**
 * Counts attempts per key (a device name) in fixed windows: at most `max` per `windowMs`.
 *
 * Callers take only keys from a set they bound themselves (the enrollment session: names of
 * registered devices, checked before take), so the table holds at most the keys that tried
 * within one window. Refusing a new key when the table is full would let whoever fills it lock
 * everyone out; instead expired windows are dropped when the table has doubled since the last
 * sweep or a window has passed since it: a constant cost per attempt, and a key is kept at most
 * about two windows.
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();
  private sweepAt = MIN_SWEEP;
  private sweptMs: number;

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweptMs = now();
  }

  /** Keys with a window in the table (live or not yet swept). */
  get size(): number {
    return this.windows.size;
  }

  /** Records one attempt; false when the key has used its attempts for this window. */
  take(key: string): boolean {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.startMs >= this.windowMs) {
      if (this.windows.size >= this.sweepAt || now - this.sweptMs >= this.windowMs) this.sweep(now);
      w = { startMs: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.max) return false;
    w.count++;
    return true;
  }

  /** Milliseconds until the key may try again (0 when it may now). */
  retryAfterMs(key: string): number {
    const w = this.windows.get(key);
    if (!w || w.count < this.max) return 0;
    return Math.max(0, w.startMs + this.windowMs - this.now());
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows)
      if (now - w.startMs >= this.windowMs) this.windows.delete(key);
    this.sweepAt = Math.max(MIN_SWEEP, 2 * this.windows.size);
    this.sweptMs = now;
  }
}

const MIN_SWEEP = 1024;
