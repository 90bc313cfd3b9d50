import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { api, call, DEFAULT_SETTINGS, expectError, startTestApp, summaryOf, verifyRoomToken, type TestApp } from './helpers';

/** the meeting-controls extension, row by row, through the HTTP layer. */
let t: TestApp;
let app: FastifyInstance;
before(async () => {
  t = await startTestApp();
  app = t.app;
});
after(() => t.close());

const OWNER = 'owner@example.com';
/** Guest identities as the sign-in work issues them (the sign-in extension). */
const GUEST = 'guest-0123456789abcdef';

const join = (id: string, as: string, body?: unknown) => call(app, 'POST', api(id, '/join'), { as, body });
const statusOf = (id: string, as: string) => call(app, 'GET', api(id, '/status'), { as });
const info = (id: string, as = OWNER) => call(app, 'GET', api(id), { as });
const patch = (id: string, body: unknown, as = OWNER) => call(app, 'PATCH', api(id), { as, body });
const post = (id: string, tail: string, as: string, body?: unknown) => call(app, 'POST', api(id, tail), { as, body });
const participants = async (id: string) =>
  (await call(app, 'GET', api(id, '/participants'), { as: OWNER })).body.result as Array<{ email: string; role: string; is_host: boolean }>;

/** Creates `id` with `settings`, the owner joins as host, `admitted` are admitted in order, `waiting` wait. */
async function meeting(id: string, options: { settings?: Record<string, unknown>; admitted?: string[]; waiting?: string[] } = {}) {
  const created = await call(app, 'POST', '/api/v1/meetings', { as: OWNER, body: { meeting_id: id, ...options.settings } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal((await join(id, OWNER)).status, 200);
  for (const who of options.admitted ?? []) {
    await join(id, who);
    const admitted = await post(id, '/admit', OWNER, { email: who });
    assert.equal(admitted.status, 200, JSON.stringify(admitted.body));
  }
  for (const who of options.waiting ?? []) assert.equal((await join(id, who)).body.result.status, 'waiting');
}

describe('settings', () => {
  const chosen = {
    waiting_room_enabled: false,
    admit_policy: 'hosts',
    host_leave_policy: 'transfer',
    locked: true,
    max_participants: 25,
    allow_guests: true,
    early_knock: true,
    multiple_screen_shares: true,
  };

  test('given on create, they come back in the create response, the meeting info and the list summary', async () => {
    const created = await call(app, 'POST', '/api/v1/meetings', { as: OWNER, body: { meeting_id: 'set-create', ...chosen } });
    assert.equal(created.status, 201);
    assert.deepEqual({ ...created.body.result, created_at: 0 }, {
      meeting_id: 'set-create', host: OWNER, created_at: 0, state: 'idle', attendees: [], has_password: false, ...chosen,
    });
    const got = (await info('set-create')).body.result;
    for (const [key, value] of Object.entries(chosen)) assert.equal(got[key], value, key);
    const summary = await summaryOf(app, 'set-create', OWNER);
    for (const [key, value] of Object.entries(chosen)) assert.equal(summary?.[key], value, key);
  });

  test('null on create means "not given": the defaults', async () => {
    const nulls = Object.fromEntries(Object.keys(DEFAULT_SETTINGS).map((k) => [k, null]));
    const created = await call(app, 'POST', '/api/v1/meetings', { as: OWNER, body: { meeting_id: 'set-nulls', ...nulls } });
    assert.equal(created.status, 201);
    for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) assert.equal(created.body.result[key], value, key);
  });

  test('PATCH changes any subset, leaves the rest, and answers with the meeting info', async () => {
    await meeting('set-patch');
    const res = await patch('set-patch', { locked: true, max_participants: 12 });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.result, {
      ...(await info('set-patch')).body.result,
    });
    assert.equal(res.body.result.locked, true);
    assert.equal(res.body.result.max_participants, 12);
    assert.equal(res.body.result.waiting_room_enabled, true);
    assert.equal(res.body.result.your_status.role, 'host');
    const cleared = await patch('set-patch', { max_participants: null, locked: false });
    assert.equal(cleared.body.result.max_participants, null);
    assert.equal(cleared.body.result.locked, false);
    assert.deepEqual((await patch('set-patch', {})).body.result.max_participants, null, 'an empty PATCH changes nothing');
  });

  test('PATCH: owner, host or co-host; an attendee or a stranger gets 403 NOT_HOST; unknown meeting 404', async () => {
    await meeting('set-who', { admitted: ['co@x.io', 'att@x.io'] });
    await post('set-who', '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
    assert.equal((await patch('set-who', { locked: true }, 'co@x.io')).status, 200);
    expectError(await patch('set-who', { locked: false }, 'att@x.io'), 403, 'NOT_HOST');
    expectError(await patch('set-who', { locked: false }, 'stranger@x.io'), 403, 'NOT_HOST');
    expectError(await patch('set-nobody', { locked: false }), 404, 'MEETING_NOT_FOUND');
    assert.equal((await info('set-who')).body.result.locked, true, 'the refused PATCHes changed nothing');
    // A host by transfer (not the owner) may change settings too.
    await post('set-who', '/transfer-host', OWNER, { email: 'att@x.io' });
    assert.equal((await patch('set-who', { locked: false }, 'att@x.io')).status, 200);
  });

  test('bad PATCH bodies are 400 INVALID_REQUEST and change nothing', async () => {
    await meeting('set-bad');
    const before = (await info('set-bad')).body.result;
    for (const body of [
      { unknown_field: true },
      { locked: true, colour: 'red' },
      { max_participants: 1 },
      { max_participants: 1001 },
      { max_participants: 'ten' },
      { max_participants: 2.5 },
      { admit_policy: 'everyone' },
      { host_leave_policy: 'random' },
      { locked: 'yes' },
      { waiting_room_enabled: null },
      { allow_guests: 1 },
      { password: 42 },
      [],
      'locked',
    ]) {
      expectError(await patch('set-bad', body), 400, 'INVALID_REQUEST');
    }
    assert.deepEqual((await info('set-bad')).body.result, before);
  });

  test('bad settings on create are 400 INVALID_REQUEST and nothing is created', async () => {
    for (const bad of [{ max_participants: 1 }, { max_participants: 1001 }, { max_participants: 'ten' }, { admit_policy: 'everyone' }]) {
      expectError(await call(app, 'POST', '/api/v1/meetings', { as: OWNER, body: { meeting_id: 'set-bad-create', ...bad } }), 400, 'INVALID_REQUEST');
    }
    expectError(await info('set-bad-create'), 404, 'MEETING_NOT_FOUND');
  });

  test('password: PATCH sets it (hashed, never returned) and removes it with null or ""', async () => {
    await meeting('set-pw');
    const set = await patch('set-pw', { password: 'sesame' });
    assert.equal(set.body.result.has_password, true);
    assert.ok(!JSON.stringify(set.body).includes('sesame'));
    const { rows } = await t.db.query<{ password_hash: string }>(`SELECT password_hash FROM meetings WHERE room_id = 'set-pw'`);
    assert.match(rows[0]!.password_hash, /^\$argon2id\$/);
    expectError(await join('set-pw', 'a@x.io'), 403, 'INVALID_PASSWORD');
    assert.equal((await join('set-pw', 'a@x.io', { password: 'sesame' })).body.result.status, 'waiting');
    assert.equal((await patch('set-pw', { password: null })).body.result.has_password, false);
    assert.equal((await join('set-pw', 'b@x.io')).body.result.status, 'waiting');
    await patch('set-pw', { password: 'again' });
    assert.equal((await patch('set-pw', { password: '' })).body.result.has_password, false);
  });
});

describe('waiting_room_enabled', () => {
  test('off: a non-guest attendee is admitted at once with a token; a guest still waits', async () => {
    await meeting('wr-off', { settings: { waiting_room_enabled: false, allow_guests: true } });
    const res = await join('wr-off', 'direct@x.io', { display_name: 'D' });
    assert.equal(res.body.result.status, 'admitted');
    assert.equal(res.body.result.role, 'attendee');
    assert.ok(Number.isInteger(res.body.result.admitted_at));
    const claims = await verifyRoomToken(res.body.result.room_token);
    assert.equal(claims.sub, 'direct@x.io');
    assert.equal(claims.is_host, false);
    const guest = await join('wr-off', GUEST);
    assert.equal(guest.body.result.status, 'waiting');
    assert.equal(guest.body.result.room_token, null);
  });

  test('turning it off admits everyone waiting (guests keep waiting), up to max_participants', async () => {
    await meeting('wr-turn', { settings: { allow_guests: true, max_participants: 3 }, waiting: ['w1@x.io', GUEST, 'w2@x.io', 'w3@x.io'] });
    const res = await patch('wr-turn', { waiting_room_enabled: false });
    assert.equal(res.status, 200);
    assert.deepEqual((await participants('wr-turn')).map((p) => p.email), [OWNER, 'w1@x.io', 'w2@x.io']);
    const waiting = (await call(app, 'GET', api('wr-turn', '/waiting'), { as: OWNER })).body.result.waiting.map((p: { email: string }) => p.email);
    assert.deepEqual(waiting, [GUEST, 'w3@x.io']);
  });

  test('off with max_participants: a join beyond the cap waits', async () => {
    await meeting('wr-cap', { settings: { waiting_room_enabled: false, max_participants: 2 } });
    assert.equal((await join('wr-cap', 'first@x.io')).body.result.status, 'admitted');
    const second = await join('wr-cap', 'second@x.io');
    assert.equal(second.body.result.status, 'waiting');
    assert.equal(second.body.result.room_token, null);
  });
});

describe('admit_policy', () => {
  test('any_admitted (default): an admitted attendee manages the waiting room', async () => {
    await meeting('ap-any', { admitted: ['att@x.io'], waiting: ['w@x.io'] });
    assert.equal((await call(app, 'GET', api('ap-any', '/waiting'), { as: 'att@x.io' })).status, 200);
    assert.equal((await post('ap-any', '/admit', 'att@x.io', { email: 'w@x.io' })).status, 200);
  });

  test('hosts: an attendee gets 403 NOT_HOST for list, admit, reject and admit-all; a co-host may', async () => {
    await meeting('ap-hosts', { settings: { admit_policy: 'hosts' }, admitted: ['att@x.io', 'co@x.io'], waiting: ['w@x.io', 'v@x.io'] });
    expectError(await call(app, 'GET', api('ap-hosts', '/waiting'), { as: 'att@x.io' }), 403, 'NOT_HOST');
    expectError(await post('ap-hosts', '/admit', 'att@x.io', { email: 'w@x.io' }), 403, 'NOT_HOST');
    expectError(await post('ap-hosts', '/reject', 'att@x.io', { email: 'w@x.io' }), 403, 'NOT_HOST');
    expectError(await post('ap-hosts', '/admit-all', 'att@x.io'), 403, 'NOT_HOST');
    assert.equal((await statusOf('ap-hosts', 'w@x.io')).body.result.status, 'waiting', 'nothing changed');
    await post('ap-hosts', '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
    assert.equal((await call(app, 'GET', api('ap-hosts', '/waiting'), { as: 'co@x.io' })).status, 200);
    assert.equal((await post('ap-hosts', '/admit', 'co@x.io', { email: 'w@x.io' })).body.result.status, 'admitted');
    assert.equal((await post('ap-hosts', '/reject', 'co@x.io', { email: 'v@x.io' })).body.result.status, 'rejected');
  });
});

describe('host_leave_policy', () => {
  test('end_meeting (default): the host leaving ends the meeting for all', async () => {
    await meeting('hl-end', { admitted: ['a@x.io'] });
    await post('hl-end', '/leave', OWNER);
    assert.equal((await info('hl-end')).body.result.state, 'ended');
  });

  test('transfer: the co-host admitted longest ago becomes host; the meeting goes on', async () => {
    await meeting('hl-co', { settings: { host_leave_policy: 'transfer' }, admitted: ['att@x.io', 'co1@x.io', 'co2@x.io'] });
    await post('hl-co', '/role', OWNER, { email: 'co2@x.io', role: 'cohost' });
    await post('hl-co', '/role', OWNER, { email: 'co1@x.io', role: 'cohost' });
    const left = await post('hl-co', '/leave', OWNER);
    assert.equal(left.body.result.status, 'left');
    assert.equal(left.body.result.is_host, false);
    assert.equal((await info('hl-co')).body.result.state, 'active');
    const roles = Object.fromEntries((await participants('hl-co')).map((p) => [p.email, p.role]));
    assert.deepEqual(roles, { 'att@x.io': 'attendee', 'co1@x.io': 'host', 'co2@x.io': 'cohost' });
    const status = await statusOf('hl-co', 'co1@x.io');
    assert.equal(status.body.result.is_host, true);
    assert.equal((await verifyRoomToken(status.body.result.room_token)).is_host, true, "the new host's next token says so");
  });

  test('transfer without co-hosts: the attendee admitted longest ago, never a guest; the last one out ends it', async () => {
    await meeting('hl-att', { settings: { host_leave_policy: 'transfer', allow_guests: true }, admitted: [GUEST, 'a1@x.io', 'a2@x.io'] });
    await post('hl-att', '/leave', OWNER);
    const roles = Object.fromEntries((await participants('hl-att')).map((p) => [p.email, p.role]));
    assert.deepEqual(roles, { [GUEST]: 'attendee', 'a1@x.io': 'host', 'a2@x.io': 'attendee' });
    await post('hl-att', '/leave', 'a1@x.io');
    assert.equal((await participants('hl-att')).find((p) => p.email === 'a2@x.io')?.role, 'host');
    await post('hl-att', '/leave', 'a2@x.io');
    assert.equal((await info('hl-att')).body.result.state, 'active', 'a guest is still admitted (without a host)');
    await post('hl-att', '/leave', GUEST);
    assert.equal((await info('hl-att')).body.result.state, 'ended', 'nobody admitted remains');
  });

  test('the owner joining again takes the host role back; the host by transfer becomes co-host', async () => {
    await meeting('hl-back', { settings: { host_leave_policy: 'transfer' }, admitted: ['a@x.io'] });
    await post('hl-back', '/leave', OWNER);
    const back = await join('hl-back', OWNER);
    assert.equal(back.body.result.role, 'host');
    assert.equal((await verifyRoomToken(back.body.result.room_token)).is_host, true);
    assert.equal((await participants('hl-back')).find((p) => p.email === 'a@x.io')?.role, 'cohost');
  });
});

describe('locked', () => {
  test('only people already admitted (or the owner) can join; others get 403 MEETING_LOCKED and nothing is recorded', async () => {
    await meeting('lk', { admitted: ['in@x.io'], waiting: ['w@x.io'] });
    await patch('lk', { locked: true });
    expectError(await join('lk', 'new@x.io'), 403, 'MEETING_LOCKED');
    expectError(await statusOf('lk', 'new@x.io'), 404, 'NOT_IN_MEETING');
    expectError(await join('lk', 'w@x.io', { display_name: 'changed' }), 403, 'MEETING_LOCKED');
    const waiting = await statusOf('lk', 'w@x.io');
    assert.equal(waiting.body.result.status, 'waiting');
    assert.equal(waiting.body.result.display_name, null, 'nothing changed');
    const again = await join('lk', 'in@x.io');
    assert.equal(again.body.result.status, 'admitted');
    assert.equal(typeof again.body.result.room_token, 'string');
    assert.equal((await join('lk', OWNER)).body.result.status, 'admitted');
    assert.equal((await post('lk', '/admit', OWNER, { email: 'w@x.io' })).status, 200, 'those already waiting can still be admitted');
    await patch('lk', { locked: false });
    assert.equal((await join('lk', 'new@x.io')).body.result.status, 'waiting');
  });
});

describe('max_participants', () => {
  test('admit beyond the cap (host included) is 409 MEETING_FULL and changes nothing', async () => {
    await meeting('cap', { settings: { max_participants: 2 }, admitted: ['one@x.io'], waiting: ['two@x.io'] });
    expectError(await post('cap', '/admit', OWNER, { email: 'two@x.io' }), 409, 'MEETING_FULL');
    assert.equal((await statusOf('cap', 'two@x.io')).body.result.status, 'waiting');
    await post('cap', '/leave', 'one@x.io');
    assert.equal((await post('cap', '/admit', OWNER, { email: 'two@x.io' })).status, 200, 'a seat freed is a seat');
  });

  test('admit-all admits the earliest waiting up to the cap and leaves the rest waiting', async () => {
    await meeting('cap-all', { settings: { max_participants: 3 }, waiting: ['w1@x.io', 'w2@x.io', 'w3@x.io', 'w4@x.io'] });
    const res = await post('cap-all', '/admit-all', OWNER);
    assert.equal(res.body.result.admitted_count, 2);
    assert.deepEqual(res.body.result.admitted.map((p: { email: string }) => p.email), ['w1@x.io', 'w2@x.io']);
    const full = await post('cap-all', '/admit-all', OWNER);
    assert.equal(full.status, 200);
    assert.equal(full.body.result.admitted_count, 0);
    assert.equal((await statusOf('cap-all', 'w4@x.io')).body.result.status, 'waiting');
  });
});

describe('allow_guests', () => {
  test('off (default): a guest gets 403 GUESTS_NOT_ALLOWED and is not recorded; on: the guest knocks', async () => {
    await meeting('guests');
    expectError(await join('guests', GUEST), 403, 'GUESTS_NOT_ALLOWED');
    expectError(await statusOf('guests', GUEST), 404, 'NOT_IN_MEETING');
    await patch('guests', { allow_guests: true });
    assert.equal((await join('guests', GUEST)).body.result.status, 'waiting');
  });
});

describe('real guest sessions (POST /api/v1/guest-session)', () => {
  async function guestSession(name: string) {
    const res = await call(app, 'POST', '/api/v1/guest-session', { body: { display_name: name } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return { identity: res.body.result.email as string, headers: { authorization: `Bearer ${res.body.result.session_token}` } };
  }
  const joinAs = (id: string, headers: Record<string, string>) => call(app, 'POST', api(id, '/join'), { headers, body: {} });

  test('allow_guests is read from the meeting: off → 403 GUESTS_NOT_ALLOWED; on → the guest knocks, and waits even with the waiting room off', async () => {
    await meeting('gs-allow', { settings: { waiting_room_enabled: false } });
    const g = await guestSession('Gus');
    expectError(await joinAs('gs-allow', g.headers), 403, 'GUESTS_NOT_ALLOWED');
    await patch('gs-allow', { allow_guests: true });
    const knock = await joinAs('gs-allow', g.headers);
    assert.deepEqual([knock.body.result.email, knock.body.result.status, knock.body.result.room_token], [g.identity, 'waiting', null]);
    await patch('gs-allow', { allow_guests: false });
    expectError(await joinAs('gs-allow', (await guestSession('Other')).headers), 403, 'GUESTS_NOT_ALLOWED');
  });

  test('an admitted guest can be neither promoted to co-host nor handed the host role, and is skipped by host_leave_policy transfer', async () => {
    await meeting('gs-roles', { settings: { allow_guests: true, host_leave_policy: 'transfer' } });
    const g = await guestSession('Gus');
    await joinAs('gs-roles', g.headers);
    assert.equal((await post('gs-roles', '/admit', OWNER, { email: g.identity })).status, 200);
    expectError(await post('gs-roles', '/role', OWNER, { email: g.identity, role: 'cohost' }), 403, 'GUESTS_NOT_ALLOWED');
    expectError(await post('gs-roles', '/transfer-host', OWNER, { email: g.identity }), 403, 'GUESTS_NOT_ALLOWED');
    await post('gs-roles', '/leave', OWNER);
    const left = await participants('gs-roles');
    assert.deepEqual(left.map((p) => [p.email, p.role]), [[g.identity, 'attendee']], 'no host: the guest cannot hold it');
    const me = await call(app, 'GET', api('gs-roles', '/status'), { headers: g.headers });
    assert.equal((await verifyRoomToken(me.body.result.room_token)).is_host, false);
  });
});

describe('roles on participant responses', () => {
  test('every participant carries role and banned; is_host is true exactly for the host', async () => {
    await meeting('roles', { admitted: ['a@x.io'], waiting: ['w@x.io'] });
    const list = await participants('roles');
    assert.deepEqual(list.map((p) => [p.email, p.role, p.is_host]), [[OWNER, 'host', true], ['a@x.io', 'attendee', false]]);
    const waiting = (await call(app, 'GET', api('roles', '/waiting'), { as: OWNER })).body.result.waiting[0];
    assert.equal(waiting.role, 'attendee');
    assert.equal(waiting.banned, false);
  });
});

describe('POST /end', () => {
  test('owner, host or co-host end it for everyone: waiting and admitted rows become left; idempotent', async () => {
    await meeting('end', { admitted: ['a@x.io', 'co@x.io'], waiting: ['w@x.io'] });
    await post('end', '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
    expectError(await post('end', '/end', 'a@x.io'), 403, 'NOT_HOST');
    expectError(await post('end', '/end', 'stranger@x.io'), 403, 'NOT_HOST');
    const res = await post('end', '/end', 'co@x.io');
    assert.equal(res.status, 200);
    assert.equal(res.body.result.state, 'ended');
    assert.equal(res.body.result.meeting_id, 'end');
    assert.equal(res.body.result.your_status.status, 'left');
    for (const who of [OWNER, 'a@x.io', 'co@x.io', 'w@x.io']) {
      const s = await statusOf('end', who);
      assert.equal(s.body.result.status, 'left', who);
      assert.equal(s.body.result.room_token, null, who);
    }
    const again = await post('end', '/end', OWNER);
    assert.equal(again.status, 200);
    assert.equal(again.body.result.state, 'ended');
    expectError(await join('end', 'a@x.io'), 400, 'MEETING_NOT_ACTIVE');
    expectError(await post('nothing-here', '/end', OWNER), 404, 'MEETING_NOT_FOUND');
  });

  test('the owner may end a meeting without being in it; ending an idle meeting changes nothing', async () => {
    await call(app, 'POST', '/api/v1/meetings', { as: OWNER, body: { meeting_id: 'end-idle' } });
    const res = await post('end-idle', '/end', OWNER);
    assert.equal(res.status, 200);
    assert.equal(res.body.result.state, 'idle');
  });
});

describe('POST /remove', () => {
  test('the host removes an admitted or a waiting participant; they may knock again', async () => {
    await meeting('rm', { admitted: ['a@x.io'], waiting: ['w@x.io'] });
    const res = await post('rm', '/remove', OWNER, { email: 'a@x.io' });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.result.status, res.body.result.banned, res.body.result.room_token], ['removed', false, null]);
    const s = await statusOf('rm', 'a@x.io');
    assert.equal(s.body.result.status, 'removed');
    assert.equal(s.body.result.room_token, null, 'no token once removed');
    assert.equal((await post('rm', '/remove', OWNER, { email: 'w@x.io' })).body.result.status, 'removed');
    assert.equal((await join('rm', 'a@x.io')).body.result.status, 'waiting');
  });

  test('ban: true bans; the banned identity joining gets 403 PARTICIPANT_BANNED and nothing changes', async () => {
    await meeting('rm-ban', { admitted: ['a@x.io'] });
    const res = await post('rm-ban', '/remove', OWNER, { email: 'a@x.io', ban: true });
    assert.deepEqual([res.body.result.status, res.body.result.banned], ['removed', true]);
    expectError(await join('rm-ban', 'a@x.io', { display_name: 'sneaky' }), 403, 'PARTICIPANT_BANNED');
    const s = await statusOf('rm-ban', 'a@x.io');
    assert.deepEqual([s.body.result.status, s.body.result.banned, s.body.result.display_name], ['removed', true, null]);
  });

  test('a co-host may remove; an attendee gets 403 NOT_HOST', async () => {
    await meeting('rm-who', { admitted: ['co@x.io', 'a@x.io', 'b@x.io'] });
    await post('rm-who', '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
    expectError(await post('rm-who', '/remove', 'a@x.io', { email: 'b@x.io' }), 403, 'NOT_HOST');
    assert.equal((await post('rm-who', '/remove', 'co@x.io', { email: 'b@x.io' })).status, 200);
  });

  test('the host cannot be removed (403 CANNOT_REMOVE_HOST), nor can you remove yourself (400); unknown → 404', async () => {
    await meeting('rm-bad', { admitted: ['co@x.io', 'a@x.io'] });
    await post('rm-bad', '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
    expectError(await post('rm-bad', '/remove', 'co@x.io', { email: OWNER }), 403, 'CANNOT_REMOVE_HOST');
    expectError(await post('rm-bad', '/remove', OWNER, { email: OWNER }), 403, 'CANNOT_REMOVE_HOST');
    expectError(await post('rm-bad', '/remove', 'co@x.io', { email: 'co@x.io' }), 400, 'INVALID_REQUEST');
    expectError(await post('rm-bad', '/remove', OWNER, { email: 'nobody@x.io' }), 404, 'PARTICIPANT_NOT_FOUND');
    expectError(await post('rm-bad', '/remove', OWNER, { email: 'nobody@x.io', ban: true }), 404, 'PARTICIPANT_NOT_FOUND');
    await post('rm-bad', '/leave', 'a@x.io');
    expectError(await post('rm-bad', '/remove', OWNER, { email: 'a@x.io' }), 404, 'PARTICIPANT_NOT_FOUND');
    for (const body of [{}, { email: '' }, { email: 'a@x.io', ban: 'yes' }]) {
      expectError(await post('rm-bad', '/remove', OWNER, body), 400, 'INVALID_REQUEST');
    }
    const roles = (await participants('rm-bad')).map((p) => [p.email, p.role]);
    assert.deepEqual(roles, [[OWNER, 'host'], ['co@x.io', 'cohost']], 'nothing changed');
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id WHERE m.room_id = 'rm-bad' AND p.email = 'nobody@x.io'`,
    );
    assert.equal(rows[0]!.n, 0, 'banning an unknown email records nothing');
  });
});

describe('POST /reject with ban, POST /unban', () => {
  test('reject with ban: true bans; unban clears it, the row stays rejected, and the person may knock again', async () => {
    await meeting('ban', { admitted: ['a@x.io', 'co@x.io'], waiting: ['w@x.io'] });
    const rejected = await post('ban', '/reject', OWNER, { email: 'w@x.io', ban: true });
    assert.deepEqual([rejected.body.result.status, rejected.body.result.banned], ['rejected', true]);
    expectError(await join('ban', 'w@x.io'), 403, 'PARTICIPANT_BANNED');
    expectError(await post('ban', '/unban', 'a@x.io', { email: 'w@x.io' }), 403, 'NOT_HOST');
    await post('ban', '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
    const unbanned = await post('ban', '/unban', 'co@x.io', { email: 'w@x.io' });
    assert.equal(unbanned.status, 200);
    assert.deepEqual([unbanned.body.result.status, unbanned.body.result.banned], ['rejected', false]);
    assert.equal((await join('ban', 'w@x.io')).body.result.status, 'waiting');
    expectError(await post('ban', '/unban', OWNER, { email: 'nobody@x.io' }), 404, 'PARTICIPANT_NOT_FOUND');
  });

  test('reject without ban (as in videocall-rs) does not ban', async () => {
    await meeting('noban', { waiting: ['w@x.io'] });
    assert.equal((await post('noban', '/reject', OWNER, { email: 'w@x.io' })).body.result.banned, false);
    assert.equal((await join('noban', 'w@x.io')).body.result.status, 'waiting');
  });
});

describe('POST /role', () => {
  test('the host makes an admitted participant co-host and back', async () => {
    await meeting('role', { admitted: ['a@x.io'] });
    const up = await post('role', '/role', OWNER, { email: 'a@x.io', role: 'cohost' });
    assert.deepEqual([up.body.result.role, up.body.result.is_host], ['cohost', false]);
    const down = await post('role', '/role', OWNER, { email: 'a@x.io', role: 'attendee' });
    assert.equal(down.body.result.role, 'attendee');
  });

  test('a co-host or attendee gets 403 NOT_HOST; a waiting target 404; a guest 403 GUESTS_NOT_ALLOWED; role host 400', async () => {
    await meeting('role-bad', { settings: { allow_guests: true }, admitted: ['co@x.io', 'a@x.io', GUEST], waiting: ['w@x.io'] });
    await post('role-bad', '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
    expectError(await post('role-bad', '/role', 'co@x.io', { email: 'a@x.io', role: 'cohost' }), 403, 'NOT_HOST');
    expectError(await post('role-bad', '/role', 'a@x.io', { email: 'a@x.io', role: 'cohost' }), 403, 'NOT_HOST');
    expectError(await post('role-bad', '/role', OWNER, { email: 'w@x.io', role: 'cohost' }), 404, 'PARTICIPANT_NOT_FOUND');
    expectError(await post('role-bad', '/role', OWNER, { email: GUEST, role: 'cohost' }), 403, 'GUESTS_NOT_ALLOWED');
    expectError(await post('role-bad', '/role', OWNER, { email: 'a@x.io', role: 'host' }), 400, 'INVALID_REQUEST');
    expectError(await post('role-bad', '/role', OWNER, { email: OWNER, role: 'attendee' }), 400, 'INVALID_REQUEST');
    expectError(await post('role-bad', '/role', OWNER, { email: 'a@x.io' }), 400, 'INVALID_REQUEST');
    const roles = Object.fromEntries((await participants('role-bad')).map((p) => [p.email, p.role]));
    assert.deepEqual(roles, { [OWNER]: 'host', 'co@x.io': 'cohost', 'a@x.io': 'attendee', [GUEST]: 'attendee' });
  });
});

describe('POST /transfer-host', () => {
  test('the target becomes host, the previous host co-host; tokens follow', async () => {
    await meeting('xfer', { admitted: ['a@x.io'] });
    const res = await post('xfer', '/transfer-host', OWNER, { email: 'a@x.io' });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.result.email, res.body.result.role, res.body.result.is_host], ['a@x.io', 'host', true]);
    const roles = Object.fromEntries((await participants('xfer')).map((p) => [p.email, p.role]));
    assert.deepEqual(roles, { [OWNER]: 'cohost', 'a@x.io': 'host' });
    assert.equal((await verifyRoomToken((await statusOf('xfer', 'a@x.io')).body.result.room_token)).is_host, true);
    assert.equal((await verifyRoomToken((await statusOf('xfer', OWNER)).body.result.room_token)).is_host, false);
    // The new host hands it on; the owner may always take it back.
    await join('xfer', 'b@x.io');
    await post('xfer', '/admit', 'a@x.io', { email: 'b@x.io' });
    assert.equal((await post('xfer', '/transfer-host', 'a@x.io', { email: 'b@x.io' })).status, 200);
    assert.equal((await post('xfer', '/transfer-host', OWNER, { email: OWNER })).body.result.role, 'host');
    assert.deepEqual((await participants('xfer')).filter((p) => p.role === 'host').map((p) => p.email), [OWNER]);
  });

  test('a co-host gets 403 NOT_HOST; someone waiting 404; a guest 403 GUESTS_NOT_ALLOWED; nothing changes', async () => {
    await meeting('xfer-bad', { settings: { allow_guests: true }, admitted: ['co@x.io', GUEST], waiting: ['w@x.io'] });
    await post('xfer-bad', '/role', OWNER, { email: 'co@x.io', role: 'cohost' });
    expectError(await post('xfer-bad', '/transfer-host', 'co@x.io', { email: 'co@x.io' }), 403, 'NOT_HOST');
    expectError(await post('xfer-bad', '/transfer-host', OWNER, { email: 'w@x.io' }), 404, 'PARTICIPANT_NOT_FOUND');
    expectError(await post('xfer-bad', '/transfer-host', OWNER, { email: GUEST }), 403, 'GUESTS_NOT_ALLOWED');
    expectError(await post('xfer-bad', '/transfer-host', OWNER, { email: 'nobody@x.io' }), 404, 'PARTICIPANT_NOT_FOUND');
    expectError(await post('xfer-bad', '/transfer-host', OWNER, {}), 400, 'INVALID_REQUEST');
    const roles = Object.fromEntries((await participants('xfer-bad')).map((p) => [p.email, p.role]));
    assert.deepEqual(roles, { [OWNER]: 'host', 'co@x.io': 'cohost', [GUEST]: 'attendee' });
  });
});

describe('authentication and ids come first', () => {
  test('every control answers 401 without a caller, 400 INVALID_MEETING_ID for a bad id, 404 for an unknown meeting', async () => {
    for (const [method, tail, body] of [
      ['PATCH', '', { locked: true }],
      ['POST', '/end', undefined],
      ['POST', '/remove', { email: 'a@x.io' }],
      ['POST', '/unban', { email: 'a@x.io' }],
      ['POST', '/role', { email: 'a@x.io', role: 'cohost' }],
      ['POST', '/transfer-host', { email: 'a@x.io' }],
    ] as const) {
      expectError(await call(app, method, api('whatever', tail), { body }), 401, 'UNAUTHORIZED');
      expectError(await call(app, method, api('bad%20id', tail), { as: OWNER, body }), 400, 'INVALID_MEETING_ID');
      expectError(await call(app, method, api('no-such-meeting', tail), { as: OWNER, body }), 404, 'MEETING_NOT_FOUND');
    }
  });

  test('garbage bodies on every control are 400 INVALID_REQUEST (or 415), never a 5xx', async () => {
    await meeting('garbage', { admitted: ['a@x.io'] });
    const bodies = ['{bad', '[]', '"x"', '42', 'null', '{"email": 5}', '{"email": ["a@x.io"]}'];
    for (const tail of ['/remove', '/unban', '/role', '/transfer-host']) {
      for (const body of bodies) {
        const r = await post('garbage', tail, OWNER, body);
        assert.equal(r.status, 400, `${tail} ${body}: ${r.status} ${JSON.stringify(r.body)}`);
        expectError(r, 400, 'INVALID_REQUEST');
      }
      expectError(await call(app, 'POST', api('garbage', tail), { as: OWNER, body: 'email=a', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    expectError(await post('garbage', '/role', OWNER, { email: 'a@x.io', role: 'boss' }), 400, 'INVALID_REQUEST');
    for (const body of bodies) expectError(await call(app, 'PATCH', api('garbage'), { as: OWNER, body }), 400, 'INVALID_REQUEST');
    assert.deepEqual((await participants('garbage')).map((p) => [p.email, p.role]), [[OWNER, 'host'], ['a@x.io', 'attendee']]);
  });

  test('the new routes are in /openapi.json', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    for (const expected of [
      'PATCH /api/v1/meetings/{meeting_id}',
      'POST /api/v1/meetings/{meeting_id}/end',
      'POST /api/v1/meetings/{meeting_id}/remove',
      'POST /api/v1/meetings/{meeting_id}/unban',
      'POST /api/v1/meetings/{meeting_id}/role',
      'POST /api/v1/meetings/{meeting_id}/transfer-host',
    ]) {
      assert.ok(ops.includes(expected), expected);
    }
  });
});
