/**
 * Latency histogram in microseconds: exact below 1 ms, then buckets 1 % wide up to ~60 s.
 * Fixed size, so recording millions of deliveries costs no memory growth.
 */
const EXACT_US = 1_000;
const GROWTH = 1.01;
const LOG_BUCKETS = Math.ceil(Math.log(60_000_000 / EXACT_US) / Math.log(GROWTH)) + 1;

export class LatencyHistogram {
  private readonly counts = new Float64Array(EXACT_US + LOG_BUCKETS);
  count = 0;

  recordMs(ms: number): void {
    const us = Math.max(0, ms * 1_000);
    let index: number;
    if (us < EXACT_US) index = Math.floor(us);
    else index = EXACT_US + Math.min(LOG_BUCKETS - 1, Math.floor(Math.log(us / EXACT_US) / Math.log(GROWTH)));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.count++;
  }

  /** Value in ms at quantile `q` (0..1); 0 when empty. */
  percentileMs(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= target) {
        const us = i < EXACT_US ? i + 1 : EXACT_US * GROWTH ** (i - EXACT_US + 1);
        return us / 1_000;
      }
    }
    return Number.POSITIVE_INFINITY;
  }
}
