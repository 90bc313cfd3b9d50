/**
 * A real PostgreSQL restart under load: the bundled Meeting API on a fresh database, clients
 * joining and admitting in one meeting (plus a long-poll, an event stream and decision-feed
 * reads), and `pg_ctlcluster … restart` a few seconds in. Prints requests, 503s, 500s (must be
 * 0), acknowledged writes lost (must be 0) and how long the service took to answer everything
 * again after PostgreSQL was back.
 *
 * It restarts the machine's PostgreSQL: every other user of it sees their connections cut.
 *
 *   npx tsx bench/tools/pg-restart.ts [--port 9100] [--seconds 20] [--restart-after 5] [--workers 8]
 *                                     [--cluster "15 main"] [--no-restart]
 *
 * Needs: PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and,
 * for the restart, `pg_ctlcluster` with the rights to use it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CutLoad } from '../../services/meeting-api/test/db-cut-load';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9100' },
    seconds: { type: 'string', default: '20' },
    'restart-after': { type: 'string', default: '5' },
    workers: { type: 'string', default: '8' },
    cluster: { type: 'string', default: '15 main' },
    'no-restart': { type: 'boolean', default: false },
  },
  strict: true,
});
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = randomBytes(32).toString('hex');
const HOST = 'host@restart.example';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

async function main(): Promise<void> {
  const name = `pg_restart_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bundle.ts', 'meeting-api'], { cwd: REPO, stdio: 'inherit' });
  const server = spawn(process.execPath, ['services/meeting-api/dist/server.mjs'], {
    cwd: REPO,
    env: { ...process.env, DATABASE_URL: url.toString(), JWT_SECRET: SECRET, EMAIL_COOKIE_AUTH: 'on', MEETING_API_PORT: values.port, HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  server.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const base = `http://127.0.0.1:${values.port}`;
  try {
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error(`the API did not start: ${output}`);
      const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 600) throw new Error('the API did not become ready within 60 s');
      await sleep(100);
    }
    const meetingId = `restart-${randomBytes(3).toString('hex')}`;
    const load = new CutLoad({ base, meetingId, host: HOST, jwtSecret: SECRET, workers: Number(values.workers), guestPrefix: meetingId });
    await load.request('POST', '/api/v1/meetings', HOST, { meeting_id: meetingId });
    await load.request('POST', `/api/v1/meetings/${meetingId}/join`, HOST, {});
    const started = performance.now();
    load.start();
    await sleep(Number(values['restart-after']) * 1000);

    let restart: { startedUtc: string; seconds: number } | undefined;
    let backAt = performance.now();
    if (!values['no-restart']) {
      const [version, cluster] = values.cluster.split(/\s+/);
      const startedUtc = new Date().toISOString();
      const t0 = performance.now();
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version!, cluster!, 'restart'], { stdio: 'inherit' });
      backAt = performance.now();
      restart = { startedUtc, seconds: Math.round(backAt - t0) / 1000 };
    }
    // Recovery: from PostgreSQL answering again to every kind of request succeeding.
    let recoveredMs: number | undefined;
    for (let i = 0; recoveredMs === undefined && performance.now() - backAt < 60_000; i++) {
      const t = performance.now();
      if (await load.probe(String(i))) recoveredMs = Math.max(0, t - backAt);
      else await sleep(25);
    }
    const left = Number(values.seconds) * 1000 - (performance.now() - started);
    if (left > 0) await sleep(left);
    await load.stop();
    const alive = server.exitCode === null && server.signalCode === null;

    // Acknowledged writes, checked in the database itself.
    const check = new pg.Client({ connectionString: url.toString() });
    await check.connect();
    const { rows } = await check.query<{ email: string; status: string; n: number }>(
      `SELECT p.email, p.status, count(*) OVER (PARTITION BY p.email)::int AS n
         FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id WHERE m.room_id = $1`,
      [meetingId],
    );
    await check.end();
    const byEmail = new Map(rows.map((r) => [r.email, r]));
    const r = load.report;
    const lostJoins = [...r.ackedJoins].filter((e) => !byEmail.has(e)).length;
    const lostAdmits = [...r.ackedAdmits].filter((e) => byEmail.get(e)?.status !== 'admitted').length;
    const duplicates = rows.filter((row) => row.n !== 1).length;
    const summary = {
      restart,
      requests: r.requests,
      ok: r.ok,
      unavailable_503: r.unavailable,
      server_errors_500: r.serverErrors,
      other_unexpected: r.unexpected.length,
      unavailable_window_ms:
        r.firstUnavailableAt === undefined ? 0 : Math.round(r.lastUnavailableAt! - r.firstUnavailableAt),
      acknowledged_joins: r.ackedJoins.size,
      acknowledged_admissions: r.ackedAdmits.size,
      lost_joins: lostJoins,
      lost_admissions: lostAdmits,
      duplicate_participants: duplicates,
      stream_problems: r.streamProblems.length,
      recovery_ms_after_postgres_back: recoveredMs === undefined ? null : Math.round(recoveredMs),
      api_process_alive: alive,
    };
    console.log(JSON.stringify(summary, null, 2));
    if (r.unexpected.length > 0) console.log('unexpected:', r.unexpected.slice(0, 10));
    const fine = alive && r.serverErrors === 0 && r.unexpected.length === 0 && lostJoins + lostAdmits + duplicates === 0 && recoveredMs !== undefined;
    process.exitCode = fine ? 0 : 1;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r(undefined) : server.once('exit', r)));
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  }
}

await main();
