import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, call, hostStarts, startTestApp, type TestApp } from './helpers';

// The host's waiting-room list is one statement, and under load on PostgreSQL many hosts'
// lists share statements (db/waiting-room-reads.ts): each must get exactly its own page.

let t: TestApp;
after(() => t.close());

const HOST = 'host@example.com';
const MEETINGS = 8;
const id = (m: number) => `waitlist-${m}`;
const waiter = (m: number, n: number) => `w${n}-of-${m}@x.io`;

before(async () => {
  t = await startTestApp();
  for (let m = 0; m < MEETINGS; m++) {
    await hostStarts(t.app, id(m));
    // Meeting m has m people waiting, in join order.
    for (let n = 0; n < m; n++) await call(t.app, 'POST', api(id(m), '/join'), { as: waiter(m, n), body: { display_name: `W${n}` } });
  }
  await call(t.app, 'DELETE', api(id(1)), { as: HOST });
});

test('concurrent waiting lists of many meetings, pages and callers each get their own answer', async () => {
  const reads: Array<{ m: number; as: string; limit?: number; offset?: number }> = [];
  for (let round = 0; round < 4; round++) {
    for (let m = 0; m < MEETINGS; m++) {
      reads.push({ m, as: HOST }, { m, as: HOST, limit: 2, offset: 1 }, { m, as: `stranger-${m}@x.io` });
      if (m > 2) reads.push({ m, as: waiter(m, 0) });
    }
  }
  reads.push({ m: 999, as: HOST });
  const batchSizes: number[] = [];
  const query = t.db.query.bind(t.db);
  t.db.query = ((text: string, params?: readonly unknown[], name?: string) => {
    if (name === 'read-waiting-rooms') batchSizes.push((params?.[0] as unknown[]).length);
    return query(text, params, name);
  }) as typeof t.db.query;
  const answers = await Promise.all(
    reads.map((r) => {
      const q = r.limit === undefined ? '' : `?limit=${r.limit}&offset=${r.offset}`;
      return call(t.app, 'GET', api(r.m === 999 ? 'no-such-meeting' : id(r.m), `/waiting${q}`), { as: r.as });
    }),
  );
  t.db.query = query;
  assert.equal(batchSizes.reduce((a, b) => a + b, 0), reads.length, 'every list was read by the one statement');
  if (t.db.kind === 'postgres') {
    assert.ok(batchSizes.length < reads.length / 4, `lists shared statements (${batchSizes.length} statements for ${reads.length} lists)`);
  } else {
    assert.ok(batchSizes.every((n) => n === 1), 'PGlite reads each list on its own');
  }
  for (const [i, r] of reads.entries()) {
    const res = answers[i]!;
    const where = `${r.as} reading ${r.m} ${r.limit ?? ''}`;
    if (r.m === 999 || r.m === 1) {
      assert.equal(res.status, 404, where);
      assert.equal(res.body.result.code, 'MEETING_NOT_FOUND', where);
    } else if (r.as !== HOST) {
      assert.equal(res.status, 403, where);
      assert.equal(res.body.result.code, 'NOT_HOST', where);
    } else {
      assert.equal(res.status, 200, where);
      assert.equal(res.body.result.meeting_id, id(r.m), where);
      const all = Array.from({ length: r.m }, (_, n) => waiter(r.m, n));
      const expected = r.limit === undefined ? all : all.slice(r.offset, r.offset! + r.limit);
      assert.deepEqual(
        res.body.result.waiting.map((p: { email: string }) => p.email),
        expected,
        where,
      );
    }
  }
});

