import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app';
import type { Database } from '../src/db/database';
import { createPostgresDatabase } from '../src/db/postgres';
import { api, call, createTestDatabase, expectError, hostStarts, testConfig, verifyRoomToken, type TestDatabase } from './helpers';
import { openSse, type SseStream } from './sse-client';

/** GET /api/v1/meetings/{id}/events and GET /status?wait=N (the live-events extension), over real HTTP. */
const HOST = 'host@example.com';
let database: TestDatabase;
let app: FastifyInstance;
let base: string;

async function listen(db: Database, extra: Partial<Parameters<typeof buildApp>[1]> = {}) {
  const instance = await buildApp({ ...testConfig, eventStreamsPerCaller: 20 }, { db, logger: false, eventKeepAliveMs: 200, ...extra });
  const url = await instance.listen({ port: 0, host: '127.0.0.1' });
  return { app: instance, url };
}

before(async () => {
  database = await createTestDatabase();
  ({ app, url: base } = await listen(database.db));
});
after(async () => {
  await app.close();
  await database.drop();
});

const streams: SseStream[] = [];
async function sse(path: string, options: Parameters<typeof openSse>[2] = {}, at = base) {
  const s = await openSse(at, path, options);
  streams.push(s);
  return s;
}
after(() => {
  for (const s of streams) s.close();
});

test('a waiter gets its own participant.admitted with a fresh room token the moment the host admits; the host sees the knock', async () => {
  await hostStarts(app, 'ev-admit');
  const hostStream = await sse(api('ev-admit', '/events'), { as: HOST });
  assert.equal(hostStream.status, 200);
  assert.match(String(hostStream.headers['content-type']), /^text\/event-stream/);
  await call(app, 'POST', api('ev-admit', '/join'), { as: 'w@x.io', body: { display_name: 'Wanda' } });
  const waiterStream = await sse(api('ev-admit', '/events'), { as: 'w@x.io' });
  const [knock] = await hostStream.waitFor(1);
  assert.equal(knock!.event, 'participant.waiting');
  assert.equal(knock!.data.participant.email, 'w@x.io');
  assert.equal(knock!.data.participant.room_token, null);
  assert.equal(knock!.data.meeting_id, 'ev-admit');
  assert.equal(knock!.id, String(knock!.data.seq));

  await call(app, 'POST', api('ev-admit', '/admit'), { as: HOST, body: { email: 'w@x.io' } });
  const [admitted] = await waiterStream.waitFor(1);
  assert.equal(admitted!.event, 'participant.admitted');
  assert.equal(admitted!.data.actor, HOST);
  assert.equal(admitted!.data.participant.status, 'admitted');
  const claims = await verifyRoomToken(admitted!.data.participant.room_token);
  assert.equal(claims.sub, 'w@x.io');
  assert.equal(claims.room, 'ev-admit');
  assert.equal(claims.esq, admitted!.data.seq);
  assert.equal(typeof claims.mid, 'number');
  // Others see the admission without a token.
  const [, hostSeesAdmit] = await hostStream.waitFor(2);
  assert.equal(hostSeesAdmit!.data.participant.room_token, null);
});

