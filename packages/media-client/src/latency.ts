/** Nearest-rank percentile of `values` (`p` in 0–100); NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Collects latency samples (ms) in a bounded ring and reports percentiles. */
export class LatencyStats {
  private readonly samples: number[] = [];
  private next = 0;
  count = 0;

  constructor(private readonly capacity = 2000) {}

  add(ms: number): void {
    if (!Number.isFinite(ms)) return;
    this.count++;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else {
      this.samples[this.next] = ms;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  /** Nearest-rank percentile of the samples kept (`p` in 0–100); NaN when there are none. */
  percentile(p: number): number {
    return percentile(this.samples, p);
  }

  summary(): { count: number; p50: number; p99: number } {
    return { count: this.count, p50: this.percentile(50), p99: this.percentile(99) };
  }

  /** The raw samples kept (for merging across pages). */
  values(): readonly number[] {
    return this.samples;
  }
}

/** Wall-clock milliseconds with sub-millisecond precision; comparable across pages of one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A debug hook for measuring a frame's way from capture to decode across pages (the latency bench
 * installs it through the harness; the app never does). Times are `wallClockMs()`, so the stamps of
 * two pages on one machine compare; a frame is known by its timestamp, which the encoder, the wire
 * and the decoder all keep.
 */
export interface FrameTrace {
  /** The sender read this video frame from the camera and hands it to the encoder. */
  captured(timestamp: number, atMs: number): void;
  /** A remote's video frame came out of the decoder (`sentAtMs`: when its sender put it on the socket). */
  decoded(session: string, timestamp: number, atMs: number, sentAtMs: number | undefined): void;
}

let trace: FrameTrace | null = null;

/** Installs (or with null removes) the frame trace of this page. */
export function traceFrames(t: FrameTrace | null): void {
  trace = t;
}

/** The installed frame trace, if any. */
export function frameTrace(): FrameTrace | null {
  return trace;
}
