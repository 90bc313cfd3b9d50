import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { claimDeliveries, createWebhookStore, recordOutcomes } from '../src/webhooks/db/webhooks-repo';
import type { ClaimedDelivery, DeliveryOutcome } from '../src/webhooks/domain';
import { createTestDatabase, type TestDatabase } from './helpers';

// The outbox claim on its own, against a backlog of 2,000 pending deliveries: only the head of
// each (endpoint, meeting) queue may go out, a head waiting for its retry or held by another
// instance holds its meeting back (and only its meeting), the per-endpoint cap holds, and an
// endpoint's queues are taken in meeting order from where the caller's last walk stopped.

let t: TestDatabase;
const MEETINGS = 50;
const EVENTS = 40;
const WAITING_FOR_RETRY = 7;
const HELD_ELSEWHERE = 8;

before(async () => {
  t = await createTestDatabase();
  await t.db.query(
    `INSERT INTO webhook_endpoints (id, owner, url, secret) VALUES
       ('ep-a', 'admin@example.com', 'https://a.example/hook', 'whsec_a'),
       ('ep-b', 'admin@example.com', 'https://b.example/hook', 'whsec_b')`,
  );
  // Meeting m's events were due m seconds ago (meeting 50 is the oldest), seq 1 the earliest of each.
  await t.db.query(
    `INSERT INTO webhook_deliveries (endpoint_id, meeting_id, seq, event_type, data, occurred_at, next_attempt_at)
     SELECT 'ep-a', m, s, 'participant.joined', '{}'::jsonb, now(), now() - make_interval(secs => m) + make_interval(secs => s / 1000.0)
     FROM generate_series(1, $1::int) m, generate_series(1, $2::int) s`,
    [MEETINGS, EVENTS],
  );
  await t.db.query(
    `INSERT INTO webhook_deliveries (endpoint_id, meeting_id, seq, event_type, data, occurred_at, next_attempt_at)
     SELECT 'ep-b', 1, s, 'participant.joined', '{}'::jsonb, now(), now() - interval '1 hour' + make_interval(secs => s)
     FROM generate_series(1, 3) s`,
  );
  await t.db.query(
    `UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 hour', attempts = 1
     WHERE endpoint_id = 'ep-a' AND meeting_id = $1 AND seq = 1`,
    [WAITING_FOR_RETRY],
  );
  await t.db.query(
    `UPDATE webhook_deliveries SET locked_until = now() + interval '1 hour', attempts = 1
     WHERE endpoint_id = 'ep-a' AND meeting_id = $1 AND seq = 1`,
    [HELD_ELSEWHERE],
  );
});
after(() => t.drop());

const LEASE = { leaseMs: 15_000 };
const recordOne = async (claimed: Pick<ClaimedDelivery, 'id' | 'attempt'>, outcome: DeliveryOutcome) =>
  (await recordOutcomes(t.db, [{ claimed, outcome }]))[0] === true;
/** Claimed by the tests below and not answered yet. */
const out: ClaimedDelivery[] = [];

test('only queue heads are claimed, in meeting order, at most perEndpoint per endpoint', async () => {
  const claimed = await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: {}, after: {}, ...LEASE });
  out.push(...claimed.filter((c) => c.endpointId === 'ep-a'));
  const a = claimed.filter((c) => c.endpointId === 'ep-a');
  const b = claimed.filter((c) => c.endpointId === 'ep-b');
  assert.equal(a.length, 8, 'ep-a is capped at perEndpoint');
  assert.ok(a.every((c) => c.seq === 1), `only heads: ${JSON.stringify(a.map((c) => [c.meetingInstance, c.seq]))}`);
  // The first eight due heads in meeting order: the waiting and the held meetings are passed over.
  assert.deepEqual(
    a.map((c) => c.meetingInstance).sort((x, y) => x - y),
    [1, 2, 3, 4, 5, 6, 9, 10],
  );
  assert.deepEqual(
    b.map((c) => [c.meetingInstance, c.seq]),
    [[1, 1]],
    'ep-b: the head of its one queue, not its later events',
  );
  assert.ok(claimed.every((c) => c.attempt === 1 && c.url.startsWith('https://')));
});

