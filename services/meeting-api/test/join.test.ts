import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTokenSigner } from '../src/domain/token-signer';
import { api, ATTENDEE_ROLE, call, expectError, ROLE_FIELDS, startTestApp, summaryOf, TEST_SECRET, verifyRoomToken, type TestApp } from './helpers';

// A clock that moves one second per token, so "a fresh token" is observable.
let tick = Date.now();
const signer = createTokenSigner(TEST_SECRET, 600, () => (tick += 1000));

let t: TestApp;
before(async () => {
  t = await startTestApp({ deps: { signer } });
});
after(() => t.close());

const HOST = 'host@example.com';
const join = (id: string, as: string, body?: unknown) => call(t.app, 'POST', api(id, '/join'), { as, body });
const statusOf = (id: string, as: string) => call(t.app, 'GET', api(id, '/status'), { as });

describe('join as host', () => {
  test('joining an unknown id creates the meeting, activates it and admits the caller with a token', async () => {
    const res = await join('adhoc-1', HOST);
    assert.equal(res.status, 200);
    const r = res.body.result;
    assert.deepEqual(Object.keys(r).sort(), ['admitted_at', 'display_name', 'email', 'is_host', 'joined_at', 'room_token', 'status', ...ROLE_FIELDS].sort());
    assert.equal(r.role, 'host');
    assert.equal(r.banned, false);
    assert.equal(r.email, HOST);
    assert.equal(r.display_name, null, 'explicit null when never given');
    assert.equal(r.status, 'admitted');
    assert.equal(r.is_host, true);
    assert.ok(Number.isInteger(r.joined_at));
    assert.ok(Number.isInteger(r.admitted_at));
    const claims = await verifyRoomToken(r.room_token);
    assert.equal(claims.sub, HOST);
    assert.equal(claims.room, 'adhoc-1');
    assert.equal(claims.room_join, true);
    assert.equal(claims.is_host, true);
    assert.equal(claims.display_name, HOST, 'display_name falls back to the email');
    assert.equal(claims.iss, 'videocall-meeting-backend');
    assert.equal((claims.exp as number) - (claims.iat as number), 600);
    assert.equal((await summaryOf(t.app, 'adhoc-1'))?.state, 'active');
  });

  test('the host joining an idle meeting activates it and moves started_at', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'sched-1' } });
    const before = await summaryOf(t.app, 'sched-1');
    assert.equal(before?.state, 'idle');
    const res = await join('sched-1', HOST, { display_name: 'Alice' });
    assert.equal(res.body.result.status, 'admitted');
    assert.equal((await verifyRoomToken(res.body.result.room_token)).display_name, 'Alice');
    const afterJoin = await summaryOf(t.app, 'sched-1');
    assert.equal(afterJoin?.state, 'active');
    assert.ok((afterJoin?.started_at as number) >= (before?.started_at as number));
    const info = await call(t.app, 'GET', api('sched-1'), { as: HOST });
    assert.equal(info.body.result.host_display_name, 'Alice');
  });

  test('host join is idempotent and always returns a fresh token', async () => {
    const first = await join('idem', HOST);
    const second = await join('idem', HOST);
    assert.equal(second.body.result.status, 'admitted');
    assert.equal(second.body.result.admitted_at, first.body.result.admitted_at, 'admission is kept');
    assert.notEqual(second.body.result.room_token, first.body.result.room_token);
    const [c1, c2] = [await verifyRoomToken(first.body.result.room_token), await verifyRoomToken(second.body.result.room_token)];
    assert.ok((c2.iat as number) > (c1.iat as number));
  });

  test('the host re-joining an ended meeting restarts it: active again, ended_at cleared', async () => {
    await join('restart', HOST);
    await call(t.app, 'POST', api('restart', '/leave'), { as: HOST });
    const ended = await summaryOf(t.app, 'restart');
    assert.equal(ended?.state, 'ended');
    assert.ok(Number.isInteger(ended?.ended_at));
    const res = await join('restart', HOST);
    assert.equal(res.body.result.status, 'admitted');
    assert.ok(res.body.result.room_token);
    const restarted = await summaryOf(t.app, 'restart');
    assert.equal(restarted?.state, 'active');
    assert.equal(restarted?.ended_at, null);
  });

  test('the host never needs the password', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'pw-host', password: 'hunter2' } });
    const res = await join('pw-host', HOST);
    assert.equal(res.status, 200);
    assert.equal(res.body.result.is_host, true);
  });
});