test('a kept page answers while nothing waiting changed, and any change of a waiting row is read at once', async () => {
  const room = 'waitlist-kept';
  await hostStarts(t.app, room);
  for (const who of ['a', 'b', 'c']) await call(t.app, 'POST', api(room, '/join'), { as: `${who}@kept.io`, body: { display_name: who.toUpperCase() } });

  // What the list must show: the waiting rows as they are now, in join order.
  const truth = async () => {
    const { rows } = await t.db.query<{ email: string; display_name: string | null; connected: boolean | null }>(
      `SELECT p.email, p.display_name, p.connected FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id
       WHERE m.room_id = $1 AND m.deleted_at IS NULL AND p.status = 'waiting' ORDER BY p.joined_at, p.email`,
      [room],
    );
    return rows.map((r) => ({ email: r.email, display_name: r.display_name, connected: r.connected ?? false }));
  };
  // Reads the list and tells whether the statement answered from the kept page (one row, no people in it).
  const list = async (q = '') => {
    let fromKeptPage: boolean | undefined;
    const query = t.db.query.bind(t.db);
    t.db.query = (async (text: string, params?: readonly unknown[], name?: string) => {
      const result = await query(text, params, name);
      if (name === 'read-waiting-rooms') fromKeptPage = (result.rows as Array<{ kept_page_holds: boolean }>).every((r) => r.kept_page_holds);
      return result;
    }) as typeof t.db.query;
    try {
      const res = await call(t.app, 'GET', api(room, `/waiting${q}`), { as: HOST });
      assert.equal(res.status, 200);
      const shown = (res.body.result.waiting as Array<{ email: string; display_name: string | null; connected?: boolean }>).map((p) => ({
        email: p.email,
        display_name: p.display_name,
        connected: p.connected ?? false,
      }));
      return { shown, fromKeptPage };
    } finally {
      t.db.query = query;
    }
  };
  const expectFresh = async (what: string) => {
    const read = await list();
    assert.deepEqual(read.shown, await truth(), `after ${what}: the list is the room as it is`);
    assert.equal(read.fromKeptPage, false, `after ${what}: the page was read again`);
    const again = await list();
    assert.deepEqual(again.shown, read.shown, `after ${what}, asked again: the same list`);
    assert.equal(again.fromKeptPage, true, `after ${what}, asked again: answered from the kept page`);
  };

  await expectFresh('the first read');
  assert.equal((await list('?limit=1&offset=1')).fromKeptPage, false, 'another page is a page of its own');
  assert.equal((await list('?limit=1&offset=1')).fromKeptPage, true);

  await call(t.app, 'POST', api(room, '/join'), { as: 'd@kept.io', body: { display_name: 'D' } });
  await expectFresh('a join');
  await call(t.app, 'POST', api(room, '/join'), { as: 'b@kept.io', body: { display_name: 'Bee' } });
  await expectFresh('a second join under another name');
  await call(t.app, 'POST', api(room, '/admit'), { as: HOST, body: { email: 'a@kept.io' } });
  await expectFresh('an admit');
  await call(t.app, 'POST', api(room, '/reject'), { as: HOST, body: { email: 'c@kept.io' } });
  await expectFresh('a reject');
  await call(t.app, 'POST', api(room, '/leave'), { as: 'd@kept.io' });
  await expectFresh('a waiting person leaving');
  // Changes made by no route of this instance (another instance, presence, an operator) are seen too.
  await t.db.query(`UPDATE meeting_participants SET display_name = 'Operator' WHERE email = 'b@kept.io'`);
  await expectFresh('a rename in the database');
  await t.db.query(`UPDATE meeting_participants SET connected = true WHERE email = 'b@kept.io'`);
  await expectFresh('a presence change');
  await call(t.app, 'POST', api(room, '/join'), { as: 'e@kept.io', body: { display_name: 'E' } });
  await expectFresh('another join');
  await t.db.query(`DELETE FROM meeting_participants WHERE email = 'e@kept.io'`);
  await expectFresh('a row deleted in the database');
  // A change to someone who is not waiting leaves the page as it is.
  await call(t.app, 'POST', api(room, '/leave'), { as: 'a@kept.io' });
  assert.equal((await list()).fromKeptPage, true, 'an admitted person leaving does not touch the waiting room');
  // A meeting of the same id made again is another meeting: its page is not the old one.
  await call(t.app, 'DELETE', api(room), { as: HOST });
  await hostStarts(t.app, room);
  await call(t.app, 'POST', api(room, '/join'), { as: 'z@kept.io', body: { display_name: 'Z' } });
  await expectFresh('the meeting made again');
  assert.deepEqual((await list()).shown.map((p) => p.email), ['z@kept.io']);
});
