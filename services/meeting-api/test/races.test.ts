import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, call, meetingsWithWrongCounts, hostStarts, startTestApp, type TestApp } from './helpers';

/**
 * Races settled by the database: these go through the connection pool, so on
 * PostgreSQL the requests really run concurrently in separate sessions.
 */
let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const HOST = 'host@example.com';

test('20 concurrent first-joins of a new id give exactly one host and 19 waiting, never a 500', async () => {
  const people = Array.from({ length: 20 }, (_, i) => `racer${i}@x.io`);
  const results = await Promise.all(people.map((as) => call(t.app, 'POST', api('race-join', '/join'), { as })));
  assert.deepEqual(results.map((r) => r.status), people.map(() => 200));
  const hosts = results.filter((r) => r.body.result.is_host);
  assert.equal(hosts.length, 1);
  assert.equal(hosts[0]!.body.result.status, 'admitted');
  assert.equal(typeof hosts[0]!.body.result.room_token, 'string');
  const waiting = results.filter((r) => r.body.result.status === 'waiting');
  assert.equal(waiting.length, 19);
  const host = hosts[0]!.body.result.email;
  const room = await call(t.app, 'GET', api('race-join', '/waiting'), { as: host });
  assert.equal(room.body.result.waiting.length, 19);
  assert.equal((await call(t.app, 'GET', api('race-join'), { as: host })).body.result.host, host);
});

test('10 concurrent creates of one id give one 201 and nine 409', async () => {
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      call(t.app, 'POST', '/api/v1/meetings', { as: `creator${i}@x.io`, body: { meeting_id: 'race-create' } }),
    ),
  );
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, ...Array(9).fill(409)]);
  assert.ok(results.filter((r) => r.status === 409).every((r) => r.body.result.code === 'MEETING_EXISTS'));
});

test('admit-all racing with joins admits each person exactly once and loses nobody', async () => {
  await hostStarts(t.app, 'race-admit');
  const people = Array.from({ length: 40 }, (_, i) => `p${i}@x.io`);
  const joins = people.map((as) => call(t.app, 'POST', api('race-admit', '/join'), { as }));
  const admitAlls = Array.from({ length: 6 }, () => call(t.app, 'POST', api('race-admit', '/admit-all'), { as: HOST }));
  const [joinResults, admitResults] = await Promise.all([Promise.all(joins), Promise.all(admitAlls)]);
  assert.ok(joinResults.every((r) => r.status === 200));
  assert.ok(admitResults.every((r) => r.status === 200));

  const admittedByRace = admitResults.flatMap((r) => r.body.result.admitted.map((p: { email: string }) => p.email) as string[]);
  assert.equal(new Set(admittedByRace).size, admittedByRace.length, 'nobody admitted twice');
  assert.equal(
    admitResults.reduce((sum, r) => sum + r.body.result.admitted_count, 0),
    admittedByRace.length,
  );

  const waitingNow = (await call(t.app, 'GET', api('race-admit', '/waiting'), { as: HOST })).body.result.waiting.map(
    (p: { email: string }) => p.email,
  ) as string[];
  const participants = (await call(t.app, 'GET', api('race-admit', '/participants'), { as: HOST })).body.result.map(
    (p: { email: string }) => p.email,
  ) as string[];
  const attendeesAdmitted = participants.filter((e) => e !== HOST);
  assert.deepEqual([...attendeesAdmitted].sort(), [...admittedByRace].sort(), 'admitted exactly those the admit-alls reported');
  assert.deepEqual([...attendeesAdmitted, ...waitingNow].sort(), [...people].sort(), 'everyone is admitted or still waiting');

  const rest = await call(t.app, 'POST', api('race-admit', '/admit-all'), { as: HOST });
  assert.equal(rest.body.result.admitted_count, waitingNow.length);
  const finalParticipants = (await call(t.app, 'GET', api('race-admit', '/participants'), { as: HOST })).body.result;
  assert.equal(finalParticipants.length, people.length + 1);
});

test('concurrent admits of one person: exactly one succeeds', async () => {
  await hostStarts(t.app, 'race-single');
  await call(t.app, 'POST', api('race-single', '/join'), { as: 'target@x.io' });
  const results = await Promise.all(
    Array.from({ length: 8 }, () => call(t.app, 'POST', api('race-single', '/admit'), { as: HOST, body: { email: 'target@x.io' } })),
  );
  assert.deepEqual(results.map((r) => r.status).sort(), [200, ...Array(7).fill(404)]);
});

test('the host and the last attendee leaving at once still end the meeting', async () => {
  for (let round = 0; round < 5; round++) {
    const id = `race-leave-${round}`;
    await hostStarts(t.app, id);
    await call(t.app, 'POST', api(id, '/join'), { as: 'last@x.io' });
    await call(t.app, 'POST', api(id, '/admit'), { as: HOST, body: { email: 'last@x.io' } });
    const [a, b] = await Promise.all([
      call(t.app, 'POST', api(id, '/leave'), { as: HOST }),
      call(t.app, 'POST', api(id, '/leave'), { as: 'last@x.io' }),
    ]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal((await call(t.app, 'GET', api(id), { as: HOST })).body.result.state, 'ended');
  }
});

test('concurrent host joins, attendee joins and a delete never produce a 5xx', async () => {
  await hostStarts(t.app, 'race-mixed');
  const calls = [
    ...Array.from({ length: 10 }, (_, i) => call(t.app, 'POST', api('race-mixed', '/join'), { as: `m${i}@x.io` })),
    ...Array.from({ length: 5 }, () => call(t.app, 'POST', api('race-mixed', '/join'), { as: HOST })),
    call(t.app, 'DELETE', api('race-mixed'), { as: HOST }),
    ...Array.from({ length: 5 }, (_, i) => call(t.app, 'POST', api('race-mixed', '/join'), { as: `n${i}@x.io` })),
  ];
  const results = await Promise.all(calls);
  for (const r of results) assert.ok(r.status < 500, `got ${r.status} ${JSON.stringify(r.body)}`);
});

// Last: after every race above, the list's counters (kept by triggers) still match the rows.
test('after the races, every meeting\'s participant and waiting counts match its participant rows', async () => {
  const meetings = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM meetings');
  assert.ok(meetings.rows[0]!.n > 0, 'the races left meetings to check');
  assert.deepEqual(await meetingsWithWrongCounts(t.db), []);
});
