import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CallerKind } from 'meeting-types';
import { identifyByEmailCookie, type IdentifyCaller } from '../src/plugins/caller';
import { api, call, expectError, hostStarts, startTestApp, type TestApp } from './helpers';

/** The audit trail: every event of every creation of a meeting id, with actor, time and instance, for those who may read it. */
const ADMIN = 'admin@example.com';
const HOST = 'host@example.com';
const COHOST = 'co@example.com';
const ATTENDEE = 'att@example.com';
const OTHER = 'other@example.com';

const identifyWithKeys: IdentifyCaller = (request) => {
  const key = request.headers['x-test-key'];
  if (typeof key === 'string') return { id: `app:${key}`, name: null, kind: 'app' as CallerKind, sid: null, expiresAt: null, ambient: false };
  return ({ id: identifyByEmailCookie(request), name: null, kind: 'email-cookie', sid: null, expiresAt: null, ambient: true });
};

let t: TestApp;
before(async () => {
  t = await startTestApp({ config: { adminEmails: [ADMIN] }, deps: { identifyCaller: identifyWithKeys } });
  // Instance 1 of `aud`: created by a key on behalf of HOST; a co-host, an attendee, a rejected knock, an end.
  assert.equal((await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'aud' } })).status, 201);
  await t.db.query(`UPDATE meetings SET created_by_key_id = 'k1' WHERE room_id = 'aud'`);
  await hostStarts(t.app, 'aud', HOST);
  for (const who of [COHOST, ATTENDEE, OTHER]) await call(t.app, 'POST', api('aud', '/join'), { as: who });
  await call(t.app, 'POST', api('aud', '/admit'), { as: HOST, body: { email: COHOST } });
  await call(t.app, 'POST', api('aud', '/admit'), { as: HOST, body: { email: ATTENDEE } });
  await call(t.app, 'POST', api('aud', '/reject'), { as: HOST, body: { email: OTHER } });
  assert.equal((await call(t.app, 'POST', api('aud', '/role'), { as: HOST, body: { email: COHOST, role: 'cohost' } })).status, 200);
  // The co-host goes back to attendee: having been co-host still lets them read this instance.
  assert.equal((await call(t.app, 'POST', api('aud', '/role'), { as: HOST, body: { email: COHOST, role: 'attendee' } })).status, 200);
  assert.equal((await call(t.app, 'POST', api('aud', '/end'), { as: HOST })).status, 200);
  assert.equal((await call(t.app, 'DELETE', api('aud'), { as: HOST })).status, 200);
  // Instance 2: the same id, created and hosted by OTHER.
  assert.equal((await call(t.app, 'POST', '/api/v1/meetings', { as: OTHER, body: { meeting_id: 'aud' } })).status, 201);
  await hostStarts(t.app, 'aud', OTHER);
});
after(() => t.close());

async function allPages(as: { as?: string; headers?: Record<string, string> }, limit: number) {
  const events: Array<Record<string, any>> = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const res = await call(t.app, 'GET', `${api('aud', '/audit')}?limit=${limit}${after ? `&after=${after}` : ''}`, as);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.result.events.length <= limit);
    events.push(...res.body.result.events);
    after = res.body.result.next_after;
    if (after === null) return events;
  }
  throw new Error('no end of pages');
}

test('the owner reads every event of their instance in order, with actor, time and instance; decisions name who made them', async () => {
  const events = await allPages({ as: HOST }, 500);
  assert.ok(events.length >= 9);
  assert.ok(events.every((e) => e.instance === 1 && e.meeting_id === 'aud' && typeof e.occurred_at === 'number' && 'actor' in e));
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  const admit = events.find((e) => e.type === 'participant.admitted' && e.participant.email === COHOST);
  assert.equal(admit?.actor, HOST);
  const reject = events.find((e) => e.type === 'participant.rejected');
  assert.equal(reject?.actor, HOST);
  assert.equal(reject?.participant.email, OTHER);
  assert.ok(events.some((e) => e.type === 'participant.role_changed' && e.actor === HOST && e.participant.role === 'cohost'));
  assert.ok(events.some((e) => e.type === 'meeting.ended' && e.actor === HOST));
  assert.ok(events.some((e) => e.type === 'meeting.deleted' && e.actor === HOST));
});

test('pages of any size join up to the same list', async () => {
  const whole = await allPages({ as: ADMIN }, 500);
  assert.deepEqual(await allPages({ as: ADMIN }, 2), whole);
  assert.deepEqual(await allPages({ as: ADMIN }, 1), whole);
});

test('each reader sees the instances where they were owner, host or co-host; admins and the creating key all they may', async () => {
  const instances = async (as: { as?: string; headers?: Record<string, string> }) => [...new Set((await allPages(as, 500)).map((e) => e.instance))];
  assert.deepEqual(await instances({ as: ADMIN }), [1, 2]);
  assert.deepEqual(await instances({ as: HOST }), [1]);
  assert.deepEqual(await instances({ as: COHOST }), [1]);
  // Rejected in instance 1, owner and host of instance 2.
  assert.deepEqual(await instances({ as: OTHER }), [2]);
  assert.deepEqual(await instances({ headers: { 'x-test-key': 'k1' } }), [1]);
});

test('anyone else gets 404 MEETING_NOT_FOUND, as for a meeting id that never existed', async () => {
  expectError(await call(t.app, 'GET', api('aud', '/audit'), { as: ATTENDEE }), 404, 'MEETING_NOT_FOUND');
  expectError(await call(t.app, 'GET', api('aud', '/audit'), { as: 'stranger@example.com' }), 404, 'MEETING_NOT_FOUND');
  expectError(await call(t.app, 'GET', api('aud', '/audit'), { headers: { 'x-test-key': 'k2' } }), 404, 'MEETING_NOT_FOUND');
  expectError(await call(t.app, 'GET', api('never-was', '/audit'), { as: ADMIN }), 404, 'MEETING_NOT_FOUND');
  expectError(await call(t.app, 'GET', api('aud', '/audit')), 401, 'UNAUTHORIZED');
});

test('bad paging is INVALID_REQUEST; a bad id INVALID_MEETING_ID', async () => {
  for (const q of ['limit=0', 'limit=501', 'limit=x', 'after=garbage', 'after=1.2.3']) {
    expectError(await call(t.app, 'GET', `${api('aud', '/audit')}?${q}`, { as: HOST }), 400, 'INVALID_REQUEST');
  }
  expectError(await call(t.app, 'GET', api('bad id!', '/audit'), { as: HOST }), 400, 'INVALID_MEETING_ID');
});
