import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app';
import { createPostgresDatabase } from '../src/db/postgres';
import type { Database } from '../src/db/database';
import { CutLoad } from './db-cut-load';
import { createTestDatabase, DEFAULT_ADMIN_URL, testConfig, TEST_SECRET, type TestDatabase } from './helpers';

/**
 * PostgreSQL kills every connection of the API's database, again and again, while real HTTP
 * traffic of every kind runs (what a restart, a failover or a maintenance window does). The
 * process must live, answer only 503 SERVICE_UNAVAILABLE meanwhile (never a 500), recover once
 * the database is back, and keep every write it acknowledged exactly once.
 *
 * PGlite runs inside the process: there is no connection to cut (its closed-database case is
 * in operations.test.ts), so this suite is PostgreSQL's.
 */
const ON_PGLITE = process.env.TEST_DB === 'pglite';
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Service recovery after the last cut; measured from the moment the last terminate returned. */
const RECOVERY_LIMIT_MS = 2_000;
const HOST = 'host@cut.example';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Terminates every backend of `dbName` (but its own, on another database) every `everyMs`, for `forMs`. */
async function cutConnections(dbName: string, forMs: number, everyMs: number, load: CutLoad): Promise<{ cuts: number; killed: number; lastCutAt: number }> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  admin.on('error', () => {});
  await admin.connect();
  let cuts = 0;
  let killed = 0;
  let lastCutAt = 0;
  try {
    const until = performance.now() + forMs;
    while (performance.now() < until) {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [dbName],
      );
      lastCutAt = performance.now();
      cuts++;
      killed += rows[0]!.n;
      // Let the traffic reconnect and get some requests into flight before the next cut.
      await sleep(everyMs);
      assert.equal(load.report.unexpected.length, 0, `unexpected answers during the cuts: ${load.report.unexpected.slice(0, 5).join(' | ')}`);
    }
  } finally {
    await admin.end().catch(() => {});
  }
  return { cuts, killed, lastCutAt };
}

/**
 * Polls `load.probe` (every kind of request, one after the other) until all of it succeeds, and
 * returns when, after `since`, that successful probe started: the service answered everything
 * from that moment on. (The probe's own duration is the machine's speed under the test's load,
 * not recovery; a probe that meets a 503 fails at once and the next one starts.)
 */
async function recoveryMs(load: CutLoad, since: number): Promise<number> {
  for (let i = 0; ; i++) {
    const started = performance.now();
    if (await load.probe(String(i))) return Math.max(0, started - since);
    if (performance.now() - since > 30_000) throw new Error(`no recovery 30 s after the last cut: ${load.report.unexpected.slice(0, 5).join(' | ')}`);
    await sleep(25);
  }
}

/** Every acknowledged join and admission is in the database, once; the event log has no gap and no repeat. */
async function assertWritesKept(db: Database, meetingId: string, load: CutLoad): Promise<void> {
  const { rows } = await db.query<{ email: string; status: string; n: number }>(
    `SELECT p.email, p.status, count(*) OVER (PARTITION BY p.email)::int AS n
       FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id WHERE m.room_id = $1`,
    [meetingId],
  );
  const byEmail = new Map(rows.map((r) => [r.email, r]));
  const dup = rows.filter((r) => r.n !== 1).map((r) => r.email);
  assert.deepEqual(dup, [], 'no participant twice');
  const lostJoins = [...load.report.ackedJoins].filter((e) => !byEmail.has(e));
  assert.deepEqual(lostJoins, [], 'every acknowledged join is stored');
  const lostAdmits = [...load.report.ackedAdmits].filter((e) => byEmail.get(e)?.status !== 'admitted');
  assert.deepEqual(lostAdmits, [], 'every acknowledged admission is stored');

  const events = await db.query<{ seq: string; type: string; subject: string | null }>(
    `SELECT e.seq, e.type, e.subject FROM meeting_events e JOIN meetings m ON m.id = e.meeting_id WHERE m.room_id = $1 ORDER BY e.seq`,
    [meetingId],
  );
  const seqs = events.rows.map((r) => Number(r.seq));
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'the event log has no gap');
  const admittedTwice = new Map<string, number>();
  for (const e of events.rows) if (e.type === 'participant.admitted' && e.subject) admittedTwice.set(e.subject, (admittedTwice.get(e.subject) ?? 0) + 1);
  assert.deepEqual([...admittedTwice].filter(([, n]) => n > 1), [], 'one participant.admitted per admission');
  for (const e of load.report.ackedAdmits) assert.equal(admittedTwice.get(e), 1, `the admission of ${e} is in the log`);

  // The host's event stream, across its reconnections: every event, in order, once.
  assert.deepEqual(load.report.streamProblems, [], 'the event stream resumed without gaps or repeats');
  const streamed = load.report.streamSeqs;
  assert.ok(streamed.length > 0, 'the event stream delivered events');
  assert.deepEqual(streamed, seqs.slice(0, streamed.length), 'the stream delivered the log as it is');
}