test('what each caller sees: waiters only meeting.* and their own; admitted see others; the owner who never joined sees meeting.*', async () => {
  const created = await call(app, 'POST', '/api/v1/meetings', { as: 'owner@x.io', body: { meeting_id: 'ev-vis' } });
  assert.equal(created.status, 201);
  const owner = await sse(api('ev-vis', '/events'), { as: 'owner@x.io' });
  await call(app, 'POST', api('ev-vis', '/join'), { as: 'owner@x.io' });
  await call(app, 'POST', api('ev-vis', '/join'), { as: 'a@x.io' });
  const waiterA = await sse(api('ev-vis', '/events'), { as: 'a@x.io' });
  await call(app, 'POST', api('ev-vis', '/join'), { as: 'b@x.io' });
  await call(app, 'POST', api('ev-vis', '/reject'), { as: 'owner@x.io', body: { email: 'b@x.io' } });
  await call(app, 'POST', api('ev-vis', '/admit'), { as: 'owner@x.io', body: { email: 'a@x.io' } });
  await call(app, 'POST', api('ev-vis', '/join'), { as: 'c@x.io' });
  await call(app, 'POST', api('ev-vis', '/leave'), { as: 'c@x.io' });
  await call(app, 'POST', api('ev-vis', '/leave'), { as: 'owner@x.io' });

  const ownerSaw = (await owner.waitFor(8)).map((e) => `${e.event} ${e.data.participant?.email ?? ''}`.trim());
  assert.deepEqual(ownerSaw, [
    'meeting.activated',
    'participant.admitted owner@x.io',
    'participant.waiting a@x.io',
    'participant.waiting b@x.io',
    'participant.rejected b@x.io',
    'participant.admitted a@x.io',
    'participant.waiting c@x.io',
    'participant.left c@x.io',
  ]);
  // a@x.io was waiting (sees only its own) until admitted (then sees the rest).
  const aSaw = (await waiterA.waitFor(5)).map((e) => `${e.event} ${e.data.participant?.email ?? ''}`.trim());
  assert.deepEqual(aSaw, [
    'participant.admitted a@x.io',
    'participant.waiting c@x.io',
    'participant.left c@x.io',
    'participant.left owner@x.io',
    'meeting.ended',
  ]);
  const seqs = owner.events.map((e) => Number(e.id));
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
});

test('resume with Last-Event-ID or ?after= replays every later event once, in order, then continues live', async () => {
  await hostStarts(app, 'ev-resume');
  for (const p of ['r1', 'r2', 'r3', 'r4']) await call(app, 'POST', api('ev-resume', '/join'), { as: `${p}@x.io` });
  const all = await sse(api('ev-resume', '/events?after=0'), { as: HOST });
  const full = await all.waitFor(6);
  assert.deepEqual(full.map((e) => Number(e.id)), [1, 2, 3, 4, 5, 6]);
  all.close();

  const byHeader = await sse(api('ev-resume', '/events?after=1'), { as: HOST, lastEventId: '3' });
  const byQuery = await sse(api('ev-resume', '/events?after=4'), { as: HOST });
  await call(app, 'POST', api('ev-resume', '/admit-all'), { as: HOST });
  const h = await byHeader.waitFor(7);
  assert.deepEqual(h.map((e) => Number(e.id)), [4, 5, 6, 7, 8, 9, 10], 'Last-Event-ID wins over ?after=, then live');
  const q = await byQuery.waitFor(6);
  assert.deepEqual(q.map((e) => Number(e.id)), [5, 6, 7, 8, 9, 10]);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(byHeader.events.length, 7, 'nothing twice');

  // Without a resume point the stream starts after "now".
  const fresh = await sse(api('ev-resume', '/events'), { as: HOST });
  await call(app, 'POST', api('ev-resume', '/join'), { as: 'r5@x.io' });
  const [next] = await fresh.waitFor(1);
  assert.equal(Number(next!.id), 11);
});

