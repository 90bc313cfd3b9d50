import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { api, call, meetingsWithWrongCounts, expectError, startTestApp, type TestApp } from './helpers';

/**
 * Meeting controls racing each other (the meeting-controls extension): every check and change
 * runs in one transaction behind the meeting row's lock. On PostgreSQL these
 * requests really run concurrently in separate pool sessions. Each test asserts
 * once; `npm run test:races` repeats the file (20 runs in a row by default).
 */
let t: TestApp;
let app: FastifyInstance;
before(async () => {
  t = await startTestApp();
  app = t.app;
});
after(() => t.close());

const OWNER = 'owner@example.com';
const post = (id: string, tail: string, as: string, body?: unknown) => call(app, 'POST', api(id, tail), { as, body });
const participants = async (id: string) =>
  (await call(app, 'GET', api(id, '/participants'), { as: OWNER })).body.result as Array<{ email: string; role: string }>;

async function meeting(id: string, settings: Record<string, unknown>, admitted: string[] = [], waiting: string[] = []) {
  assert.equal((await call(app, 'POST', '/api/v1/meetings', { as: OWNER, body: { meeting_id: id, ...settings } })).status, 201);
  await post(id, '/join', OWNER);
  for (const who of admitted) {
    await post(id, '/join', who);
    assert.equal((await post(id, '/admit', OWNER, { email: who })).status, 200);
  }
  // One after the other: the race under test is what comes next, not the knocks (50 knocks at
  // once on a 10-connection pool can wait out its checkout timeout on a loaded machine).
  for (const who of waiting) assert.equal((await post(id, '/join', who)).status, 200, `${who} knocks`);
}

test('50 concurrent admits against max_participants 10: exactly 10 admitted (host included), the rest 409 MEETING_FULL', async () => {
  const people = Array.from({ length: 50 }, (_, i) => `cap${i}@x.io`);
  await meeting('race-cap', { max_participants: 10 }, [], people);
  const results = await Promise.all(people.map((email) => post('race-cap', '/admit', OWNER, { email })));
  const ok = results.filter((r) => r.status === 200);
  assert.equal(ok.length, 9, 'nine attendees beside the host');
  for (const r of results.filter((r) => r.status !== 200)) expectError(r, 409, 'MEETING_FULL');
  const admitted = await participants('race-cap');
  assert.equal(admitted.length, 10);
  assert.deepEqual(
    admitted.filter((p) => p.email !== OWNER).map((p) => p.email).sort(),
    ok.map((r) => r.body.result.email as string).sort(),
  );
});

test('admit-all racing single admits never exceeds the cap', async () => {
  const people = Array.from({ length: 20 }, (_, i) => `mix${i}@x.io`);
  await meeting('race-cap-all', { max_participants: 6 }, [], people);
  const results = await Promise.all([
    ...people.slice(0, 10).map((email) => post('race-cap-all', '/admit', OWNER, { email })),
    post('race-cap-all', '/admit-all', OWNER),
    post('race-cap-all', '/admit-all', OWNER),
  ]);
  for (const r of results) assert.ok(r.status === 200 || r.body.result.code === 'MEETING_FULL' || r.body.result.code === 'PARTICIPANT_NOT_FOUND', JSON.stringify(r.body));
  assert.equal((await participants('race-cap-all')).length, 6);
});

test('waiting room off: 30 concurrent joins against max_participants 5 admit exactly 4, the rest wait', async () => {
  const people = Array.from({ length: 30 }, (_, i) => `direct${i}@x.io`);
  await meeting('race-direct', { waiting_room_enabled: false, max_participants: 5 });
  const results = await Promise.all(people.map((who) => post('race-direct', '/join', who)));
  assert.ok(results.every((r) => r.status === 200));
  assert.equal(results.filter((r) => r.body.result.status === 'admitted').length, 4);
  assert.equal(results.filter((r) => r.body.result.status === 'waiting').length, 26);
  assert.equal((await participants('race-direct')).length, 5);
});

test('a ban racing an admit of the same person: never both', async () => {
  const id = 'race-ban';
  await meeting(id, {}, [], ['target@x.io']);
  const [admit, ban] = await Promise.all([
    post(id, '/admit', OWNER, { email: 'target@x.io' }),
    post(id, '/reject', OWNER, { email: 'target@x.io', ban: true }),
  ]);
  assert.equal([admit, ban].filter((r) => r.status === 200).length, 1, 'exactly one wins');
  for (const r of [admit, ban].filter((r) => r.status !== 200)) expectError(r, 404, 'PARTICIPANT_NOT_FOUND');
  const me = (await call(app, 'GET', api(id, '/status'), { as: 'target@x.io' })).body.result;
  if (admit.status === 200) assert.deepEqual([me.status, me.banned], ['admitted', false]);
  else assert.deepEqual([me.status, me.banned], ['rejected', true]);
});