async function runCutScenario(options: { base: string; dbName: string; db: Database; alive: () => void }): Promise<void> {
  const meetingId = `cut-${randomBytes(4).toString('hex')}`;
  const load = new CutLoad({ base: options.base, meetingId, host: HOST, jwtSecret: TEST_SECRET, workers: 6, guestPrefix: meetingId });
  const created = await load.request('POST', '/api/v1/meetings', HOST, { meeting_id: meetingId });
  assert.equal(created?.status, 201);
  assert.equal((await load.request('POST', `/api/v1/meetings/${meetingId}/join`, HOST, {}))?.status, 200);
  load.start();
  try {
    // Traffic flows before the first cut.
    while (load.report.ackedAdmits.size < 5 || load.report.feedSnapshots < 1) {
      assert.deepEqual(load.report.unexpected, []);
      await sleep(20);
    }
    assert.ok(await load.probe('baseline'), 'every kind of request succeeds before the cuts');
    const before503 = load.report.unavailable;
    const { cuts, killed, lastCutAt } = await cutConnections(options.dbName, 3_000, 150, load);
    options.alive();
    assert.ok(cuts >= 5 && killed >= cuts, `the cuts hit connections (${cuts} rounds, ${killed} backends)`);
    const recovered = await recoveryMs(load, lastCutAt);
    options.alive();
    await load.stop();
    const r = load.report;
    assert.deepEqual(r.unexpected, [], 'only successes and 503 SERVICE_UNAVAILABLE envelopes');
    assert.equal(r.serverErrors, 0);
    assert.ok(r.unavailable > before503, 'the cuts were seen by requests in flight (503s)');
    assert.ok(recovered <= RECOVERY_LIMIT_MS, `recovered ${Math.round(recovered)} ms after the last cut (limit ${RECOVERY_LIMIT_MS} ms)`);
    await assertWritesKept(options.db, meetingId, load);
    console.log(
      `# ${r.requests} requests, ${r.unavailable} × 503, 0 × 500, ${r.ackedAdmits.size} admissions kept, ${killed} backends killed in ${cuts} cuts, recovery ${Math.round(recovered)} ms`,
    );
  } finally {
    await load.stop();
  }
}

describe('PostgreSQL kills every connection of the API while it serves', { skip: ON_PGLITE ? 'PGlite has no connection to cut' : false }, () => {
  let database: TestDatabase;
  let dbName: string;
  before(async () => {
    database = await createTestDatabase();
    dbName = new URL(database.url!).pathname.slice(1);
  });
  after(async () => {
    await database.drop();
  });

  test('in process: only 503s during the cuts, recovery within 2 s, every acknowledged write kept once', async () => {
    // A pool of its own (the size of a small deployment) so that the checker's pool is not the app's.
    const appDb = createPostgresDatabase({ connectionString: database.url!, poolSize: 8 });
    let app: FastifyInstance | undefined;
    try {
      app = await buildApp({ ...testConfig, eventStreamsPerCaller: 20 }, { db: appDb, logger: false, eventKeepAliveMs: 500 });
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      // An unhandled 'error' event would end this process: the test file would fail.
      await runCutScenario({ base, dbName, db: database.db, alive: () => {} });
    } finally {
      await app?.close();
      await appDb.close();
    }
  });

  test('the server process: lives through the cuts and serves afterwards', async () => {
    const child = startServer({ DATABASE_URL: database.url!, JWT_SECRET: TEST_SECRET, EMAIL_COOKIE_AUTH: 'on', MEETING_API_PORT: '0', LOG_LEVEL: 'info' });
    try {
      const base = await child.url();
      const alive = () => assert.equal(child.proc.exitCode ?? child.proc.signalCode, null, `the server died: ${child.output.slice(-2000)}`);
      await runCutScenario({ base, dbName, db: database.db, alive });
      alive();
      assert.doesNotMatch(child.output, /Unhandled 'error' event|uncaught/i);
    } finally {
      child.proc.kill('SIGKILL');
    }
  });
});

function startServer(env: Record<string, string>): { proc: ChildProcess; output: string; url(): Promise<string> } {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_TEST_CONTEXT' && k !== 'NODE_ENV') base[k] = v;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'services/meeting-api/src/server.ts'], {
    cwd: REPO_ROOT,
    env: { ...base, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = {
    proc,
    output: '',
    async url() {
      const until = performance.now() + 60_000;
      for (;;) {
        const match = /Meeting API listening on (http:\/\/[^\s"]+)/.exec(handle.output);
        if (match) return match[1]!;
        if (proc.exitCode !== null || performance.now() > until) throw new Error(`server did not start: ${handle.output}`);
        await sleep(50);
      }
    },
  };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (handle.output += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (handle.output += d));
  return handle;
}
