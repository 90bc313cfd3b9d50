import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app';
import type { Database, Queryable } from '../src/db/database';
import { listEventsAfter } from '../src/events/db/events-repo';
import { findMeetingWithCaller } from '../src/db/meetings-repo';
import { createOneStatementTransitions } from '../src/db/one-statement';
import { api, call, createTestDatabase, testConfig, type TestDatabase } from './helpers';

// Join and admit as one statement each (`db/one-statement.ts`), on PostgreSQL and PGlite: the
// statements they run, the events they append, and the guard that writes nothing once the
// meeting or the caller changed after the use case read them.

const HOST = 'host@example.com';
let tdb: TestDatabase;
let db: Database;
let app: Awaited<ReturnType<typeof buildApp>>;
/** Statements run since the last reset: `tx` marks a transaction (BEGIN … COMMIT). */
const log: string[] = [];
/**
 * Background jobs' statements interleave with the requests' (the webhook worker's polls; the
 * presence sweep, every second by default, slowed to once an hour below: on a loaded machine a
 * round of it landed between a join's two statements).
 */
const requestStatements = () => log.filter((s) => !s.startsWith('webhook-') && !s.startsWith('presence-'));

before(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  const watch = (q: Queryable): Queryable => ({
    query: (text, params, name) => {
      log.push(name ?? text.trim().split(/\s+/).slice(0, 2).join(' '));
      return q.query(text, params, name);
    },
  });
  const watched: Database = Object.assign(Object.create(db) as Database, {
    query: watch(db).query,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => {
      log.push('tx');
      return db.transaction((tx) => fn(watch(tx)));
    },
  });
  app = await buildApp(testConfig, { db: watched, logger: false, presenceSweepMs: 3_600_000 });
  await app.ready();
});
after(async () => {
  await app.close();
  await tdb.drop();
});

const join = (id: string, as: string, body: unknown = {}) => call(app, 'POST', api(id, '/join'), { as, body });
const meetingPk = async (roomId: string) => (await findMeetingWithCaller(db, roomId, HOST))!.meeting.id;

async function started(id: string, settings: Record<string, unknown> = {}) {
  assert.equal((await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: id, ...settings } })).status, 201);
  assert.equal((await join(id, HOST)).status, 200);
}

