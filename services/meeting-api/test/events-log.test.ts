import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appendEvents, listEventsAfter } from '../src/events/db/events-repo';
import { api, call, DEFAULT_SETTINGS, hostStarts, startTestApp, type TestApp } from './helpers';

/** The ordered log (the live-events extension): every change appends its events in its own transaction, seq gapless. */
let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const HOST = 'host@example.com';

async function meetingPk(roomId: string): Promise<number> {
  const { rows } = await t.db.query<{ id: number }>('SELECT id FROM meetings WHERE room_id = $1 ORDER BY id DESC LIMIT 1', [roomId]);
  return rows[0]!.id;
}

async function log(roomId: string) {
  return listEventsAfter(t.db, await meetingPk(roomId), 0, 10_000);
}

function assertGapless(seqs: number[]) {
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `seqs ${seqs.join(',')} are 1..n without gaps`);
}

test('every state change of a meeting appends its events, in order, with the contract payloads', async () => {
  await hostStarts(t.app, 'log-flow', HOST, { display_name: 'Hana' });
  await call(t.app, 'POST', api('log-flow', '/join'), { as: 'a@x.io', body: { display_name: 'A' } });
  await call(t.app, 'POST', api('log-flow', '/join'), { as: 'b@x.io' });
  await call(t.app, 'POST', api('log-flow', '/join'), { as: 'c@x.io' });
  await call(t.app, 'POST', api('log-flow', '/admit'), { as: HOST, body: { email: 'a@x.io' } });
  await call(t.app, 'POST', api('log-flow', '/reject'), { as: HOST, body: { email: 'b@x.io' } });
  await call(t.app, 'POST', api('log-flow', '/admit-all'), { as: HOST });
  // Joining again while admitted or waiting changes nothing and records nothing.
  await call(t.app, 'POST', api('log-flow', '/join'), { as: 'a@x.io' });
  await hostStarts(t.app, 'log-flow', HOST);
  await call(t.app, 'POST', api('log-flow', '/leave'), { as: 'a@x.io' });
  await call(t.app, 'POST', api('log-flow', '/leave'), { as: HOST });
  await hostStarts(t.app, 'log-flow', HOST);
  const deleted = await call(t.app, 'DELETE', api('log-flow'), { as: HOST });
  assert.equal(deleted.status, 200);

  const events = await log('log-flow');
  assertGapless(events.map((e) => e.seq));
  assert.deepEqual(
    events.map((e) => [e.type, e.subject, e.actor]),
    [
      ['meeting.activated', null, HOST],
      ['participant.admitted', HOST, HOST],
      ['participant.waiting', 'a@x.io', 'a@x.io'],
      ['participant.waiting', 'b@x.io', 'b@x.io'],
      ['participant.waiting', 'c@x.io', 'c@x.io'],
      ['participant.admitted', 'a@x.io', HOST],
      ['participant.rejected', 'b@x.io', HOST],
      ['participant.admitted', 'c@x.io', HOST],
      ['participant.left', 'a@x.io', 'a@x.io'],
      ['participant.left', HOST, HOST],
      ['meeting.ended', null, HOST],
      ['meeting.activated', null, HOST],
      ['participant.admitted', HOST, HOST],
      ['meeting.deleted', null, HOST],
    ],
  );
  const activated = events[0]!.payload as { meeting: Record<string, unknown> };
  assert.deepEqual(activated.meeting, {
    meeting_id: 'log-flow',
    state: 'active',
    host: HOST,
    host_display_name: 'Hana',
    has_password: false,
    ...DEFAULT_SETTINGS,
  });
  const admittedA = events[5]!.payload as { participant: Record<string, unknown> };
  assert.equal(admittedA.participant.email, 'a@x.io');
  assert.equal(admittedA.participant.status, 'admitted');
  assert.equal(admittedA.participant.display_name, 'A');
  assert.equal(admittedA.participant.room_token, null, 'the log never stores a token');
  assert.equal((events[10]!.payload as { meeting: { state: string } }).meeting.state, 'ended');
  assert.deepEqual(events[13]!.payload, {});
  assert.ok(events.every((e) => Number.isInteger(e.occurredAt) && e.occurredAt > 1_700_000_000));
});