test('admit-all with everyone waiting on a stream: each gets its own admission with its token first, then every later admission once, in order', async () => {
  await hostStarts(app, 'ev-all');
  const people = Array.from({ length: 40 }, (_, i) => `all${i}@x.io`);
  for (const p of people) await call(app, 'POST', api('ev-all', '/join'), { as: p });
  const waiting = await Promise.all(people.map((p) => sse(api('ev-all', '/events'), { as: p })));
  const host = await sse(api('ev-all', '/events'), { as: HOST });
  await call(app, 'POST', api('ev-all', '/admit-all'), { as: HOST });

  const all = await host.waitFor(people.length);
  assert.deepEqual(all.map((e) => e.data.participant.email), people, 'the host sees every admission, in order');
  const seqs = all.map((e) => Number(e.id));
  await Promise.all(
    waiting.map(async (stream, k) => {
      const seen = await stream.waitFor(people.length - k);
      assert.equal(seen[0]!.data.participant.email, people[k]);
      assert.equal((await verifyRoomToken(seen[0]!.data.participant.room_token)).sub, people[k]);
      assert.deepEqual(seen.map((e) => Number(e.id)), seqs.slice(k), `${people[k]} sees its admission and every later one`);
      assert.ok(seen.slice(1).every((e) => e.data.participant.room_token === null), 'nobody else\'s token');
    }),
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(waiting.every((stream, k) => stream.events.length === people.length - k), 'nothing twice');
});

test('bad resume points, strangers and unknown meetings get JSON envelopes before any stream', async () => {
  await hostStarts(app, 'ev-bad');
  const cases: Array<[Parameters<typeof openSse>[2], string, number, string]> = [
    [{ as: HOST, lastEventId: 'abc' }, '/events', 400, 'INVALID_REQUEST'],
    [{ as: HOST, lastEventId: '-1' }, '/events', 400, 'INVALID_REQUEST'],
    [{ as: HOST, lastEventId: '99' }, '/events', 400, 'INVALID_REQUEST'],
    [{ as: HOST }, '/events?after=-1', 400, 'INVALID_REQUEST'],
    [{ as: HOST }, '/events?after=abc', 400, 'INVALID_REQUEST'],
    [{ as: HOST }, '/events?after=1e99', 400, 'INVALID_REQUEST'],
    [{ as: 'stranger@x.io' }, '/events', 404, 'NOT_IN_MEETING'],
    [{}, '/events', 401, 'UNAUTHORIZED'],
  ];
  for (const [options, tail, status, code] of cases) {
    const s = await sse(api('ev-bad', tail), options);
    assert.equal(s.status, status, `${JSON.stringify(options)} ${tail}`);
    assert.equal(s.body.success, false);
    assert.equal(s.body.result.code, code);
  }
  const unknown = await sse(api('ev-nope', '/events'), { as: HOST });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.result.code, 'MEETING_NOT_FOUND');
});

test('the stream sends keep-alive comments, and ends after the meeting is deleted', async () => {
  await hostStarts(app, 'ev-del');
  const s = await sse(api('ev-del', '/events'), { as: HOST });
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(s.comments.includes('keep-alive'), `comments: ${s.comments.join('|')}`);
  await call(app, 'DELETE', api('ev-del'), { as: HOST });
  const [deleted] = await s.waitFor(1);
  assert.equal(deleted!.event, 'meeting.deleted');
  await s.ended;
});

test('a thousand streams from one caller: the first 20 open, the rest get 429 RATE_LIMITED; closing one frees a place', async () => {
  await hostStarts(app, 'ev-many', 'many@x.io');
  const opened = await Promise.all(Array.from({ length: 1000 }, () => sse(api('ev-many', '/events'), { as: 'many@x.io' })));
  const ok = opened.filter((s) => s.status === 200);
  const refused = opened.filter((s) => s.status !== 200);
  const tally: Record<string, number> = {};
  for (const s of opened) tally[`${s.status} ${s.body?.result?.code ?? ''}`] = (tally[`${s.status} ${s.body?.result?.code ?? ''}`] ?? 0) + 1;
  assert.equal(ok.length, 20, JSON.stringify(tally));
  assert.ok(refused.every((s) => s.status === 429 && s.body.result.code === 'RATE_LIMITED'));
  ok[0]!.close();
  await new Promise((r) => setTimeout(r, 200));
  const again = await sse(api('ev-many', '/events'), { as: 'many@x.io' });
  assert.equal(again.status, 200);
  // Another caller is not affected.
  await call(app, 'POST', api('ev-many', '/join'), { as: 'other@x.io' });
  assert.equal((await sse(api('ev-many', '/events'), { as: 'other@x.io' })).status, 200);
  for (const s of ok) s.close();
  again.close();
});