test('a saturated endpoint gets nothing more; a queue whose head is out gets nothing more', async () => {
  const claimed = await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: { 'ep-a': 8, 'ep-b': 1 }, after: {}, ...LEASE });
  assert.deepEqual(claimed, []);
  // Walking on from meeting 10, where the first claim stopped.
  const three = await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: { 'ep-a': 5 }, after: { 'ep-a': 10 }, ...LEASE });
  assert.equal(three.filter((c) => c.endpointId === 'ep-a').length, 3, 'ep-a: perEndpoint minus what is in flight');
  assert.equal(three.filter((c) => c.endpointId === 'ep-b').length, 0, "ep-b's head is still out");
  assert.deepEqual(three.map((c) => c.meetingInstance).sort((x, y) => x - y), [11, 12, 13]);
  // From near the end, a walk takes what is left after its start (2 heads, with room for 5) and
  // stops at the last queue.
  const tail = await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: { 'ep-a': 3 }, after: { 'ep-a': 48 }, ...LEASE });
  assert.deepEqual(tail.map((c) => c.meetingInstance).sort((x, y) => x - y), [49, 50], 'only the queues after meeting 48');
  out.push(...tail);
  out.push(...three);
});

test('once a head is answered, the next event of that meeting is the head; a waiting or held head holds back only its meeting', async () => {
  const { rows } = await t.db.query<{ id: string; attempts: number }>(
    `SELECT id::text, attempts FROM webhook_deliveries WHERE endpoint_id = 'ep-b' AND seq = 1`,
  );
  const recorded = await recordOne({ id: Number(rows[0]!.id), attempt: rows[0]!.attempts }, { status: 'delivered', statusCode: 204, error: null, durationMs: 1 });
  assert.ok(recorded);
  const next = await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: { 'ep-a': 8 }, after: {}, ...LEASE });
  assert.deepEqual(next.map((c) => [c.endpointId, c.meetingInstance, c.seq]), [['ep-b', 1, 2]]);

  // ep-a's attempts out so far are answered; then its queues drain until only the waiting and
  // the held meetings are left, with nothing claimable.
  for (const c of out) assert.ok(await recordOne(c, { status: 'delivered', statusCode: 200, error: null, durationMs: 1 }));
  const seen = new Set<number>(out.filter((c) => c.endpointId === 'ep-a').map((c) => c.meetingInstance));
  for (let round = 0; round < 2 * EVENTS; round++) {
    const got = await claimDeliveries(t.db, { limit: 64, perEndpoint: 64, inFlight: { 'ep-b': 1 }, after: {}, ...LEASE });
    if (got.length === 0) break;
    for (const c of got) {
      seen.add(c.meetingInstance);
      assert.ok(await recordOne({ id: c.id, attempt: c.attempt }, { status: 'delivered', statusCode: 200, error: null, durationMs: 1 }));
    }
  }
  assert.ok(!seen.has(WAITING_FOR_RETRY) && !seen.has(HELD_ELSEWHERE), 'the waiting and the held meetings sent nothing');
  assert.equal(seen.size, MEETINGS - 2, 'every other meeting went on');
  const { rows: left } = await t.db.query<{ meeting_id: number; n: number }>(
    `SELECT meeting_id, count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = 'ep-a' AND status = 'pending' GROUP BY meeting_id ORDER BY meeting_id`,
  );
  assert.deepEqual(left, [
    { meeting_id: WAITING_FOR_RETRY, n: EVENTS },
    { meeting_id: HELD_ELSEWHERE, n: EVENTS },
  ]);
});

test('a manual retry leaves an attempt in flight alone, and sends a failed or stale one again', async () => {
  await t.db.query(`INSERT INTO webhook_endpoints (id, owner, url, secret) VALUES ('ep-c', 'admin@example.com', 'https://c.example/hook', 'whsec_c')`);
  await t.db.query(
    `INSERT INTO webhook_deliveries (endpoint_id, meeting_id, seq, event_type, data, occurred_at, next_attempt_at)
     VALUES ('ep-c', 1, 1, 'participant.joined', '{}'::jsonb, now(), now())`,
  );
  const store = createWebhookStore(t.db);
  const claimC = async () => (await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: { 'ep-a': 64, 'ep-b': 64 }, after: {}, ...LEASE })).filter((c) => c.endpointId === 'ep-c');
  const [first] = await claimC();
  assert.ok(first, 'the delivery goes out');

  // Retried while its attempt is on its way: nothing changes, and nobody may claim it again.
  const during = await store.retryDelivery('ep-c', first.id);
  assert.equal(during?.status, 'pending');
  assert.deepEqual(await claimC(), [], 'an attempt in flight is not sent a second time');
  assert.ok(await recordOne(first, { status: 'failed', statusCode: 500, error: null, durationMs: 1 }), 'the attempt in flight still records its outcome');

  // Failed: a retry makes it due again, as a new attempt.
  await store.retryDelivery('ep-c', first.id);
  const [again] = await claimC();
  assert.equal(again?.id, first.id);
  assert.equal(again.attempt, first.attempt + 1);

  // Its instance died mid-attempt (the lease ran out): a retry makes it due at once.
  await t.db.query(`UPDATE webhook_deliveries SET locked_until = now() - interval '1 second', next_attempt_at = now() + interval '1 hour' WHERE id = $1`, [first.id]);
  await store.retryDelivery('ep-c', first.id);
  const [stale] = await claimC();
  assert.equal(stale?.id, first.id, 'a stale attempt is sent again');
});

