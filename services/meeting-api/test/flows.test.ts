import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, call, DEFAULT_SETTINGS, startTestApp, verifyRoomToken, type TestApp } from './helpers';

/** The usage flows of the videocall-rs meeting API, step by step. */
let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

test('Example: Complete Meeting Session, as in the spec', async () => {
  const host = 'host@example.com';
  // 1. Host creates meeting
  const created = await call(t.app, 'POST', '/api/v1/meetings', { as: host, body: { meeting_id: 'standup-2024' } });
  assert.equal(created.status, 201);
  assert.deepEqual({ ...created.body.result, created_at: 0 }, {
    meeting_id: 'standup-2024', host, created_at: 0, state: 'idle', attendees: [], has_password: false, ...DEFAULT_SETTINGS,
  });
  // 2. Host joins meeting (activates it, receives room token)
  const hostJoin = await call(t.app, 'POST', api('standup-2024', '/join'), { as: host });
  assert.equal(hostJoin.body.result.status, 'admitted');
  assert.equal(hostJoin.body.result.display_name, null);
  assert.equal((await verifyRoomToken(hostJoin.body.result.room_token)).room, 'standup-2024');
  // 4. Attendee tries to join
  const alice = await call(t.app, 'POST', api('standup-2024', '/join'), { as: 'alice@example.com', body: { display_name: 'Alice' } });
  assert.equal(alice.body.result.status, 'waiting');
  assert.equal(alice.body.result.room_token, null);
  // 5. Host checks waiting room
  const waiting = await call(t.app, 'GET', api('standup-2024', '/waiting'), { as: host });
  assert.deepEqual(waiting.body.result.waiting.map((w: { email: string; display_name: string }) => [w.email, w.display_name]), [
    ['alice@example.com', 'Alice'],
  ]);
  // 6. Host admits Alice
  const admitted = await call(t.app, 'POST', api('standup-2024', '/admit'), { as: host, body: { email: 'alice@example.com' } });
  assert.equal(admitted.body.result.status, 'admitted');
  assert.equal(admitted.body.result.room_token, null);
  // 7. Alice polls and receives her token
  const status = await call(t.app, 'GET', api('standup-2024', '/status'), { as: 'alice@example.com' });
  assert.equal(status.body.result.status, 'admitted');
  const claims = await verifyRoomToken(status.body.result.room_token);
  assert.equal(claims.sub, 'alice@example.com');
  assert.equal(claims.display_name, 'Alice');
  // 9. Participants leave; 10. host leaves (ends the meeting)
  assert.equal((await call(t.app, 'POST', api('standup-2024', '/leave'), { as: 'alice@example.com' })).body.result.status, 'left');
  assert.equal((await call(t.app, 'POST', api('standup-2024', '/leave'), { as: host })).body.result.status, 'left');
  assert.equal((await call(t.app, 'GET', api('standup-2024'), { as: host })).body.result.state, 'ended');
});

test('Ad-hoc flow: the first user to join any id becomes host with a token at once', async () => {
  const res = await call(t.app, 'POST', api('my-room', '/join'), { as: 'first@example.com' });
  assert.equal(res.body.success, true);
  assert.equal(res.body.result.status, 'admitted');
  assert.equal((await verifyRoomToken(res.body.result.room_token)).is_host, true);
});

test('Scheduled flow: create → idle; host joins; attendee waits, polls, is admitted, gets a token', async () => {
  const created = await call(t.app, 'POST', '/api/v1/meetings', { as: 'h@example.com', body: { meeting_id: 'planned' } });
  assert.equal(created.body.result.state, 'idle');
  await call(t.app, 'POST', api('planned', '/join'), { as: 'h@example.com' });
  const joined = await call(t.app, 'POST', api('planned', '/join'), { as: 'a@example.com' });
  assert.equal(joined.body.result.status, 'waiting');
  for (let i = 0; i < 3; i++) {
    const poll = await call(t.app, 'GET', api('planned', '/status'), { as: 'a@example.com' });
    assert.equal(poll.body.result.status, 'waiting');
    assert.equal(poll.body.result.room_token, null);
  }
  await call(t.app, 'POST', api('planned', '/admit'), { as: 'h@example.com', body: { email: 'a@example.com' } });
  const poll = await call(t.app, 'GET', api('planned', '/status'), { as: 'a@example.com' });
  assert.equal(poll.body.result.status, 'admitted');
  assert.equal((await verifyRoomToken(poll.body.result.room_token)).room, 'planned');
});

test('Rejected flow: a rejected attendee never receives a token', async () => {
  await call(t.app, 'POST', api('guarded', '/join'), { as: 'h@example.com' });
  await call(t.app, 'POST', api('guarded', '/join'), { as: 'x@example.com' });
  await call(t.app, 'POST', api('guarded', '/reject'), { as: 'h@example.com', body: { email: 'x@example.com' } });
  const poll = await call(t.app, 'GET', api('guarded', '/status'), { as: 'x@example.com' });
  assert.equal(poll.body.result.status, 'rejected');
  assert.equal(poll.body.result.room_token, null);
});
