/**
 * Counts attempts per key (a device name) in fixed windows: at most `max` per `windowMs`.
 * The keys are bounded too: past `maxKeys` the expired windows are dropped, and if every
 * window is still live the attempt is refused rather than the table grown.
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Records one attempt; false when the key has used its attempts for this window. */
  take(key: string): boolean {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.startMs >= this.windowMs) {
      if (!w && this.windows.size >= this.maxKeys && !this.prune(now)) return false;
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

  private prune(now: number): boolean {
    for (const [key, w] of this.windows)
      if (now - w.startMs >= this.windowMs) this.windows.delete(key);
    return this.windows.size < this.maxKeys;
  }
}
