import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../src/app';
import type { Database } from '../src/db/database';
import { appendEvents } from '../src/events/db/events-repo';
import { createPostgresDatabase } from '../src/db/postgres';
import { call, createTestDatabase, testConfig, type TestDatabase } from './helpers';
import { startReceiver, type Receiver } from './webhook-receiver';

/** Several API instances on one database, and one stopping mid-delivery: nothing lost, nothing sent twice but by retry. */
const ADMIN = 'admin@example.com';
let database: TestDatabase;
const receivers: Receiver[] = [];
const apps: Array<{ app: FastifyInstance; db: Database; own: boolean }> = [];

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  for (const a of apps) {
    await a.app.close().catch(() => {});
    if (a.own) await a.db.close().catch(() => {});
  }
  for (const r of receivers) await r.close();
  await database.drop();
});

/** Another API instance on the same database, with its own connection pool (PGlite: the one embedded connection). */
async function instance(delivery: AppDeps['webhookDelivery'] = {}) {
  const own = database.url !== undefined;
  const db = own ? createPostgresDatabase({ connectionString: database.url!, poolSize: 5 }) : database.db;
  const app = await buildApp({ ...testConfig, adminEmails: [ADMIN], webhookAllowPrivate: true }, { db, logger: false, webhookDelivery: delivery });
  await app.ready();
  const entry = { app, db, own };
  apps.push(entry);
  return entry;
}

/**
 * Stops an instance as a deploy would. Every test stops its own: an instance left running would
 * go on claiming the next test's deliveries with its own lease, and a cut could strand one of
 * them for that whole lease.
 */
async function stop(entry: Awaited<ReturnType<typeof instance>>) {
  await entry.app.close();
  if (entry.own) await entry.db.close();
  apps.splice(apps.indexOf(entry), 1);
}

/**
 * Every test starts with no endpoint: earlier tests' endpoints, and with them their deliveries,
 * are removed before it starts its instances. A test that stops an instance after its receiver
 * got an event but before the outcome was recorded leaves that attempt to its lease, as a crash
 * would; once the lease ran out, the next test's instances would send it again (at least once,
 * as they should) and count it as theirs.
 */
beforeEach(async () => {
  await database.db.query('DELETE FROM webhook_endpoints');
});

/** The test's only endpoint. */
async function endpointFor(app: FastifyInstance, r: Receiver) {
  const res = await call(app, 'POST', '/api/v1/webhooks', { as: ADMIN, body: { url: r.url } });
  assert.equal(res.status, 201);
  r.setSecret(res.body.result.secret);
  return res.body.result.id as string;
}

async function newMeeting(app: FastifyInstance, roomId: string): Promise<number> {
  assert.equal((await call(app, 'POST', '/api/v1/meetings', { as: 'owner@example.com', body: { meeting_id: roomId } })).status, 201);
  const { rows } = await database.db.query<{ id: number }>('SELECT id FROM meetings WHERE room_id = $1 AND deleted_at IS NULL', [roomId]);
  return rows[0]!.id;
}

/** `count` events appended to a meeting's log through the same code path every change uses, `perTx` per transaction. */
async function burst(meetingId: number, count: number, perTx = 10) {
  for (let i = 0; i < count; i += perTx) {
    const n = Math.min(perTx, count - i);
    await database.db.transaction((tx) =>
      appendEvents(
        tx,
        meetingId,
        Array.from({ length: n }, (_, k) => ({
          type: 'participant.waiting' as const,
          actor: `p${i + k}@example.com`,
          subject: `p${i + k}@example.com`,
          payload: { participant: { email: `p${i + k}@example.com` } },
        })),
      ),
    );
  }
}

/** webhook-ids answered 2xx, per meeting instance, in arrival order. */
function okSeqsByMeeting(r: Receiver): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const x of r.received) {
    if (x.status !== 200) continue;
    assert.ok(x.verified, 'signature verifies');
    const [, instance, seq] = /^msg_(\d+)_(\d+)$/.exec(String(x.headers['webhook-id']))!.map(Number) as [number, number, number];
    out.set(instance, [...(out.get(instance) ?? []), seq]);
  }
  return out;
}

