import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, call, DEFAULT_SETTINGS, expectError, hostStarts, SETTINGS_FIELDS, startTestApp, summaryOf, type TestApp } from './helpers';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const HOST = 'host@example.com';

describe('POST /api/v1/meetings', () => {
  test('creates an idle meeting owned by the caller with every documented field', async () => {
    const res = await call(t.app, 'POST', '/api/v1/meetings', {
      as: HOST,
      body: { meeting_id: 'my-meeting', attendees: ['user@example.com'], password: 'secret123' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.success, true);
    const r = res.body.result;
    assert.deepEqual(Object.keys(r).sort(), ['attendees', 'created_at', 'has_password', 'host', 'meeting_id', 'state', ...SETTINGS_FIELDS].sort());
    assert.equal(r.meeting_id, 'my-meeting');
    assert.equal(r.host, HOST);
    assert.equal(r.state, 'idle');
    assert.deepEqual(r.attendees, ['user@example.com']);
    assert.equal(r.has_password, true);
    assert.ok(Number.isInteger(r.created_at) && Math.abs(r.created_at - Date.now() / 1000) < 60, 'created_at is Unix seconds');
    assert.ok(!res.raw.body.includes('secret123'), 'the password is never echoed');
  });

  test('without a body field set, attendees is [] and has_password is false', async () => {
    const res = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'plain-one' } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.result.attendees, []);
    assert.equal(res.body.result.has_password, false);
  });

  test('an empty password means no password', async () => {
    const res = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'empty-pw', password: '' } });
    assert.equal(res.body.result.has_password, false);
    const join = await call(t.app, 'POST', api('empty-pw', '/join'), { as: HOST });
    assert.equal(join.status, 200);
    const guest = await call(t.app, 'POST', api('empty-pw', '/join'), { as: 'guest@example.com' });
    assert.equal(guest.body.result.status, 'waiting');
  });

  test('null optional fields mean "not given", as videocall-rs clients send them', async () => {
    const res = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: null, attendees: null, password: null } });
    assert.equal(res.status, 201);
    assert.match(res.body.result.meeting_id, /^[a-z0-9]{12}$/);
    assert.deepEqual(res.body.result.attendees, []);
    assert.equal(res.body.result.has_password, false);
  });

  test('omitting meeting_id generates 12 characters of [a-z0-9]', async () => {
    const res = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: {} });
    assert.equal(res.status, 201);
    assert.match(res.body.result.meeting_id, /^[a-z0-9]{12}$/);
  });

  test('pre-registered attendees are stored as given and not admitted', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'pre-reg', attendees: ['a@x.io', 'B@X.io'] } });
    await hostStarts(t.app, 'pre-reg');
    const joined = await call(t.app, 'POST', api('pre-reg', '/join'), { as: 'a@x.io' });
    assert.equal(joined.body.result.status, 'waiting');
  });

  test('the same id twice is 409 MEETING_EXISTS, even for the same owner and after it ended', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'dup-id' } });
    const again = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'dup-id' } });
    assert.equal(expectError(again, 409, 'MEETING_EXISTS'), "Meeting with ID 'dup-id' already exists");
    const other = await call(t.app, 'POST', '/api/v1/meetings', { as: 'other@example.com', body: { meeting_id: 'dup-id' } });
    expectError(other, 409, 'MEETING_EXISTS');
    await hostStarts(t.app, 'dup-id');
    await call(t.app, 'POST', api('dup-id', '/leave'), { as: HOST });
    assert.equal((await summaryOf(t.app, 'dup-id'))?.state, 'ended');
    expectError(await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'dup-id' } }), 409, 'MEETING_EXISTS');
  });

  test('more than 100 attendees is TOO_MANY_ATTENDEES; exactly 100 is fine', async () => {
    const many = Array.from({ length: 101 }, (_, i) => `p${i}@x.io`);
    const res = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'big', attendees: many } });
    assert.equal(expectError(res, 400, 'TOO_MANY_ATTENDEES'), 'Too many attendees: 101 provided, maximum is 100');
    const ok = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'big', attendees: many.slice(0, 100) } });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.result.attendees.length, 100);
  });

  test('an invalid id is INVALID_MEETING_ID saying why', async () => {
    const res = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'bad id!' } });
    assert.match(expectError(res, 400, 'INVALID_MEETING_ID'), /^Invalid meeting ID: /);
    expectError(await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: '' } }), 400, 'INVALID_MEETING_ID');
  });

  test('without the email cookie it is 401 UNAUTHORIZED with the documented message', async () => {
    const res = await call(t.app, 'POST', '/api/v1/meetings', { body: { meeting_id: 'nope' } });
    assert.equal(expectError(res, 401, 'UNAUTHORIZED'), 'Authentication required. Please provide email cookie.');
  });
});

