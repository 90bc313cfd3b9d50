import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { splitStatements } from '../src/db/migrate';
import { api, call, hostStarts, meetingsWithWrongCounts, startTestApp, type TestApp } from './helpers';

// The list's participant and waiting counts are columns of the meeting row, kept by
// statement-level triggers (migration 007) in the same statement as each participant change.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const HOST = 'host@example.com';
const countsOf = async (id: string) => {
  const res = await call(t.app, 'GET', '/api/v1/meetings?limit=100', { as: HOST });
  const m = (res.body.result.meetings as Array<{ meeting_id: string; participant_count: number; waiting_count: number }>).find((x) => x.meeting_id === id);
  assert.ok(m, `${id} is listed`);
  return { admitted: m.participant_count, waiting: m.waiting_count };
};

test('the counts follow joins, admits, rejects, admit-all, leaves, removal and the end', async () => {
  const id = 'counts-1';
  const as = (who: string, method: string, tail: string, body?: unknown) => call(t.app, method, api(id, tail), { as: who, body });
  await hostStarts(t.app, id);
  assert.deepEqual(await countsOf(id), { admitted: 1, waiting: 0 });
  for (const who of ['a', 'b', 'c', 'd', 'e']) await as(`${who}@x.io`, 'POST', '/join');
  assert.deepEqual(await countsOf(id), { admitted: 1, waiting: 5 });
  await as(HOST, 'POST', '/admit', { email: 'a@x.io' });
  await as(HOST, 'POST', '/reject', { email: 'b@x.io' });
  assert.deepEqual(await countsOf(id), { admitted: 2, waiting: 3 });
  await as(HOST, 'POST', '/admit-all');
  assert.deepEqual(await countsOf(id), { admitted: 5, waiting: 0 });
  await as('c@x.io', 'POST', '/leave');
  await as(HOST, 'POST', '/remove', { email: 'd@x.io' });
  assert.deepEqual(await countsOf(id), { admitted: 3, waiting: 0 });
  await as('f@x.io', 'POST', '/join');
  await as(HOST, 'POST', '/end');
  const after = await countsOf(id);
  assert.deepEqual(await meetingsWithWrongCounts(t.db), []);
  assert.equal(after.waiting, 0, 'the end sends the waiting room away');
});

test('a meeting deleted with its rows leaves nothing wrong behind; the check catches a wrong counter', async () => {
  await hostStarts(t.app, 'counts-2');
  await call(t.app, 'POST', api('counts-2', '/join'), { as: 'z@x.io' });
  await t.db.query(`DELETE FROM meetings WHERE room_id = 'counts-2'`);
  assert.deepEqual(await meetingsWithWrongCounts(t.db), []);

  await hostStarts(t.app, 'counts-3');
  await t.db.query(`UPDATE meetings SET waiting_count = waiting_count + 1 WHERE room_id = 'counts-3'`);
  const wrong = await meetingsWithWrongCounts(t.db);
  assert.deepEqual(
    wrong.map((w) => w.room_id),
    ['counts-3'],
  );
  await t.db.query(`UPDATE meetings SET waiting_count = waiting_count - 1 WHERE room_id = 'counts-3'`);
});

test('migrations split on ";" at line ends, except inside a dollar-quoted body', () => {
  const sql = [
    '-- a comment;',
    'CREATE TABLE a (x int);',
    'CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$',
    'BEGIN',
    '  UPDATE a SET x = 1;',
    '  RETURN NULL;',
    'END',
    '$$;',
    'SELECT 1;',
    '',
  ].join('\n');
  const statements = splitStatements(sql);
  assert.equal(statements.length, 3);
  assert.equal(statements[0], 'CREATE TABLE a (x int)');
  assert.match(statements[1]!, /^CREATE FUNCTION[\s\S]*UPDATE a SET x = 1;[\s\S]*RETURN NULL;[\s\S]*\$\$$/);
  assert.equal(statements[2], 'SELECT 1');
});
