/**
 * Upgrade attempts per client address in fixed one-minute windows, for deployments without a
 * proxy that limits them. Memory stays bounded: at most `maxAddresses` windows are kept, and
 * windows that ended are forgotten whenever that many are held.
 */
export class AddressRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt; returns 0 if allowed, else the seconds until the address may try again. */
  take(address: string): number {
    const now = this.now();
    let w = this.windows.get(address);
    if (w === undefined || now - w.start >= 60_000) {
      if (w === undefined && this.windows.size >= this.maxAddresses) this.prune(now);
      w = { start: now, count: 0 };
      this.windows.set(address, w);
    }
    w.count++;
    if (w.count <= this.perMinute) return 0;
    return Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
  }

  private prune(now: number): void {
    for (const [a, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(a);
    // Still full of live windows: forget the oldest half rather than grow without bound.
    if (this.windows.size >= this.maxAddresses) {
      let drop = Math.ceil(this.windows.size / 2);
      for (const a of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(a);
      }
    }
  }
}