describe('GET /api/v1/meetings/{id}', () => {
  test("shows the meeting with your_status null for someone who never joined (without the owner's email)", async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'info-1', password: 'pw' } });
    const res = await call(t.app, 'GET', api('info-1'), { as: 'stranger@example.com' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, {
      meeting_id: 'info-1',
      state: 'idle',
      host: '',
      host_display_name: null,
      has_password: true,
      ...DEFAULT_SETTINGS,
      your_status: null,
    });
  });

  test("shows the caller's own row with room_token null, and the host's cached display name", async () => {
    await hostStarts(t.app, 'info-2', HOST, { display_name: 'Alice' });
    await call(t.app, 'POST', api('info-2', '/join'), { as: 'bob@example.com', body: { display_name: 'Bob' } });
    const res = await call(t.app, 'GET', api('info-2'), { as: 'bob@example.com' });
    assert.equal(res.body.result.state, 'active');
    assert.equal(res.body.result.host_display_name, 'Alice');
    const you = res.body.result.your_status;
    assert.equal(you.email, 'bob@example.com');
    assert.equal(you.display_name, 'Bob');
    assert.equal(you.status, 'waiting');
    assert.equal(you.room_token, null);
    const host = await call(t.app, 'GET', api('info-2'), { as: HOST });
    assert.equal(host.body.result.your_status.status, 'admitted');
    assert.equal(host.body.result.your_status.room_token, null, 'tokens only via join or status');
  });

  test('an unknown meeting is 404 MEETING_NOT_FOUND', async () => {
    const res = await call(t.app, 'GET', api('no-such'), { as: HOST });
    assert.equal(expectError(res, 404, 'MEETING_NOT_FOUND'), "Meeting 'no-such' not found");
  });

  test('without the cookie it is 401', async () => {
    expectError(await call(t.app, 'GET', api('info-1')), 401, 'UNAUTHORIZED');
  });
});

describe('GET /api/v1/meetings', () => {
  const OWNER = 'lister@example.com';
  before(async () => {
    for (let i = 0; i < 5; i++) {
      await call(t.app, 'POST', '/api/v1/meetings', { as: OWNER, body: { meeting_id: `list-${i}` } });
    }
    await call(t.app, 'POST', '/api/v1/meetings', { as: 'someone-else@example.com', body: { meeting_id: 'list-foreign' } });
  });

  test("lists only the caller's meetings, newest first, with total ignoring paging", async () => {
    const res = await call(t.app, 'GET', '/api/v1/meetings', { as: OWNER });
    assert.equal(res.status, 200);
    const r = res.body.result;
    assert.equal(r.total, 5);
    assert.equal(r.limit, 20);
    assert.equal(r.offset, 0);
    assert.deepEqual(r.meetings.map((m: { meeting_id: string }) => m.meeting_id), ['list-4', 'list-3', 'list-2', 'list-1', 'list-0']);
    const first = r.meetings[0];
    assert.deepEqual(Object.keys(first).sort(), [
      'created_at', 'ended_at', 'has_password', 'host', 'meeting_id', 'participant_count', 'started_at', 'state', 'waiting_count',
      ...SETTINGS_FIELDS,
    ].sort());
    assert.equal(first.ended_at, null);
    assert.ok(Number.isInteger(first.started_at), 'started_at is always a number');
  });

  test('pages with limit and offset', async () => {
    const page = await call(t.app, 'GET', '/api/v1/meetings?limit=2&offset=1', { as: OWNER });
    assert.deepEqual(page.body.result.meetings.map((m: { meeting_id: string }) => m.meeting_id), ['list-3', 'list-2']);
    assert.equal(page.body.result.total, 5);
    const past = await call(t.app, 'GET', '/api/v1/meetings?offset=50', { as: OWNER });
    assert.deepEqual(past.body.result.meetings, []);
    assert.equal(past.body.result.total, 5);
  });

  test('out-of-range limit and offset are clamped, never an error', async () => {
    const low = await call(t.app, 'GET', '/api/v1/meetings?limit=0&offset=-5', { as: OWNER });
    assert.equal(low.status, 200);
    assert.equal(low.body.result.limit, 1);
    assert.equal(low.body.result.offset, 0);
    assert.equal(low.body.result.meetings.length, 1);
    const high = await call(t.app, 'GET', '/api/v1/meetings?limit=500', { as: OWNER });
    assert.equal(high.body.result.limit, 100);
    const negative = await call(t.app, 'GET', '/api/v1/meetings?limit=-3', { as: OWNER });
    assert.equal(negative.body.result.limit, 1);
    const far = await call(t.app, 'GET', '/api/v1/meetings?offset=100000000000000000000', { as: OWNER });
    assert.equal(far.status, 200, 'an offset past bigint is an empty page, not an error');
    assert.deepEqual(far.body.result.meetings, []);
    assert.equal(far.body.result.total, 5);
  });

  test('non-numeric paging is 400 INVALID_REQUEST', async () => {
    expectError(await call(t.app, 'GET', '/api/v1/meetings?limit=abc', { as: OWNER }), 400, 'INVALID_REQUEST');
    expectError(await call(t.app, 'GET', '/api/v1/meetings?offset=1.5', { as: OWNER }), 400, 'INVALID_REQUEST');
  });

  test('counts admitted (host included) and waiting participants; ended meetings stay listed', async () => {
    const owner = 'counter@example.com';
    await hostStarts(t.app, 'count-me', owner);
    for (const who of ['a', 'b', 'c']) await call(t.app, 'POST', api('count-me', '/join'), { as: `${who}@x.io` });
    await call(t.app, 'POST', api('count-me', '/admit'), { as: owner, body: { email: 'a@x.io' } });
    let summary = await summaryOf(t.app, 'count-me', owner);
    assert.equal(summary?.participant_count, 2);
    assert.equal(summary?.waiting_count, 2);
    assert.equal(summary?.state, 'active');
    await call(t.app, 'POST', api('count-me', '/leave'), { as: owner });
    summary = await summaryOf(t.app, 'count-me', owner);
    assert.equal(summary?.state, 'ended');
    assert.ok(Number.isInteger(summary?.ended_at), 'ended_at is set once ended');
  });

  test('without the cookie it is 401', async () => {
    expectError(await call(t.app, 'GET', '/api/v1/meetings'), 401, 'UNAUTHORIZED');
  });
});

