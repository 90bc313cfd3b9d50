// `npx tsx bench/tools/cpu-per-request.ts [--secs 10] [--conns 50,200] [--only select,status,waiting,list]`
//
// A profiling aid, not a scenario: CPU time spent per answered request by each process (the
// server under load, all PostgreSQL processes, this load generator), read from /proc before and
// after a saturating run. On a 2-core machine these compete for the same cores, so the sum is
// what sets the rate; a wall-clock profile of the server instead shows its time preempted inside
// `writev` (the kernel wakes PostgreSQL there) and hides where the CPU goes.
import { readdirSync, readFileSync } from 'node:fs';
import type { AutocannonRequest } from 'autocannon';
import { bundle } from '../../scripts/bundle';
import { createBenchDatabase } from '../lib/bench-db';
import { DEFAULT_ADMIN_DATABASE_URL } from '../lib/constants';
import { runHttpLoad } from '../lib/http-load';
import { LimitServers } from '../lib/limit-measure';
import { randomJwtSecret } from '../lib/tokens';
import { seedLimitTables } from '../limits/schema';
import { rotatingGet } from '../scenarios/api-scenario';
import { BenchContext } from '../scenarios/context';
import { listFixture, pollFixture } from '../scenarios/fixtures';

const CLOCK_TICKS_PER_SEC = 100;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

/** user and system CPU seconds of one process. */
function cpuOf(pid: number): { user: number; sys: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(fields[11]) / CLOCK_TICKS_PER_SEC, sys: Number(fields[12]) / CLOCK_TICKS_PER_SEC };
  } catch {
    return { user: 0, sys: 0 };
  }
}

/**
 * CPU seconds of PostgreSQL: every live `postgres` process, plus what the postmaster collected
 * from the backends that exited (its children's times), so a pool closing idle connections
 * mid-run does not take their share along.
 */
function postgresCpu(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fields: string[];
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
    } catch {
      continue;
    }
    total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
    const parent = Number(fields[1]);
    let parentIsPostgres = false;
    try {
      parentIsPostgres = readFileSync(`/proc/${parent}/comm`, 'utf8').trim() === 'postgres';
    } catch {
      // no parent to read
    }
    if (!parentIsPostgres) total += (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SEC;
  }
  return total;
}

function loadGeneratorCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function measure(label: string, url: string, pid: number, requests: AutocannonRequest[], connections: number, secs: number) {
  await runHttpLoad({ url, connections, durationSec: 2, warmupSec: 0, requests });
  const before = { server: cpuOf(pid), postgres: postgresCpu(), load: loadGeneratorCpu() };
  const r = await runHttpLoad({ url, connections, durationSec: secs, warmupSec: 0, requests });
  const after = { server: cpuOf(pid), postgres: postgresCpu(), load: loadGeneratorCpu() };
  const answered = r.rate * secs;
  const us = (seconds: number) => Math.round((seconds / answered) * 1e6);
  const server = us(after.server.user + after.server.sys - before.server.user - before.server.sys);
  console.log(
    `${label.padEnd(18)} ${String(Math.round(r.rate)).padStart(6)}/s  p99 ${r.p99_ms.toFixed(1).padStart(6)} ms  ` +
      `CPU µs per request: server ${server} (kernel ${us(after.server.sys - before.server.sys)}), ` +
      `PostgreSQL ${us(after.postgres - before.postgres)}, load generator ${us(after.load - before.load)}; errors ${r.errors}`,
  );
}

const secs = Number(arg('secs', '10'));
const only = arg('only', 'select,status,waiting,list').split(',');
const conns = arg('conns', '50').split(',').map(Number);

await bundle();
const db = await createBenchDatabase(process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL);
const limits = new LimitServers(db.url);
const ctx = new BenchContext({ quick: true, durationSec: secs, warmupSec: 1, idleConnections: 0 }, db, randomJwtSecret());
try {
  await seedLimitTables(db.url);
  const api = await ctx.api();
  const polls = await pollFixture(ctx);
  const list = await listFixture(ctx);
  const select = await limits.get('pg-select');
  let row = 0;
  const selectRow: AutocannonRequest = {
    method: 'GET',
    setupRequest: (r) => ({ ...r, path: `/rows/${row++ % 1000}`, headers: { cookie: 'email=row@bench.test' } }),
  };
  for (const c of conns) {
    if (only.includes('select')) await measure(`pg-select-${c}`, select.url, select.pid, [selectRow], c, secs);
    if (only.includes('status')) {
      const target = (i: number) => ({ path: `/api/v1/meetings/${polls.meetingId(i)}/status`, email: polls.admitted(i) });
      await measure(`status-poll-${c}`, api.url, api.pid, [rotatingGet(polls.meetings, target)], c, secs);
    }
    if (only.includes('waiting')) {
      const target = (i: number) => ({ path: `/api/v1/meetings/${polls.meetingId(i)}/status`, email: polls.waiting(i) });
      await measure(`waiting-status-poll-${c}`, api.url, api.pid, [rotatingGet(polls.meetings, target)], c, secs);
    }
    if (only.includes('list')) {
      await measure(`list-${c}`, api.url, api.pid, [rotatingGet(1, () => ({ path: '/api/v1/meetings?limit=20', email: list.owner }))], c, secs);
    }
  }
} finally {
  await limits.stopAll();
  await ctx.stopAll();
  await db.drop();
}
process.exit(0);
