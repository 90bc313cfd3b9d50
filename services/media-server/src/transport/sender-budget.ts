/**
 * A sender's budget of bytes and frames: two token buckets refilled continuously. What a sender
 * spends beyond it is paid back in time: its socket stops being read for as long as the debt
 * takes to refill, so TCP back-pressure slows the sender itself and the receivers see at most
 * `burst + rate × t`. Receivers reading at least at `rate` are never cut because of one sender.
 */
export interface SenderBudgetOptions {
  /** Bytes per second; 0 = no byte budget. */
  bytesPerSec: number;
  /** Bytes a sender may send at once above the rate. */
  burstBytes: number;
  /** Frames per second; 0 = no frame budget. Burst: one second's worth. */
  framesPerSec: number;
}

export class SenderBudget {
  private bytes: number;
  private frames: number;
  private last: number;

  constructor(private readonly o: SenderBudgetOptions, private readonly now: () => number = () => performance.now()) {
    this.bytes = o.burstBytes;
    this.frames = o.framesPerSec;
    this.last = now();
  }

  /** Spends one frame of `size` bytes; returns 0, or the milliseconds the sender must wait (its debt). */
  spend(size: number): number {
    const t = this.now();
    const dt = (t - this.last) / 1000;
    this.last = t;
    let wait = 0;
    if (this.o.bytesPerSec > 0) {
      this.bytes = Math.min(this.o.burstBytes, this.bytes + dt * this.o.bytesPerSec) - size;
      if (this.bytes < 0) wait = Math.max(wait, (-this.bytes / this.o.bytesPerSec) * 1000);
    }
    if (this.o.framesPerSec > 0) {
      this.frames = Math.min(this.o.framesPerSec, this.frames + dt * this.o.framesPerSec) - 1;
      if (this.frames < 0) wait = Math.max(wait, (-this.frames / this.o.framesPerSec) * 1000);
    }
    return wait;
  }
}