test('remove-with-ban racing an admit: the person never ends up admitted and banned', async () => {
  const id = 'race-rmban';
  await meeting(id, {}, [], ['target@x.io']);
  const [admit, remove] = await Promise.all([
    post(id, '/admit', OWNER, { email: 'target@x.io' }),
    post(id, '/remove', OWNER, { email: 'target@x.io', ban: true }),
  ]);
  assert.equal(remove.status, 200, 'waiting or admitted, the removal applies');
  assert.ok(admit.status === 200 || admit.body.result.code === 'PARTICIPANT_NOT_FOUND');
  const me = (await call(app, 'GET', api(id, '/status'), { as: 'target@x.io' })).body.result;
  assert.deepEqual([me.status, me.banned], ['removed', true]);
  expectError(await post(id, '/join', 'target@x.io'), 403, 'PARTICIPANT_BANNED');
});

test('two concurrent transfer-host calls by the host: exactly one wins, exactly one host afterwards', async () => {
  const id = 'race-xfer';
  await meeting(id, {}, ['h@x.io', 'a@x.io', 'b@x.io']);
  // A host who is not the owner (the owner may always transfer, so both would succeed in turn).
  await post(id, '/transfer-host', OWNER, { email: 'h@x.io' });
  const results = await Promise.all([
    post(id, '/transfer-host', 'h@x.io', { email: 'a@x.io' }),
    post(id, '/transfer-host', 'h@x.io', { email: 'b@x.io' }),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 403]);
  expectError(results.find((r) => r.status === 403)!, 403, 'NOT_HOST');
  const hosts = (await participants(id)).filter((p) => p.role === 'host').map((p) => p.email);
  assert.deepEqual(hosts, [results.find((r) => r.status === 200)!.body.result.email]);
});

test('two concurrent transfers by the owner: both apply in turn, one host afterwards', async () => {
  await meeting('race-xfer-owner', {}, ['a@x.io', 'b@x.io']);
  const results = await Promise.all([
    post('race-xfer-owner', '/transfer-host', OWNER, { email: 'a@x.io' }),
    post('race-xfer-owner', '/transfer-host', OWNER, { email: 'b@x.io' }),
  ]);
  assert.ok(results.every((r) => r.status === 200));
  assert.equal((await participants('race-xfer-owner')).filter((p) => p.role === 'host').length, 1);
});

test('host leaving under transfer while a co-host leaves: the remaining attendee ends up host', async () => {
  const id = 'race-hl';
  await meeting(id, { host_leave_policy: 'transfer' }, ['co@x.io', 'att@x.io']);
  await post(id, '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
  const results = await Promise.all([post(id, '/leave', OWNER), post(id, '/leave', 'co@x.io')]);
  assert.ok(results.every((r) => r.status === 200));
  assert.deepEqual((await participants(id)).map((p) => [p.email, p.role]), [['att@x.io', 'host']]);
  assert.equal((await call(app, 'GET', api(id), { as: OWNER })).body.result.state, 'active');
});

test('host leaving under transfer while the only co-host leaves: the meeting ends when nobody admitted remains', async () => {
  const id = 'race-hl-end';
  await meeting(id, { host_leave_policy: 'transfer' }, ['co@x.io']);
  await post(id, '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
  const results = await Promise.all([post(id, '/leave', OWNER), post(id, '/leave', 'co@x.io')]);
  assert.ok(results.every((r) => r.status === 200));
  assert.deepEqual(await participants(id), []);
  assert.equal((await call(app, 'GET', api(id), { as: OWNER })).body.result.state, 'ended');
  const { rows } = await t.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id
     WHERE m.room_id = $1 AND m.deleted_at IS NULL AND p.role = 'host'`,
    [id],
  );
  assert.ok(rows[0]!.n <= 1);
});

test('locked set while joins arrive: each join is recorded exactly when it answered 200, none after the lock', async () => {
  const people = Array.from({ length: 30 }, (_, i) => `lk${i}@x.io`);
  await meeting('race-lock', {});
  const joins = people.map((who) => post('race-lock', '/join', who));
  const lock = call(app, 'PATCH', api('race-lock'), { as: OWNER, body: { locked: true } });
  const [results, locked] = await Promise.all([Promise.all(joins), lock]);
  assert.equal(locked.status, 200);
  for (const r of results) if (r.status !== 200) expectError(r, 403, 'MEETING_LOCKED');
  const accepted = results.filter((r) => r.status === 200).map((r) => r.body.result.email as string).sort();
  const waiting = (await call(app, 'GET', api('race-lock', '/waiting'), { as: OWNER })).body.result.waiting.map(
    (p: { email: string }) => p.email,
  ) as string[];
  assert.deepEqual(waiting.sort(), accepted);
  expectError(await post('race-lock', '/join', 'after@x.io'), 403, 'MEETING_LOCKED');
});

// Last: after every race above, the list's counters (kept by triggers) still match the rows.
test('after the races, every meeting\'s participant and waiting counts match its participant rows', async () => {
  const meetings = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM meetings');
  assert.ok(meetings.rows[0]!.n > 0, 'the races left meetings to check');
  assert.deepEqual(await meetingsWithWrongCounts(t.db), []);
});