test('an instance stopped mid-delivery: another instance on the same database delivers the rest, in order, nothing lost', async () => {
  let hung = false;
  const r = await startReceiver((_n, id) => {
    // The third event's first attempt never gets an answer: the instance sending it goes away meanwhile.
    if (id.endsWith('_3') && !hung) {
      hung = true;
      return 'hang';
    }
    return 200;
  });
  receivers.push(r);
  const a = await instance({ leaseMs: 1_000, timeoutMs: 60_000 });
  await endpointFor(a.app, r);
  const meeting = await newMeeting(a.app, 'crash-mid');
  await burst(meeting, 6, 1);
  await r.waitFor(() => hung, 'the attempt that hangs');
  // Stop A while its attempt is in flight; its lease is left to run out, as after a crash.
  await stop(a);
  // Events keep coming while no instance delivers.
  await burst(meeting, 4, 2);
  const b = await instance({ leaseMs: 1_000 });
  await r.waitFor(() => (okSeqsByMeeting(r).get(meeting)?.length ?? 0) >= 10, 'all ten events answered 2xx');
  assert.deepEqual(okSeqsByMeeting(r).get(meeting), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Event 3 went out twice (the abandoned attempt and its retry); every other once.
  const sent = r.received.map((x) => String(x.headers['webhook-id']));
  assert.equal(sent.filter((id) => id === `msg_${meeting}_3`).length, 2);
  assert.equal(sent.length, 11);
  await stop(b);
});

test('two instances deliver a burst of 1,000 events: each exactly once, in order per meeting', async () => {
  const r = await startReceiver();
  receivers.push(r);
  // An attempt may wait far longer than any loaded machine makes it wait, and its claim outlives
  // it: a second send could then only be a double claim, never the retry of an attempt that timed
  // out or whose lease ran out (which at-least-once allows).
  const a = await instance({ leaseMs: 300_000, timeoutMs: 240_000 });
  const b = await instance({ leaseMs: 300_000, timeoutMs: 240_000 });
  await endpointFor(a.app, r);
  const meetings: number[] = [];
  for (let m = 0; m < 20; m++) meetings.push(await newMeeting(a.app, `burst-${m}`));
  await Promise.all(meetings.map((id) => burst(id, 50, 10)));
  await r.waitFor((x) => x.length >= 1000, '1,000 deliveries', 180_000);
  // Let anything still in flight arrive, then check nothing came twice.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const ids = r.received.map((x) => String(x.headers['webhook-id']));
  assert.equal(new Set(ids).size, 1000, 'no webhook-id twice');
  assert.equal(ids.length, 1000);
  const byMeeting = okSeqsByMeeting(r);
  for (const id of meetings) assert.deepEqual(byMeeting.get(id), Array.from({ length: 50 }, (_, i) => i + 1), `meeting ${id} in order`);
  const share = await Promise.all(
    [a, b].map(async (x) => /meeting_api_webhook_deliveries_total (\d+)/.exec((await x.app.inject({ method: 'GET', url: '/metrics' })).body)?.[1]),
  );
  console.log(`# deliveries by instance: ${share.join(' / ')}`);
  assert.equal(Number(share[0]) + Number(share[1]), 1000, 'the instances counted 1,000 deliveries between them');
  await stop(a);
  await stop(b);
});

test('connections to the database cut mid-burst: every event still arrives, in order', { skip: false }, async (t) => {
  if (database.url === undefined) {
    t.diagnostic('PGlite has no server connections to cut; the embedded database never drops');
    return;
  }
  const r = await startReceiver();
  receivers.push(r);
  const a = await instance();
  await endpointFor(a.app, r);
  const meeting = await newMeeting(a.app, 'cut');
  await burst(meeting, 50, 5);
  await r.waitFor((x) => x.length >= 10, 'deliveries under way');
  const admin = createPostgresDatabase({ connectionString: database.url, poolSize: 1 });
  await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  await admin.close();
  // The writer's own pooled connections were cut too: it retries as a client would.
  for (let tries = 0; ; tries++) {
    try {
      await database.db.query('SELECT 1');
      break;
    } catch (err) {
      if (tries > 20) throw err;
    }
  }
  await burst(meeting, 50, 5);
  await r.waitFor(() => new Set(okSeqsByMeeting(r).get(meeting)).size >= 100, 'all 100 events', 120_000);
  const seqs = okSeqsByMeeting(r).get(meeting)!;
  // At least once: an attempt whose outcome could not be recorded is sent again, never out of order.
  const firsts = seqs.filter((s, i) => seqs.indexOf(s) === i);
  assert.deepEqual(firsts, Array.from({ length: 100 }, (_, i) => i + 1));
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! >= seqs[i - 1]!, `in order: ${seqs.join(',')}`);
  await stop(a);
});
