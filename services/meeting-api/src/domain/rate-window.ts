/**
 * Attempts per key (an identity, a client address) in fixed one-minute windows, in memory on
 * this instance. Memory stays bounded: at most `maxKeys` windows are kept; ended windows are
 * forgotten whenever that many are held, then the oldest half if all are still live.
 */
export class KeyedRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly perMinute: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt; returns 0 if allowed, else the seconds until `key` may try again. */
  take(key: string): number {
    const now = this.now();
    let w = this.windows.get(key);
    if (w === undefined || now - w.start >= 60_000) {
      if (w === undefined && this.windows.size >= this.maxKeys) this.prune(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    if (w.count <= this.perMinute) return 0;
    return Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
  }

  /** Without counting: 0 if `key` may go on, else the seconds until its window ends. */
  over(key: string): number {
    const w = this.windows.get(key);
    const now = this.now();
    if (w === undefined || now - w.start >= 60_000 || w.count < this.perMinute) return 0;
    return Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
    if (this.windows.size >= this.maxKeys) {
      let drop = Math.ceil(this.windows.size / 2);
      for (const k of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(k);
      }
    }
  }
}