test('outcomes recorded together: each attempt still held is recorded, one claimed again since is not', async () => {
  await t.db.query(`INSERT INTO webhook_endpoints (id, owner, url, secret) VALUES ('ep-d', 'admin@example.com', 'https://d.example/hook', 'whsec_d')`);
  await t.db.query(
    `INSERT INTO webhook_deliveries (endpoint_id, meeting_id, seq, event_type, data, occurred_at, next_attempt_at)
     VALUES ('ep-d', 1, 1, 'participant.joined', '{}'::jsonb, now(), now()), ('ep-d', 2, 1, 'participant.joined', '{}'::jsonb, now(), now())`,
  );
  const saturated = { 'ep-a': 64, 'ep-b': 64, 'ep-c': 64 };
  const [x, y] = (await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: saturated, after: {}, ...LEASE })).sort((a, b) => a.meetingInstance - b.meetingInstance);
  assert.ok(x && y && x.endpointId === 'ep-d' && y.endpointId === 'ep-d');
  // y's lease ran out and another instance claimed it again: its attempt number moved on.
  await t.db.query('UPDATE webhook_deliveries SET attempts = attempts + 1 WHERE id = $1', [y.id]);
  const delivered: DeliveryOutcome = { status: 'delivered', statusCode: 204, error: null, durationMs: 1 };
  const retry: DeliveryOutcome = { status: 'pending', retryInMs: 60_000, statusCode: 503, error: null, durationMs: 1 };
  assert.deepEqual(await recordOutcomes(t.db, [{ claimed: x, outcome: retry }, { claimed: y, outcome: delivered }]), [true, false]);
  const { rows } = await t.db.query<{ meeting_id: number; status: string; last_status_code: number | null; later: boolean; locked: boolean }>(
    `SELECT meeting_id, status, last_status_code, next_attempt_at > now() + interval '50 seconds' AS later, locked_until IS NOT NULL AS locked
     FROM webhook_deliveries WHERE endpoint_id = 'ep-d' ORDER BY meeting_id`,
  );
  assert.deepEqual(rows, [
    { meeting_id: 1, status: 'pending', last_status_code: 503, later: true, locked: false },
    { meeting_id: 2, status: 'pending', last_status_code: null, later: false, locked: true },
  ]);
});

test('one batch holding a late outcome and that of the attempt that claimed the row again: only the latter is taken', async () => {
  await t.db.query(
    `INSERT INTO webhook_deliveries (endpoint_id, meeting_id, seq, event_type, data, occurred_at, next_attempt_at)
     VALUES ('ep-d', 3, 1, 'participant.joined', '{}'::jsonb, now(), now())`,
  );
  const saturated = { 'ep-a': 64, 'ep-b': 64, 'ep-c': 64 };
  const [late] = (await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: saturated, after: {}, ...LEASE })).filter((c) => c.meetingInstance === 3);
  assert.ok(late);
  // Its lease ran out and this instance claimed the row again (the next attempt).
  await t.db.query(`UPDATE webhook_deliveries SET locked_until = now() - interval '1 second' WHERE id = $1`, [late.id]);
  const [again] = (await claimDeliveries(t.db, { limit: 64, perEndpoint: 8, inFlight: saturated, after: {}, ...LEASE })).filter((c) => c.meetingInstance === 3);
  assert.equal(again?.attempt, late.attempt + 1);
  const delivered: DeliveryOutcome = { status: 'delivered', statusCode: 204, error: null, durationMs: 1 };
  assert.deepEqual(await recordOutcomes(t.db, [{ claimed: late, outcome: delivered }, { claimed: again, outcome: delivered }]), [false, true]);
});