test('concurrent joins, admits, admit-alls and leaves give a gapless seq with exactly one event per change', async () => {
  await hostStarts(t.app, 'log-race');
  const people = Array.from({ length: 30 }, (_, i) => `r${i}@x.io`);
  // Half join first so that single admits have someone to admit.
  await Promise.all(people.slice(0, 15).map((as) => call(t.app, 'POST', api('log-race', '/join'), { as })));
  const results = await Promise.all([
    ...people.slice(15).map((as) => call(t.app, 'POST', api('log-race', '/join'), { as })),
    ...people.slice(0, 15).map((email) => call(t.app, 'POST', api('log-race', '/admit'), { as: HOST, body: { email } })),
    ...people.slice(0, 15).map((email) => call(t.app, 'POST', api('log-race', '/admit'), { as: HOST, body: { email } })),
    ...Array.from({ length: 4 }, () => call(t.app, 'POST', api('log-race', '/admit-all'), { as: HOST })),
  ]);
  assert.ok(results.every((r) => r.status === 200 || r.body.result?.code === 'PARTICIPANT_NOT_FOUND'), 'no 500, no deadlock');
  await Promise.all(people.slice(0, 10).map((as) => call(t.app, 'POST', api('log-race', '/leave'), { as })));

  const events = await log('log-race');
  assertGapless(events.map((e) => e.seq));
  const count = (type: string) => events.filter((e) => e.type === type).length;
  assert.equal(count('participant.waiting'), 30);
  const admittedNow = (await call(t.app, 'GET', api('log-race', '/participants'), { as: HOST })).body.result.length;
  const waitingNow = (await call(t.app, 'GET', api('log-race', '/waiting'), { as: HOST })).body.result.waiting.length;
  // Host + everyone admitted by the race; the 10 who left were admitted first.
  assert.equal(count('participant.admitted'), 1 + 30 - waitingNow);
  assert.equal(count('participant.left'), 10);
  assert.equal(admittedNow, 1 + 30 - waitingNow - 10);
  // Each person is admitted at most once.
  const admittedSubjects = events.filter((e) => e.type === 'participant.admitted').map((e) => e.subject);
  assert.equal(new Set(admittedSubjects).size, admittedSubjects.length);
});

test('concurrent first joins of a new id and concurrent appends never reuse or skip a seq', async () => {
  const people = Array.from({ length: 12 }, (_, i) => `first${i}@x.io`);
  await Promise.all(people.map((as) => call(t.app, 'POST', api('log-first', '/join'), { as })));
  const events = await log('log-first');
  assertGapless(events.map((e) => e.seq));
  assert.deepEqual(events.slice(0, 2).map((e) => e.type), ['meeting.activated', 'participant.admitted']);
  assert.equal(events.filter((e) => e.type === 'participant.waiting').length, 11);

  // appendEvents called by other transactions (as meeting controls do) keeps the same guarantee.
  const id = await meetingPk('log-first');
  const before = events.length;
  const seqs = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      t.db.transaction((tx) =>
        appendEvents(tx, id, [
          { type: 'meeting.updated', actor: HOST, payload: { n: i } },
          { type: 'meeting.updated', actor: HOST, payload: { n: i } },
        ]),
      ),
    ),
  );
  for (const pair of seqs) assert.equal(pair[1], pair[0]! + 1, 'one call gets consecutive seqs');
  assertGapless((await log('log-first')).map((e) => e.seq));
  assert.equal((await log('log-first')).length, before + 20);
});

test('a change that fails appends nothing: rolled back with its events', async () => {
  await hostStarts(t.app, 'log-rollback');
  const id = await meetingPk('log-rollback');
  const before = (await log('log-rollback')).length;
  await assert.rejects(
    t.db.transaction(async (tx) => {
      await appendEvents(tx, id, [{ type: 'meeting.updated', actor: HOST, payload: {} }]);
      throw new Error('the change failed');
    }),
  );
  const missing = await call(t.app, 'POST', api('log-rollback', '/admit'), { as: HOST, body: { email: 'nobody@x.io' } });
  assert.equal(missing.status, 404);
  const after = await log('log-rollback');
  assert.equal(after.length, before);
  await call(t.app, 'POST', api('log-rollback', '/join'), { as: 'late@x.io' });
  assertGapless((await log('log-rollback')).map((e) => e.seq));
});
