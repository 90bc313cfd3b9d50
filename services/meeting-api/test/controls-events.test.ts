import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { listEventsAfter } from '../src/events/db/events-repo';
import { api, call, expectError, startTestApp, type TestApp } from './helpers';

/** Each meeting control appends its the live-events extension events in the transaction of its change, and nothing when refused. */
let t: TestApp;
let app: FastifyInstance;
before(async () => {
  t = await startTestApp();
  app = t.app;
});
after(() => t.close());

const OWNER = 'owner@example.com';
const post = (id: string, tail: string, as: string, body?: unknown) => call(app, 'POST', api(id, tail), { as, body });

async function meeting(id: string, settings: Record<string, unknown> = {}, admitted: string[] = [], waiting: string[] = []) {
  await call(app, 'POST', '/api/v1/meetings', { as: OWNER, body: { meeting_id: id, ...settings } });
  await post(id, '/join', OWNER);
  for (const who of admitted) {
    await post(id, '/join', who);
    await post(id, '/admit', OWNER, { email: who });
  }
  for (const who of waiting) await post(id, '/join', who);
}

/** The events appended since `mark()` was called, as [type, actor, subject, payload]. */
async function recorder(roomId: string) {
  const { rows } = await t.db.query<{ id: number }>('SELECT id FROM meetings WHERE room_id = $1 AND deleted_at IS NULL', [roomId]);
  const pk = rows[0]!.id;
  let after = (await listEventsAfter(t.db, pk, 0, 10_000)).at(-1)?.seq ?? 0;
  return async () => {
    const events = await listEventsAfter(t.db, pk, after, 10_000);
    after = events.at(-1)?.seq ?? after;
    return events;
  };
}

test('PATCH appends meeting.updated with the new settings; turning the waiting room off adds one participant.admitted each', async () => {
  await meeting('ev-patch', {}, [], ['w1@x.io', 'w2@x.io']);
  const since = await recorder('ev-patch');
  await call(app, 'PATCH', api('ev-patch'), { as: OWNER, body: { locked: true } });
  const [updated, ...rest] = await since();
  assert.equal(updated!.type, 'meeting.updated');
  assert.equal(updated!.actor, OWNER);
  assert.equal((updated!.payload as { meeting: { locked: boolean } }).meeting.locked, true);
  assert.equal(rest.length, 0);

  await call(app, 'PATCH', api('ev-patch'), { as: OWNER, body: { waiting_room_enabled: false } });
  const events = await since();
  assert.deepEqual(events.map((e) => [e.type, e.subject]), [
    ['meeting.updated', null],
    ['participant.admitted', 'w1@x.io'],
    ['participant.admitted', 'w2@x.io'],
  ]);
  assert.equal((events[1]!.payload as { participant: { room_token: unknown } }).participant.room_token, null);
});

test('a join admitted at once (waiting room off) appends participant.admitted', async () => {
  await meeting('ev-direct', { waiting_room_enabled: false });
  const since = await recorder('ev-direct');
  await post('ev-direct', '/join', 'd@x.io');
  assert.deepEqual((await since()).map((e) => [e.type, e.subject]), [['participant.admitted', 'd@x.io']]);
  await post('ev-direct', '/join', 'd@x.io');
  assert.deepEqual(await since(), [], 'joining again while admitted changes nothing');
});

test('/end appends meeting.ended once', async () => {
  await meeting('ev-end', {}, ['a@x.io']);
  const since = await recorder('ev-end');
  await post('ev-end', '/end', OWNER);
  const events = await since();
  assert.deepEqual(events.map((e) => e.type), ['meeting.ended']);
  assert.equal((events[0]!.payload as { meeting: { state: string } }).meeting.state, 'ended');
  await post('ev-end', '/end', OWNER);
  assert.deepEqual(await since(), [], 'idempotent');
});

test('remove and reject append participant.removed / participant.rejected, with banned telling a ban', async () => {
  await meeting('ev-rm', {}, ['a@x.io', 'b@x.io'], ['w@x.io']);
  const since = await recorder('ev-rm');
  await post('ev-rm', '/remove', OWNER, { email: 'a@x.io', ban: true });
  await post('ev-rm', '/remove', OWNER, { email: 'b@x.io' });
  await post('ev-rm', '/reject', OWNER, { email: 'w@x.io', ban: true });
  const events = await since();
  const seen = events.map((e) => {
    const p = (e.payload as { participant: { status: string; banned: boolean } }).participant;
    return [e.type, e.subject, p.status, p.banned];
  });
  assert.deepEqual(seen, [
    ['participant.removed', 'a@x.io', 'removed', true],
    ['participant.removed', 'b@x.io', 'removed', false],
    ['participant.rejected', 'w@x.io', 'rejected', true],
  ]);
});

test('role changes and host transfers append participant.role_changed (both sides of a transfer)', async () => {
  await meeting('ev-role', {}, ['a@x.io', 'b@x.io']);
  const since = await recorder('ev-role');
  await post('ev-role', '/role', OWNER, { email: 'a@x.io', role: 'cohost' });
  await post('ev-role', '/role', OWNER, { email: 'a@x.io', role: 'cohost' });
  await post('ev-role', '/transfer-host', OWNER, { email: 'b@x.io' });
  const seen = (await since()).map((e) => [e.type, e.subject, (e.payload as { participant: { role: string } }).participant.role]);
  assert.deepEqual(seen, [
    ['participant.role_changed', 'a@x.io', 'cohost'],
    ['participant.role_changed', OWNER, 'cohost'],
    ['participant.role_changed', 'b@x.io', 'host'],
  ]);
});

test('the host leaving under transfer appends participant.left and the successor\'s participant.role_changed', async () => {
  await meeting('ev-hl', { host_leave_policy: 'transfer' }, ['a@x.io']);
  const since = await recorder('ev-hl');
  await post('ev-hl', '/leave', OWNER);
  assert.deepEqual((await since()).map((e) => [e.type, e.subject]), [
    ['participant.left', OWNER],
    ['participant.role_changed', 'a@x.io'],
  ]);
});

test('refused controls append nothing', async () => {
  await meeting('ev-refused', { max_participants: 2 }, ['a@x.io'], ['w@x.io']);
  const since = await recorder('ev-refused');
  expectError(await post('ev-refused', '/admit', OWNER, { email: 'w@x.io' }), 409, 'MEETING_FULL');
  expectError(await post('ev-refused', '/remove', OWNER, { email: OWNER }), 403, 'CANNOT_REMOVE_HOST');
  expectError(await post('ev-refused', '/end', 'a@x.io'), 403, 'NOT_HOST');
  expectError(await call(app, 'PATCH', api('ev-refused'), { as: OWNER, body: { max_participants: 1 } }), 400, 'INVALID_REQUEST');
  assert.deepEqual(await since(), []);
  await call(app, 'PATCH', api('ev-refused'), { as: OWNER, body: { locked: true } });
  assert.deepEqual((await since()).map((e) => e.type), ['meeting.updated']);
  expectError(await post('ev-refused', '/join', 'late@x.io'), 403, 'MEETING_LOCKED');
  assert.deepEqual(await since(), []);
});