describe('DELETE /api/v1/meetings/{id}', () => {
  test('the owner soft-deletes; it leaves the list and GET says not found', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'del-1' } });
    const res = await call(t.app, 'DELETE', api('del-1'), { as: HOST });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, { message: "Meeting 'del-1' has been deleted" });
    assert.equal(await summaryOf(t.app, 'del-1'), undefined);
    expectError(await call(t.app, 'GET', api('del-1'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
    expectError(await call(t.app, 'DELETE', api('del-1'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
  });

  test('someone else gets 403 NOT_OWNER; an unknown id is 404 before 403', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'del-2' } });
    expectError(await call(t.app, 'DELETE', api('del-2'), { as: 'intruder@example.com' }), 403, 'NOT_OWNER');
    expectError(await call(t.app, 'DELETE', api('never-existed'), { as: 'intruder@example.com' }), 404, 'MEETING_NOT_FOUND');
    assert.ok(await summaryOf(t.app, 'del-2'), 'still there');
  });

  test('after deletion the id is free for anyone, by create or join, and old participants do not carry over', async () => {
    await hostStarts(t.app, 'reuse-me');
    await call(t.app, 'POST', api('reuse-me', '/join'), { as: 'old@x.io' });
    await call(t.app, 'DELETE', api('reuse-me'), { as: HOST });
    const created = await call(t.app, 'POST', '/api/v1/meetings', { as: 'new-owner@x.io', body: { meeting_id: 'reuse-me' } });
    assert.equal(created.status, 201);
    assert.equal(created.body.result.host, 'new-owner@x.io');
    expectError(await call(t.app, 'GET', api('reuse-me', '/status'), { as: 'old@x.io' }), 404, 'NOT_IN_MEETING');

    await call(t.app, 'DELETE', api('reuse-me'), { as: 'new-owner@x.io' });
    const joined = await call(t.app, 'POST', api('reuse-me', '/join'), { as: 'joiner@x.io' });
    assert.equal(joined.body.result.is_host, true, 'joining a deleted id creates a new meeting with the joiner as host');
    assert.equal((await call(t.app, 'GET', api('reuse-me'), { as: 'joiner@x.io' })).body.result.host, 'joiner@x.io');
  });

  test('without the cookie it is 401', async () => {
    expectError(await call(t.app, 'DELETE', api('del-2')), 401, 'UNAUTHORIZED');
  });
});