describe('GET /status?wait=N', () => {
  test('a waiting caller is answered the moment it is admitted, with its token', async () => {
    await hostStarts(app, 'ev-wait');
    await call(app, 'POST', api('ev-wait', '/join'), { as: 'lp@x.io' });
    const held = call(app, 'GET', api('ev-wait', '/status?wait=30'), { as: 'lp@x.io' });
    await new Promise((r) => setTimeout(r, 300));
    await call(app, 'POST', api('ev-wait', '/admit'), { as: HOST, body: { email: 'lp@x.io' } });
    const answer = await held;
    assert.equal(answer.status, 200);
    assert.equal(answer.body.result.status, 'admitted');
    assert.equal(typeof answer.body.result.room_token, 'string');
  });

  test('an admit-all answers every held wait from the same batch, each with its own row and token', async () => {
    await hostStarts(app, 'ev-wait-all');
    const people = Array.from({ length: 12 }, (_, i) => `hold${i}@x.io`);
    for (const p of people) await call(app, 'POST', api('ev-wait-all', '/join'), { as: p, body: { display_name: p } });
    const held = people.map((p) => call(app, 'GET', api('ev-wait-all', '/status?wait=30'), { as: p }));
    await new Promise((r) => setTimeout(r, 300));
    await call(app, 'POST', api('ev-wait-all', '/admit-all'), { as: HOST });
    const answers = await Promise.all(held);
    for (const [k, answer] of answers.entries()) {
      assert.equal(answer.body.result.email, people[k]);
      assert.equal(answer.body.result.display_name, people[k]);
      assert.equal(answer.body.result.status, 'admitted');
      assert.equal((await verifyRoomToken(answer.body.result.room_token)).sub, people[k]);
    }
  });

  test('a held answer is what /status answers at that point: the same row, a token for the same meeting and log position', async () => {
    await hostStarts(app, 'ev-same');
    await call(app, 'POST', api('ev-same', '/join'), { as: 'same@x.io', body: { display_name: 'Sam' } });
    const held = call(app, 'GET', api('ev-same', '/status?wait=30'), { as: 'same@x.io' });
    await new Promise((r) => setTimeout(r, 300));
    await call(app, 'POST', api('ev-same', '/admit'), { as: HOST, body: { email: 'same@x.io' } });
    const answer = (await held).body.result;
    const now = (await call(app, 'GET', api('ev-same', '/status'), { as: 'same@x.io' })).body.result;
    assert.deepEqual({ ...answer, room_token: null }, { ...now, room_token: null });
    const [a, b] = await Promise.all([verifyRoomToken(answer.room_token), verifyRoomToken(now.room_token)]);
    const lasting = (claims: Record<string, unknown>) => Object.fromEntries(Object.entries(claims).filter(([k]) => !['iat', 'nbf', 'exp', 'jti'].includes(k)));
    assert.deepEqual(lasting(a), lasting(b));

    // Refused: answered with the refusal and no token.
    await call(app, 'POST', api('ev-same', '/join'), { as: 'no@x.io' });
    const refused = call(app, 'GET', api('ev-same', '/status?wait=30'), { as: 'no@x.io' });
    await new Promise((r) => setTimeout(r, 300));
    await call(app, 'POST', api('ev-same', '/reject'), { as: HOST, body: { email: 'no@x.io' } });
    const no = (await refused).body.result;
    assert.equal(no.status, 'rejected');
    assert.equal(no.room_token, null);
  });

  test('a held answer comes when the meeting ends under the waiter (they left with it), not at the timeout', async () => {
    await hostStarts(app, 'ev-end');
    await call(app, 'POST', api('ev-end', '/join'), { as: 'end@x.io' });
    const started = Date.now();
    const held = call(app, 'GET', api('ev-end', '/status?wait=30'), { as: 'end@x.io' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await call(app, 'POST', api('ev-end', '/end'), { as: HOST })).status, 200);
    const answer = await held;
    assert.equal(answer.body.result.status, 'left');
    assert.equal(answer.body.result.room_token, null);
    assert.ok(Date.now() - started < 20_000, 'answered on the end, long before the 30 s wait');
  });

  test('wait=1 with nothing happening answers waiting; any other status answers at once', async () => {
    await call(app, 'POST', api('ev-wait', '/join'), { as: 'slow@x.io' });
    const waited = await call(app, 'GET', api('ev-wait', '/status?wait=1'), { as: 'slow@x.io' });
    assert.equal(waited.body.result.status, 'waiting');
    const host = await call(app, 'GET', api('ev-wait', '/status?wait=60'), { as: HOST });
    assert.equal(host.body.result.status, 'admitted');
  });

  test('wait=-1, 999, abc and 1.5 are 400 INVALID_REQUEST', async () => {
    for (const wait of ['-1', '999', 'abc', '1.5', '61']) {
      expectError(await call(app, 'GET', api('ev-wait', `/status?wait=${wait}`), { as: HOST }), 400, 'INVALID_REQUEST');
    }
  });
});