describe('one statement per join and per admit', () => {
  test('a join is one read and one write, an admit too, and neither opens a transaction', async () => {
    await started('os-count');
    log.length = 0;
    const joined = await join('os-count', 'a@example.com', { display_name: 'A' });
    assert.equal(joined.body.result.status, 'waiting');
    assert.deepEqual(requestStatements(), ['find-for-join', 'one-statement-join']);
    log.length = 0;
    const admitted = await call(app, 'POST', api('os-count', '/admit'), { as: HOST, body: { email: 'a@example.com' } });
    assert.equal(admitted.body.result.status, 'admitted');
    assert.deepEqual(requestStatements(), ['find-meeting-with-caller', 'one-statement-admit']);
  });

  test('the events carry the participant exactly as the answers show them', async () => {
    await started('os-events', { waiting_room_enabled: false });
    const direct = (await join('os-events', 'd@example.com', { display_name: 'D' })).body.result;
    assert.equal(direct.status, 'admitted', 'waiting room off: admitted at once');
    assert.ok(direct.room_token, 'with a token');
    await call(app, 'PATCH', api('os-events'), { as: HOST, body: { waiting_room_enabled: true } });
    const waiting = (await join('os-events', 'w@example.com')).body.result;
    const admitted = (await call(app, 'POST', api('os-events', '/admit'), { as: HOST, body: { email: 'w@example.com' } })).body.result;
    const events = await listEventsAfter(db, await meetingPk('os-events'), 0, 100);
    const about = (type: string, who: string) => events.filter((e) => e.type === type && e.subject === who);
    assert.equal(about('participant.admitted', 'd@example.com').length, 1);
    assert.deepEqual(about('participant.admitted', 'd@example.com')[0]!.payload, { participant: { ...direct, room_token: null } });
    assert.deepEqual(about('participant.waiting', 'w@example.com')[0]!.payload, { participant: waiting });
    assert.deepEqual(about('participant.admitted', 'w@example.com')[0]!.payload, { participant: admitted });
    assert.equal(about('participant.admitted', 'w@example.com')[0]!.actor, HOST);
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'no gaps in the log');
    // A join that changes nothing (already waiting) appends nothing.
    await join('os-events', 'x@example.com');
    const count = (await listEventsAfter(db, await meetingPk('os-events'), 0, 100)).length;
    assert.equal((await join('os-events', 'x@example.com')).body.result.status, 'waiting');
    assert.equal((await listEventsAfter(db, await meetingPk('os-events'), 0, 100)).length, count);
  });

  test('nothing is written when the meeting or the caller changed after the read', async () => {
    const store = createOneStatementTransitions(db);
    await started('os-stale');
    const seqOf = async () => (await findMeetingWithCaller(db, 'os-stale', HOST))!.meeting.eventSeq;

    // The meeting is locked after the join was decided on.
    const view = (await store.findForJoin('os-stale', 'late@example.com'))!;
    await call(app, 'PATCH', api('os-stale'), { as: HOST, body: { locked: true } });
    let seq = await seqOf();
    const emit = { type: 'participant.waiting' as const, actor: 'late@example.com' };
    assert.equal(await store.joinAttendee(view, 'late@example.com', null, 1000, 'join', false, emit), null);
    assert.equal(await seqOf(), seq, 'no event appended');
    assert.equal((await findMeetingWithCaller(db, 'os-stale', 'late@example.com'))!.caller, null, 'no row written');
    await call(app, 'PATCH', api('os-stale'), { as: HOST, body: { locked: false } });

    // The caller's row appeared after the read (decided on "no row").
    const fresh = (await store.findForJoin('os-stale', 'twice@example.com'))!;
    assert.equal((await join('os-stale', 'twice@example.com')).body.result.status, 'waiting');
    seq = await seqOf();
    const twice = { type: 'participant.waiting' as const, actor: 'twice@example.com' };
    assert.equal(await store.joinAttendee(fresh, 'twice@example.com', null, 1000, 'join', false, twice), null);
    assert.equal(await seqOf(), seq, 'no second participant.waiting');

    // The admitting co-host lost the role after the read.
    assert.equal((await join('os-stale', 'co@example.com')).status, 200);
    await call(app, 'POST', api('os-stale', '/admit'), { as: HOST, body: { email: 'co@example.com' } });
    await call(app, 'PATCH', api('os-stale'), { as: HOST, body: { admit_policy: 'hosts' } });
    assert.equal((await call(app, 'POST', api('os-stale', '/role'), { as: HOST, body: { email: 'co@example.com', role: 'cohost' } })).status, 200);
    const seen = (await findMeetingWithCaller(db, 'os-stale', 'co@example.com'))!;
    assert.equal(seen.caller?.role, 'cohost');
    assert.equal((await call(app, 'POST', api('os-stale', '/role'), { as: HOST, body: { email: 'co@example.com', role: 'attendee' } })).status, 200);
    seq = await seqOf();
    const admit = { type: 'participant.admitted' as const, actor: 'co@example.com' };
    assert.equal(await store.decide({ meeting: seen.meeting, caller: seen.caller! }, 'twice@example.com', 'admit', false, admit), null);
    assert.equal(await seqOf(), seq);
    const refused = await call(app, 'POST', api('os-stale', '/admit'), { as: 'co@example.com', body: { email: 'twice@example.com' } });
    assert.equal(refused.status, 403, 'and the use case answers as the locked path decides');

    // Full after the read: an admit needs room for one more.
    await call(app, 'PATCH', api('os-stale'), { as: HOST, body: { admit_policy: 'any_admitted', max_participants: 2 } });
    const host = (await findMeetingWithCaller(db, 'os-stale', HOST))!;
    assert.equal(await store.decide({ meeting: host.meeting, caller: host.caller! }, 'twice@example.com', 'admit', false, { type: 'participant.admitted', actor: HOST }), null);
    assert.equal((await call(app, 'POST', api('os-stale', '/admit'), { as: HOST, body: { email: 'twice@example.com' } })).body.result.code, 'MEETING_FULL');
  });
});
