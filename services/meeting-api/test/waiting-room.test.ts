import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, call, expectError, hostStarts, startTestApp, type TestApp } from './helpers';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const HOST = 'host@example.com';
const join = (id: string, as: string, body?: unknown) => call(t.app, 'POST', api(id, '/join'), { as, body });
const admit = (id: string, as: string, email: string) => call(t.app, 'POST', api(id, '/admit'), { as, body: { email } });
const reject = (id: string, as: string, email: string) => call(t.app, 'POST', api(id, '/reject'), { as, body: { email } });

describe('GET /waiting', () => {
  test('lists waiting participants ordered by joined_at then email, tokens null', async () => {
    await hostStarts(t.app, 'wr-1');
    for (const who of ['zed@x.io', 'amy@x.io', 'kim@x.io']) await join('wr-1', who, { display_name: who.slice(0, 3) });
    const res = await call(t.app, 'GET', api('wr-1', '/waiting'), { as: HOST });
    assert.equal(res.status, 200);
    assert.equal(res.body.result.meeting_id, 'wr-1');
    const waiting = res.body.result.waiting as Array<{ email: string; joined_at: number; room_token: unknown; status: string }>;
    assert.equal(waiting.length, 3);
    for (let i = 1; i < waiting.length; i++) assert.ok(waiting[i - 1]!.joined_at <= waiting[i]!.joined_at);
    // Joined one after another, so joined_at order (sub-second in the database) is the join order.
    assert.deepEqual(waiting.map((w) => w.email), ['zed@x.io', 'amy@x.io', 'kim@x.io']);
    assert.ok(waiting.every((w) => w.room_token === null && w.status === 'waiting'));
  });

  test('an admitted non-host participant may view it; a waiting one or a stranger gets NOT_HOST', async () => {
    await hostStarts(t.app, 'wr-2');
    await join('wr-2', 'helper@x.io');
    await join('wr-2', 'queued@x.io');
    expectError(await call(t.app, 'GET', api('wr-2', '/waiting'), { as: 'queued@x.io' }), 403, 'NOT_HOST');
    expectError(await call(t.app, 'GET', api('wr-2', '/waiting'), { as: 'stranger@x.io' }), 403, 'NOT_HOST');
    await admit('wr-2', HOST, 'helper@x.io');
    const res = await call(t.app, 'GET', api('wr-2', '/waiting'), { as: 'helper@x.io' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result.waiting.map((w: { email: string }) => w.email), ['queued@x.io']);
  });

  test('an unknown meeting is 404 MEETING_NOT_FOUND before any 403', async () => {
    expectError(await call(t.app, 'GET', api('wr-none', '/waiting'), { as: 'stranger@x.io' }), 404, 'MEETING_NOT_FOUND');
  });

  test('without the cookie it is 401', async () => {
    expectError(await call(t.app, 'GET', api('wr-1', '/waiting')), 401, 'UNAUTHORIZED');
  });
});

describe('POST /admit and /reject', () => {
  test('admit moves a waiting participant to admitted; the admitter gets room_token null', async () => {
    await hostStarts(t.app, 'ad-1');
    await join('ad-1', 'bob@x.io', { display_name: 'Bob' });
    const res = await admit('ad-1', HOST, 'bob@x.io');
    assert.equal(res.status, 200);
    const r = res.body.result;
    assert.equal(r.email, 'bob@x.io');
    assert.equal(r.display_name, 'Bob');
    assert.equal(r.status, 'admitted');
    assert.equal(r.is_host, false);
    assert.ok(Number.isInteger(r.admitted_at));
    assert.equal(r.room_token, null);
    const status = await call(t.app, 'GET', api('ad-1', '/status'), { as: 'bob@x.io' });
    assert.equal(typeof status.body.result.room_token, 'string', 'the token goes to the participant on their next poll');
  });

  test('any admitted participant can admit others', async () => {
    await hostStarts(t.app, 'ad-2');
    await join('ad-2', 'first@x.io');
    await join('ad-2', 'second@x.io');
    await admit('ad-2', HOST, 'first@x.io');
    assert.equal((await admit('ad-2', 'first@x.io', 'second@x.io')).body.result.status, 'admitted');
  });

  test('admit/reject only move someone waiting: unknown, admitted, rejected or left → PARTICIPANT_NOT_FOUND', async () => {
    await hostStarts(t.app, 'ad-3');
    expectError(await admit('ad-3', HOST, 'ghost@x.io'), 404, 'PARTICIPANT_NOT_FOUND');
    expectError(await reject('ad-3', HOST, 'ghost@x.io'), 404, 'PARTICIPANT_NOT_FOUND');
    expectError(await admit('ad-3', HOST, HOST), 404, 'PARTICIPANT_NOT_FOUND');
    await join('ad-3', 'once@x.io');
    await admit('ad-3', HOST, 'once@x.io');
    expectError(await admit('ad-3', HOST, 'once@x.io'), 404, 'PARTICIPANT_NOT_FOUND');
    expectError(await reject('ad-3', HOST, 'once@x.io'), 404, 'PARTICIPANT_NOT_FOUND');
    await join('ad-3', 'nope@x.io');
    await reject('ad-3', HOST, 'nope@x.io');
    expectError(await admit('ad-3', HOST, 'nope@x.io'), 404, 'PARTICIPANT_NOT_FOUND');
    await join('ad-3', 'gone@x.io');
    await call(t.app, 'POST', api('ad-3', '/leave'), { as: 'gone@x.io' });
    expectError(await admit('ad-3', HOST, 'gone@x.io'), 404, 'PARTICIPANT_NOT_FOUND');
  });

  test('reject moves a waiting participant to rejected, who then never gets a token', async () => {
    await hostStarts(t.app, 'rj-1');
    await join('rj-1', 'eve@x.io', { display_name: 'Eve' });
    const res = await reject('rj-1', HOST, 'eve@x.io');
    assert.equal(res.status, 200);
    assert.equal(res.body.result.status, 'rejected');
    assert.equal(res.body.result.admitted_at, null);
    assert.equal(res.body.result.room_token, null);
    const status = await call(t.app, 'GET', api('rj-1', '/status'), { as: 'eve@x.io' });
    assert.equal(status.body.result.status, 'rejected');
    assert.equal(status.body.result.room_token, null);
  });

  test('check order: meeting exists (404) → caller admitted (403) → target (404)', async () => {
    expectError(await admit('ad-missing', 'x@x.io', 'y@x.io'), 404, 'MEETING_NOT_FOUND');
    expectError(await reject('ad-missing', 'x@x.io', 'y@x.io'), 404, 'MEETING_NOT_FOUND');
    await hostStarts(t.app, 'ad-4');
    expectError(await admit('ad-4', 'stranger@x.io', 'ghost@x.io'), 403, 'NOT_HOST');
    expectError(await reject('ad-4', 'stranger@x.io', 'ghost@x.io'), 403, 'NOT_HOST');
    await join('ad-4', 'waiter@x.io');
    expectError(await admit('ad-4', 'waiter@x.io', 'waiter@x.io'), 403, 'NOT_HOST');
  });

  test('a missing or empty email in the body is 400 INVALID_REQUEST; no cookie is 401', async () => {
    await hostStarts(t.app, 'ad-5');
    expectError(await call(t.app, 'POST', api('ad-5', '/admit'), { as: HOST, body: {} }), 400, 'INVALID_REQUEST');
    expectError(await call(t.app, 'POST', api('ad-5', '/reject'), { as: HOST, body: { email: '' } }), 400, 'INVALID_REQUEST');
    expectError(await call(t.app, 'POST', api('ad-5', '/admit'), { body: { email: 'a@x.io' } }), 401, 'UNAUTHORIZED');
  });
});

describe('POST /admit-all', () => {
  test('admits everyone waiting, in joined_at order, with tokens null', async () => {
    await hostStarts(t.app, 'aa-1');
    await join('aa-1', 'bob@x.io', { display_name: 'Bob' });
    await join('aa-1', 'charlie@x.io', { display_name: 'Charlie' });
    await join('aa-1', 'rejected@x.io');
    await reject('aa-1', HOST, 'rejected@x.io');
    const res = await call(t.app, 'POST', api('aa-1', '/admit-all'), { as: HOST });
    assert.equal(res.status, 200);
    assert.equal(res.body.result.admitted_count, 2);
    const admitted = res.body.result.admitted as Array<Record<string, unknown>>;
    assert.deepEqual(admitted.map((p) => p.email), ['bob@x.io', 'charlie@x.io']);
    assert.ok(admitted.every((p) => p.status === 'admitted' && p.room_token === null && Number.isInteger(p.admitted_at)));
    const status = await call(t.app, 'GET', api('aa-1', '/status'), { as: 'rejected@x.io' });
    assert.equal(status.body.result.status, 'rejected', 'only the waiting are admitted');
    const waiting = await call(t.app, 'GET', api('aa-1', '/waiting'), { as: HOST });
    assert.deepEqual(waiting.body.result.waiting, []);
  });

  test('an empty waiting room gives admitted_count 0 and an empty list', async () => {
    await hostStarts(t.app, 'aa-2');
    const res = await call(t.app, 'POST', api('aa-2', '/admit-all'), { as: HOST });
    assert.deepEqual(res.body.result, { admitted_count: 0, admitted: [] });
  });

  test('404 for an unknown meeting, 403 NOT_HOST for a non-admitted caller, 401 without cookie', async () => {
    expectError(await call(t.app, 'POST', api('aa-none', '/admit-all'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
    await hostStarts(t.app, 'aa-3');
    await join('aa-3', 'w@x.io');
    expectError(await call(t.app, 'POST', api('aa-3', '/admit-all'), { as: 'w@x.io' }), 403, 'NOT_HOST');
    expectError(await call(t.app, 'POST', api('aa-3', '/admit-all')), 401, 'UNAUTHORIZED');
  });
});