describe('two API instances on one database', () => {
  let second: Database | undefined;
  let other: { app: FastifyInstance; url: string };
  before(async () => {
    second = database.url ? createPostgresDatabase({ connectionString: database.url, poolSize: 4 }) : undefined;
    other = await listen(second ?? database.db);
  });
  after(async () => {
    await other.app.close().catch(() => {});
    await second?.close();
  });

  test('an event committed through one instance reaches a stream held by the other', async () => {
    await hostStarts(app, 'ev-cross');
    const onOther = await sse(api('ev-cross', '/events'), { as: HOST }, other.url);
    await call(app, 'POST', api('ev-cross', '/join'), { as: 'x@x.io' });
    const [e] = await onOther.waitFor(1);
    assert.equal(e!.event, 'participant.waiting');
  });

  test('killing the instance holding a stream: resuming on the other with Last-Event-ID loses nothing and repeats nothing', async () => {
    const third = await listen(second ?? database.db);
    await hostStarts(app, 'ev-kill');
    const s = await sse(api('ev-kill', '/events?after=0'), { as: HOST }, third.url);
    await call(app, 'POST', api('ev-kill', '/join'), { as: 'k1@x.io' });
    await s.waitFor(3);
    await third.app.close();
    await s.ended;
    // Changes while the client has no stream.
    for (const p of ['k2', 'k3', 'k4']) await call(app, 'POST', api('ev-kill', '/join'), { as: `${p}@x.io` });
    const last = s.events[s.events.length - 1]!.id!;
    const resumed = await sse(api('ev-kill', '/events'), { as: HOST, lastEventId: last }, other.url);
    await call(app, 'POST', api('ev-kill', '/admit-all'), { as: HOST });
    await resumed.waitFor(7);
    const ids = [...s.events, ...resumed.events].map((e) => Number(e.id));
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => i + 1));
    assert.equal(ids.length, 10);
  });

  test('database connections cut under open streams: the missed notification is caught up from the log', async (t) => {
    if (!database.url) {
      t.skip('PostgreSQL only: PGlite is one in-process connection that cannot be cut');
      return;
    }
    await hostStarts(app, 'ev-cut');
    const s = await sse(api('ev-cut', '/events'), { as: HOST }, other.url);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // Cut every connection of the test database except ours (the listeners among them).
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    // Committed while the listeners reconnect: their NOTIFY reaches nobody.
    await admin.query(`SELECT 1`);
    await call(app, 'POST', api('ev-cut', '/join'), { as: 'cut@x.io' }).catch(() => undefined);
    let joined = await call(app, 'GET', api('ev-cut', '/status'), { as: 'cut@x.io' }).catch(() => undefined);
    for (let i = 0; i < 20 && joined?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await call(app, 'POST', api('ev-cut', '/join'), { as: 'cut@x.io' }).catch(() => undefined);
      joined = await call(app, 'GET', api('ev-cut', '/status'), { as: 'cut@x.io' }).catch(() => undefined);
    }
    await admin.end();
    if (s.events.length === 0 && (await Promise.race([s.ended.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]))) {
      // The stream ended cleanly with the outage: resume from the start.
      const resumed = await sse(api('ev-cut', '/events?after=2'), { as: HOST }, other.url);
      const [e] = await resumed.waitFor(1, 15_000);
      assert.equal(e!.event, 'participant.waiting');
      return;
    }
    const [e] = await s.waitFor(1, 15_000);
    assert.equal(e!.event, 'participant.waiting');
    assert.equal(e!.data.participant.email, 'cut@x.io');
  });
});
