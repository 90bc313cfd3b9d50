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
