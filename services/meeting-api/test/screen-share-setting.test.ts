import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { listEventsAfter } from '../src/events/db/events-repo';
import { api, call, expectError, startTestApp, type TestApp } from './helpers';

/** The `multiple_screen_shares` setting: one sharer at a time unless the host allows more. */
let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const HOST = 'host@example.com';

test('multiple_screen_shares is off by default, set at creation, changed by PATCH (meeting.updated) and only by a host', async () => {
  const created = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'share-default' } });
  assert.equal(created.status, 201);
  assert.equal(created.body.result.multiple_screen_shares, false);

  const on = await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'share-on', multiple_screen_shares: true } });
  assert.equal(on.body.result.multiple_screen_shares, true);

  const patched = await call(t.app, 'PATCH', api('share-default'), { as: HOST, body: { multiple_screen_shares: true } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.result.multiple_screen_shares, true);
  const read = await call(t.app, 'GET', api('share-default'), { as: HOST });
  assert.equal(read.body.result.multiple_screen_shares, true);
  const { rows } = await t.db.query<{ id: number }>('SELECT id FROM meetings WHERE room_id = $1 AND deleted_at IS NULL', ['share-default']);
  const events = await listEventsAfter(t.db, rows[0]!.id, 0, 1000);
  const updated = events.filter((e) => e.type === 'meeting.updated').at(-1);
  assert.equal((updated?.payload as { meeting: { multiple_screen_shares: boolean } }).meeting.multiple_screen_shares, true);

  expectError(await call(t.app, 'PATCH', api('share-default'), { as: HOST, body: { multiple_screen_shares: 'yes' } }), 400, 'INVALID_REQUEST');
  // An attendee may not change it.
  await call(t.app, 'POST', api('share-default', '/join'), { as: HOST, body: {} });
  await call(t.app, 'PATCH', api('share-default'), { as: HOST, body: { waiting_room_enabled: false } });
  await call(t.app, 'POST', api('share-default', '/join'), { as: 'ann@example.com', body: {} });
  expectError(await call(t.app, 'PATCH', api('share-default'), { as: 'ann@example.com', body: { multiple_screen_shares: false } }), 403, 'NOT_HOST');
});
