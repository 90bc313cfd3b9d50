import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  memory_mb: number;
  node_version: string;
  platform: string;
  date: string;
  load_avg_at_start: number[];
  open_files_limit: number | null;
  /**
   * The PostgreSQL server's `autovacuum` setting (filled once the bench database exists). With it
   * off, dead rows and stale planner statistics pile up over a run as no production server lets them.
   */
  postgres_autovacuum?: string;
  /** Who analyses and vacuums the bench database during a run: `autovacuum`, or the bench itself when the server's is off. */
  bench_maintenance?: string;
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    memory_mb: Math.round(os.totalmem() / 1024 / 1024),
    node_version: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    date: new Date().toISOString(),
    load_avg_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    open_files_limit: openFilesLimit(),
  };
}

/** Soft limit on open files of this process (children inherit it), from /proc. */
export function openFilesLimit(): number | null {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (match?.[1] === undefined) return null;
    return match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
  } catch {
    return null;
  }
}
