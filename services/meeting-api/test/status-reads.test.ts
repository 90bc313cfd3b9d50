import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findCallerStatus, findCallerStatuses, listOwnedMeetings, listOwnedMeetingsMany } from '../src/db/meetings-repo';
import { api, call, hostStarts, startTestApp, verifyRoomToken, type TestApp } from './helpers';

// Status polls are coalesced into shared statements under load (db/coalesced-reads.ts): many
// callers' reads answered by one statement must each get exactly their own row.

let t: TestApp;
after(() => t.close());

const HOST = 'host@example.com';
const MEETINGS = 12;
const id = (m: number) => `coalesce-${m}`;
const admitted = (m: number) => `admitted-${m}@x.io`;
const waiting = (m: number) => `waiting-${m}@x.io`;

before(async () => {
  t = await startTestApp();
  for (let m = 0; m < MEETINGS; m++) {
    await hostStarts(t.app, id(m));
    await call(t.app, 'POST', api(id(m), '/join'), { as: admitted(m), body: { display_name: `A${m}` } });
    await call(t.app, 'POST', api(id(m), '/admit'), { as: HOST, body: { email: admitted(m) } });
    await call(t.app, 'POST', api(id(m), '/join'), { as: waiting(m), body: { display_name: `W${m}` } });
  }
  // One ended meeting (its attendee stays admitted but gets no token) and one deleted.
  await call(t.app, 'POST', api(id(0), '/end'), { as: HOST });
  await call(t.app, 'DELETE', api(id(1)), { as: HOST });
});

test('concurrent polls of many callers in many meetings each get their own answer', async () => {
  const polls: Array<{ who: string; m: number }> = [];
  for (let round = 0; round < 4; round++) {
    for (let m = 0; m < MEETINGS; m++) polls.push({ who: admitted(m), m }, { who: waiting(m), m }, { who: `stranger-${m}@x.io`, m });
  }
  polls.push({ who: admitted(3), m: 999 });
  // Watch the statements: the polls must really have shared them.
  const batchSizes: number[] = [];
  const query = t.db.query.bind(t.db);
  t.db.query = ((text: string, params?: readonly unknown[], name?: string) => {
    if (name === 'find-caller-statuses') batchSizes.push((params?.[0] as unknown[]).length);
    return query(text, params, name);
  });
  const answers = await Promise.all(polls.map((p) => call(t.app, 'GET', api(p.m === 999 ? 'no-such-meeting' : id(p.m), '/status'), { as: p.who })));
  t.db.query = query;
  if (t.db.kind === 'postgres') {
    assert.equal(batchSizes.reduce((a, b) => a + b, 0), polls.length, 'every poll was read by a batched statement');
    assert.ok(batchSizes.length < polls.length / 4, `polls shared statements (${batchSizes.length} statements for ${polls.length} polls)`);
  } else {
    // PGlite is one in-process connection: nothing to save, so each poll reads on its own.
    assert.deepEqual(batchSizes, []);
  }
  for (const [i, p] of polls.entries()) {
    const res = answers[i]!;
    const where = `${p.who} in ${p.m}`;
    if (p.m === 999 || p.m === 1) {
      assert.equal(res.status, 404, where);
      assert.equal(res.body.result.code, 'MEETING_NOT_FOUND', where);
    } else if (p.who.startsWith('stranger')) {
      assert.equal(res.status, 404, where);
      assert.equal(res.body.result.code, 'NOT_IN_MEETING', where);
    } else {
      assert.equal(res.status, 200, where);
      assert.equal(res.body.result.email, p.who, where);
      assert.equal(res.body.result.display_name, p.who.startsWith('admitted') ? `A${p.m}` : `W${p.m}`, where);
      if (p.who.startsWith('waiting')) {
        // Ending a meeting sends the waiting room away.
        assert.equal(res.body.result.status, p.m === 0 ? 'left' : 'waiting', where);
        assert.equal(res.body.result.room_token, null, where);
      } else if (p.m === 0) {
        assert.equal(res.body.result.room_token, null, `${where}: the meeting has ended`);
      } else {
        const claims = await verifyRoomToken(res.body.result.room_token);
        assert.equal(claims.sub, p.who, where);
        assert.equal(claims.room, id(p.m), where);
      }
    }
  }
});

test('the batched statement answers each key exactly as the single read does', async () => {
  const keys = [
    { roomId: id(2), email: admitted(2) },
    { roomId: id(2), email: 'nobody@x.io' },
    { roomId: 'no-such-meeting', email: admitted(2) },
    { roomId: id(1), email: admitted(1) },
    { roomId: id(0), email: admitted(0) },
    { roomId: id(5), email: waiting(5) },
    { roomId: id(2), email: admitted(2) },
  ];
  const batched = await findCallerStatuses(t.db, keys);
  const single = await Promise.all(keys.map((k) => findCallerStatus(t.db, k.roomId, k.email)));
  assert.deepEqual(batched, single);
  assert.equal(batched[2], null);
  assert.equal(batched[1]?.caller, null);
  assert.equal(batched[0]?.caller?.email, admitted(2));
  assert.deepEqual(await findCallerStatuses(t.db, []), []);
});

test('concurrent meeting lists of several owners and pages each get their own page, in order', async () => {
  const owners = ['lister-a@x.io', 'lister-b@x.io', 'lister-c@x.io'];
  for (const [o, owner] of owners.entries()) {
    for (let i = 0; i < 5 + o * 3; i++) await call(t.app, 'POST', '/api/v1/meetings', { as: owner, body: { meeting_id: `list-${o}-${i}` } });
  }
  const asks: Array<{ owner: string; limit: number; offset: number }> = [];
  for (const owner of owners) for (const [limit, offset] of [[3, 0], [3, 3], [100, 0], [2, 50]] as const) asks.push({ owner, limit, offset });
  asks.push({ owner: 'owns-nothing@x.io', limit: 20, offset: 0 });
  const lists = await Promise.all(asks.map((a) => call(t.app, 'GET', `/api/v1/meetings?limit=${a.limit}&offset=${a.offset}`, { as: a.owner })));
  for (const [i, a] of asks.entries()) {
    const o = owners.indexOf(a.owner);
    const total = o === -1 ? 0 : 5 + o * 3;
    const all = Array.from({ length: total }, (_, k) => `list-${o}-${total - 1 - k}`); // newest first
    const res = lists[i]!;
    assert.equal(res.status, 200);
    assert.equal(res.body.result.total, total, JSON.stringify(a));
    assert.deepEqual(
      (res.body.result.meetings as Array<{ meeting_id: string; host: string }>).map((m) => m.meeting_id),
      all.slice(a.offset, a.offset + a.limit),
      JSON.stringify(a),
    );
    for (const m of res.body.result.meetings as Array<{ host: string }>) assert.equal(m.host, a.owner);
  }
  const keys = asks.map((a) => ({ owner: a.owner, limit: a.limit, offset: a.offset }));
  assert.deepEqual(await listOwnedMeetingsMany(t.db, keys), await Promise.all(keys.map((k) => listOwnedMeetings(t.db, k.owner, k.limit, k.offset))));
});