describe('join as attendee', () => {
  test('an attendee of an active meeting waits, with no token', async () => {
    await join('att-1', HOST);
    const res = await join('att-1', 'bob@example.com', { display_name: 'Bob' });
    assert.equal(res.status, 200);
    assert.deepEqual({ ...res.body.result, joined_at: 0 }, {
      email: 'bob@example.com',
      display_name: 'Bob',
      status: 'waiting',
      is_host: false,
      joined_at: 0,
      admitted_at: null,
      room_token: null,
      ...ATTENDEE_ROLE,
    });
  });

  test('a non-host joining an idle meeting gets MEETING_NOT_ACTIVE and is not recorded', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'idle-1' } });
    const res = await join('idle-1', 'early@example.com');
    assert.equal(expectError(res, 400, 'MEETING_NOT_ACTIVE'), "Meeting 'idle-1' is not active. Host must join first.");
    expectError(await statusOf('idle-1', 'early@example.com'), 404, 'NOT_IN_MEETING');
  });

  test('a non-host joining an ended meeting gets MEETING_NOT_ACTIVE and is not recorded', async () => {
    await join('ended-1', HOST);
    await call(t.app, 'POST', api('ended-1', '/leave'), { as: HOST });
    expectError(await join('ended-1', 'late@example.com'), 400, 'MEETING_NOT_ACTIVE');
    expectError(await statusOf('ended-1', 'late@example.com'), 404, 'NOT_IN_MEETING');
  });

  test('a password-protected meeting refuses a missing or wrong password with INVALID_PASSWORD and records nothing', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'pw-1', password: 'correct horse' } });
    await join('pw-1', HOST);
    expectError(await join('pw-1', 'guest@example.com'), 403, 'INVALID_PASSWORD');
    expectError(await join('pw-1', 'guest@example.com', { password: 'wrong' }), 403, 'INVALID_PASSWORD');
    expectError(await statusOf('pw-1', 'guest@example.com'), 404, 'NOT_IN_MEETING');
    const ok = await join('pw-1', 'guest@example.com', { password: 'correct horse' });
    assert.equal(ok.body.result.status, 'waiting');
  });

  test('re-joining after being rejected or after leaving puts the attendee back in the waiting room', async () => {
    await join('rejoin', HOST);
    await join('rejoin', 'r@x.io');
    await call(t.app, 'POST', api('rejoin', '/reject'), { as: HOST, body: { email: 'r@x.io' } });
    assert.equal((await statusOf('rejoin', 'r@x.io')).body.result.status, 'rejected');
    assert.equal((await join('rejoin', 'r@x.io')).body.result.status, 'waiting');

    await join('rejoin', 'l@x.io');
    await call(t.app, 'POST', api('rejoin', '/leave'), { as: 'l@x.io' });
    assert.equal((await statusOf('rejoin', 'l@x.io')).body.result.status, 'left');
    const back = await join('rejoin', 'l@x.io');
    assert.equal(back.body.result.status, 'waiting');
    assert.equal(back.body.result.admitted_at, null);
  });

  test('an admitted attendee who joins again stays admitted and gets a fresh token', async () => {
    await join('reload', HOST);
    await join('reload', 'a@x.io');
    await call(t.app, 'POST', api('reload', '/admit'), { as: HOST, body: { email: 'a@x.io' } });
    const first = await statusOf('reload', 'a@x.io');
    const again = await join('reload', 'a@x.io');
    assert.equal(again.body.result.status, 'admitted');
    assert.equal(again.body.result.admitted_at, first.body.result.admitted_at);
    const claims = await verifyRoomToken(again.body.result.room_token);
    assert.equal(claims.sub, 'a@x.io');
    assert.equal(claims.is_host, false);
    assert.notEqual(again.body.result.room_token, first.body.result.room_token);
  });

  test('a waiting attendee joining again keeps their place (joined_at unchanged)', async () => {
    await join('keep-place', HOST);
    const first = await join('keep-place', 'w@x.io');
    const again = await join('keep-place', 'w@x.io');
    assert.equal(again.body.result.status, 'waiting');
    assert.equal(again.body.result.joined_at, first.body.result.joined_at);
  });

  test('display_name is kept from earlier joins when omitted, replaced when given', async () => {
    await join('names', HOST);
    await join('names', 'n@x.io', { display_name: 'Nina' });
    assert.equal((await join('names', 'n@x.io')).body.result.display_name, 'Nina');
    assert.equal((await join('names', 'n@x.io', { display_name: 'N.' })).body.result.display_name, 'N.');
  });

  test('null display_name and password mean "not given"', async () => {
    await join('nulls', HOST);
    await join('nulls', 'z@x.io', { display_name: 'Zoe' });
    const res = await join('nulls', 'z@x.io', { display_name: null, password: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.result.display_name, 'Zoe', 'kept, as when omitted');
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'nulls-pw', password: 'pw' } });
    await join('nulls-pw', HOST);
    expectError(await join('nulls-pw', 'z@x.io', { password: null }), 403, 'INVALID_PASSWORD');
  });

  test('the join body is optional: no body, an empty JSON object, or an empty JSON body', async () => {
    await join('no-body', HOST);
    assert.equal((await call(t.app, 'POST', api('no-body', '/join'), { as: 'a@x.io' })).status, 200);
    assert.equal((await call(t.app, 'POST', api('no-body', '/join'), { as: 'b@x.io', body: {} })).status, 200);
    const empty = await call(t.app, 'POST', api('no-body', '/join'), { as: 'c@x.io', body: '', headers: { 'content-type': 'application/json' } });
    assert.equal(empty.status, 200);
  });

  test('join validates the meeting id (videocall-rs does not; we do)', async () => {
    expectError(await join('bad.id', HOST), 400, 'INVALID_MEETING_ID');
  });

  test('join without the cookie is 401', async () => {
    expectError(await call(t.app, 'POST', api('adhoc-1', '/join')), 401, 'UNAUTHORIZED');
  });
});
