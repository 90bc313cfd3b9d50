import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, call, expectError, hostStarts, startTestApp, summaryOf, verifyRoomToken, type TestApp } from './helpers';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const HOST = 'host@example.com';
const join = (id: string, as: string, body?: unknown) => call(t.app, 'POST', api(id, '/join'), { as, body });
const statusOf = (id: string, as: string) => call(t.app, 'GET', api(id, '/status'), { as });
const leave = (id: string, as: string) => call(t.app, 'POST', api(id, '/leave'), { as });
const admit = (id: string, email: string) => call(t.app, 'POST', api(id, '/admit'), { as: HOST, body: { email } });

describe('GET /status', () => {
  test('while waiting: the row without a token', async () => {
    await hostStarts(t.app, 'st-1');
    await join('st-1', 'bob@x.io', { display_name: 'Bob' });
    const res = await statusOf('st-1', 'bob@x.io');
    assert.equal(res.status, 200);
    assert.equal(res.body.result.status, 'waiting');
    assert.equal(res.body.result.room_token, null);
    assert.equal(res.body.result.admitted_at, null);
  });

  test('once admitted: a fresh token for the caller, scoped to the room', async () => {
    await admit('st-1', 'bob@x.io');
    const res = await statusOf('st-1', 'bob@x.io');
    assert.equal(res.body.result.status, 'admitted');
    const claims = await verifyRoomToken(res.body.result.room_token);
    assert.deepEqual(
      { sub: claims.sub, room: claims.room, is_host: claims.is_host, display_name: claims.display_name, room_join: claims.room_join },
      { sub: 'bob@x.io', room: 'st-1', is_host: false, display_name: 'Bob', room_join: true },
    );
  });

  test('no token once the meeting has ended, even for a participant still marked admitted', async () => {
    await leave('st-1', HOST);
    const res = await statusOf('st-1', 'bob@x.io');
    assert.equal(res.body.result.status, 'admitted', "other admitted attendees' rows are left as they are");
    assert.equal(res.body.result.room_token, null);
  });

  test('an unknown meeting is MEETING_NOT_FOUND; never having joined is NOT_IN_MEETING', async () => {
    expectError(await statusOf('st-none', 'bob@x.io'), 404, 'MEETING_NOT_FOUND');
    await hostStarts(t.app, 'st-2');
    const message = expectError(await statusOf('st-2', 'stranger@x.io'), 404, 'NOT_IN_MEETING');
    assert.ok(message.includes('st-2'));
  });

  test('without the cookie it is 401', async () => {
    expectError(await call(t.app, 'GET', api('st-2', '/status')), 401, 'UNAUTHORIZED');
  });
});

describe('POST /leave', () => {
  test('an admitted attendee leaving keeps the meeting active while the host is there', async () => {
    await hostStarts(t.app, 'lv-1');
    await join('lv-1', 'a@x.io', { display_name: 'A' });
    await admit('lv-1', 'a@x.io');
    const res = await leave('lv-1', 'a@x.io');
    assert.equal(res.status, 200);
    assert.equal(res.body.result.status, 'left');
    assert.equal(res.body.result.room_token, null);
    assert.ok(Number.isInteger(res.body.result.admitted_at), 'admitted_at is kept');
    assert.equal((await summaryOf(t.app, 'lv-1'))?.state, 'active');
  });

  test('the host leaving ends the meeting; other admitted rows stay as they are', async () => {
    await hostStarts(t.app, 'lv-2');
    await join('lv-2', 'b@x.io');
    await admit('lv-2', 'b@x.io');
    const res = await leave('lv-2', HOST);
    assert.equal(res.body.result.status, 'left');
    assert.equal(res.body.result.is_host, true);
    const summary = await summaryOf(t.app, 'lv-2');
    assert.equal(summary?.state, 'ended');
    assert.ok(Number.isInteger(summary?.ended_at));
    assert.equal((await statusOf('lv-2', 'b@x.io')).body.result.status, 'admitted');
  });

  test('after a restart, an attendee leaving keeps it active while the host is admitted; the host leaving ends it', async () => {
    await hostStarts(t.app, 'lv-3');
    await join('lv-3', 'c@x.io');
    await admit('lv-3', 'c@x.io');
    await leave('lv-3', HOST); // ended
    await hostStarts(t.app, 'lv-3'); // active again, host admitted
    await leave('lv-3', 'c@x.io');
    assert.equal((await summaryOf(t.app, 'lv-3'))?.state, 'active', 'host still admitted');
    await leave('lv-3', HOST);
    assert.equal((await summaryOf(t.app, 'lv-3'))?.state, 'ended');
  });

  test('a waiting participant may leave the waiting room', async () => {
    await hostStarts(t.app, 'lv-4');
    await join('lv-4', 'w@x.io');
    assert.equal((await leave('lv-4', 'w@x.io')).body.result.status, 'left');
    const waiting = await call(t.app, 'GET', api('lv-4', '/waiting'), { as: HOST });
    assert.deepEqual(waiting.body.result.waiting, []);
    assert.equal((await summaryOf(t.app, 'lv-4'))?.state, 'active');
  });

  test('leaving twice, after rejection, or never having joined is NOT_IN_MEETING', async () => {
    await hostStarts(t.app, 'lv-5');
    await join('lv-5', 'x@x.io');
    await leave('lv-5', 'x@x.io');
    expectError(await leave('lv-5', 'x@x.io'), 404, 'NOT_IN_MEETING');
    await join('lv-5', 'r@x.io');
    await call(t.app, 'POST', api('lv-5', '/reject'), { as: HOST, body: { email: 'r@x.io' } });
    expectError(await leave('lv-5', 'r@x.io'), 404, 'NOT_IN_MEETING');
    expectError(await leave('lv-5', 'never@x.io'), 404, 'NOT_IN_MEETING');
  });

  test('an unknown meeting is 404 MEETING_NOT_FOUND; without the cookie it is 401', async () => {
    expectError(await leave('lv-none', 'x@x.io'), 404, 'MEETING_NOT_FOUND');
    expectError(await call(t.app, 'POST', api('lv-5', '/leave')), 401, 'UNAUTHORIZED');
  });
});

describe('GET /participants', () => {
  test('a bare array of admitted participants ordered by admitted_at, tokens null, for the owner and admitted participants', async () => {
    await hostStarts(t.app, 'pt-1', HOST, { display_name: 'Alice' });
    await join('pt-1', 'bob@x.io', { display_name: 'Bob' });
    await join('pt-1', 'carl@x.io');
    await join('pt-1', 'dora@x.io');
    await admit('pt-1', 'carl@x.io');
    await admit('pt-1', 'bob@x.io');
    expectError(await call(t.app, 'GET', api('pt-1', '/participants'), { as: 'outsider@x.io' }), 404, 'NOT_IN_MEETING');
    const res = await call(t.app, 'GET', api('pt-1', '/participants'), { as: 'carl@x.io' });
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body.result));
    assert.deepEqual(res.body.result.map((p: { email: string }) => p.email), [HOST, 'carl@x.io', 'bob@x.io']);
    assert.ok(res.body.result.every((p: { room_token: unknown; status: string }) => p.room_token === null && p.status === 'admitted'));
    assert.equal(res.body.result[0].display_name, 'Alice');
    assert.equal(res.body.result[0].is_host, true);
  });

  test('an unknown meeting is 404; without the cookie it is 401', async () => {
    expectError(await call(t.app, 'GET', api('pt-none', '/participants'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
    expectError(await call(t.app, 'GET', api('pt-1', '/participants')), 401, 'UNAUTHORIZED');
  });
});
