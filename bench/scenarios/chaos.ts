import { runChaos } from '../chaos/chaos';
import { DEFAULT_ADMIN_DATABASE_URL } from '../lib/constants';
import type { BenchContext } from './context';

/**
 * The cluster (two APIs and two Media Servers behind HAProxy) under chaos: an API instance
 * SIGKILLed, a Media Server SIGKILLed, NATS restarted, PostgreSQL restarted, one after another
 * while a meeting runs. One row per fault: recovery time, failures by status, and the zeros that
 * matter (500s, lost events, missed enforcements), plus duplicate rows over the whole run.
 * PostgreSQL's restart affects everything else on this machine's server: run it alone.
 */
export async function chaos(ctx: BenchContext): Promise<void> {
  const report = await runChaos({
    faults: ['api-kill', 'media-kill', 'nats-restart', 'postgres-restart'],
    adminUrl: process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL,
    mediaClients: 20,
    settleMs: ctx.settings.quick ? 2_000 : 5_000,
    log: (line) => console.log(`  ${line}`),
  });
  for (const f of report.faults) {
    ctx.record(`chaos: ${f.fault}`, {
      rate: 0,
      p50_ms: 0,
      p99_ms: 0,
      errors: f.failed_500,
      recovery_ms: f.recovery_ms,
      requests: f.requests,
      failures: f.failures,
      events_lost: f.events_lost,
      enforcements_missed: f.enforcements_missed,
      duplicate_rows: report.duplicate_rows,
      acknowledged_missing: report.acknowledged_missing,
    });
  }
}
