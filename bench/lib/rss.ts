import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB, from `/proc/<pid>/status`; undefined once it is gone. */
export function readRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS on an interval; keeps the maximum overall and per window. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  max = 0;
  private windowMax = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Starts a new window and returns the maximum seen in the previous one. */
  resetWindow(): number {
    this.sample();
    const m = this.windowMax;
    this.windowMax = 0;
    return m;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(): number | undefined {
    const mb = readRssMb(this.pid);
    if (mb !== undefined) {
      this.max = Math.max(this.max, mb);
      this.windowMax = Math.max(this.windowMax, mb);
    }
    return mb;
  }
}
