import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, call, expectError, startTestApp, type TestApp } from './helpers';

/** Knocking before the host: the `early_knock` setting. */
let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const HOST = 'host@example.com';
const create = (id: string, settings: Record<string, unknown> = {}) =>
  call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: id, ...settings } });
const join = (id: string, as: string) => call(t.app, 'POST', api(id, '/join'), { as, body: {} });
const waitingOf = async (id: string) => ((await call(t.app, 'GET', api(id, '/waiting'), { as: HOST })).body.result.waiting as Array<{ email: string }>).map((w) => w.email);

describe('early_knock', () => {
  test('off (the default): joining an idle meeting is 400 MEETING_NOT_ACTIVE, as before', async () => {
    const created = await create('ek-off');
    assert.equal(created.body.result.early_knock, false);
    expectError(await join('ek-off', 'early@x.io'), 400, 'MEETING_NOT_ACTIVE');
  });

  test('on: a non-host joining an idle meeting waits (waiting room off too); the host\'s arrival admits nobody', async () => {
    const created = await create('ek-on', { early_knock: true, waiting_room_enabled: false });
    assert.equal(created.status, 201);
    assert.equal(created.body.result.early_knock, true);
    const early = await join('ek-on', 'early@x.io');
    assert.equal(early.status, 200);
    assert.equal(early.body.result.status, 'waiting');
    assert.equal(early.body.result.room_token, null);
    // Knocking again keeps the place.
    assert.equal((await join('ek-on', 'early@x.io')).body.result.status, 'waiting');
    const info = await call(t.app, 'GET', api('ek-on'), { as: 'early@x.io' });
    assert.equal(info.body.result.state, 'idle');
    assert.equal(info.body.result.your_status.status, 'waiting');

    const host = await join('ek-on', HOST);
    assert.equal(host.body.result.status, 'admitted');
    assert.equal((await call(t.app, 'GET', api('ek-on'), { as: HOST })).body.result.state, 'active');
    assert.equal((await call(t.app, 'GET', api('ek-on', '/status'), { as: 'early@x.io' })).body.result.status, 'waiting', 'nobody admitted by the host arriving');
    assert.deepEqual(await waitingOf('ek-on'), ['early@x.io']);
    // A join once active follows the settings (waiting room off: admitted at once).
    assert.equal((await join('ek-on', 'late@x.io')).body.result.status, 'admitted');
    const admitted = await call(t.app, 'POST', api('ek-on', '/admit'), { as: HOST, body: { email: 'early@x.io' } });
    assert.equal(admitted.body.result.status, 'admitted');
    assert.equal(typeof (await call(t.app, 'GET', api('ek-on', '/status'), { as: 'early@x.io' })).body.result.room_token, 'string');
  });

  test('on: after the meeting ended, people knock again; bans still apply; PATCH turns it off', async () => {
    await create('ek-ended', { early_knock: true });
    await join('ek-ended', HOST);
    await join('ek-ended', 'a@x.io');
    await call(t.app, 'POST', api('ek-ended', '/admit'), { as: HOST, body: { email: 'a@x.io' } });
    await join('ek-ended', 'b@x.io');
    await call(t.app, 'POST', api('ek-ended', '/reject'), { as: HOST, body: { email: 'b@x.io', ban: true } });
    await call(t.app, 'POST', api('ek-ended', '/leave'), { as: HOST });
    assert.equal((await call(t.app, 'GET', api('ek-ended'), { as: HOST })).body.result.state, 'ended');

    const again = await join('ek-ended', 'a@x.io');
    assert.equal(again.body.result.status, 'waiting');
    assert.equal(again.body.result.room_token, null);
    expectError(await join('ek-ended', 'b@x.io'), 403, 'PARTICIPANT_BANNED');

    const patched = await call(t.app, 'PATCH', api('ek-ended'), { as: HOST, body: { early_knock: false } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.result.early_knock, false);
    expectError(await join('ek-ended', 'c@x.io'), 400, 'MEETING_NOT_ACTIVE');
    expectError(await call(t.app, 'PATCH', api('ek-ended'), { as: HOST, body: { early_knock: 'yes' } }), 400, 'INVALID_REQUEST');
  });
});
