import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app';
import { createPostgresDatabase } from '../src/db/postgres';
import type { Database } from '../src/db/database';
import { api, call, expectError, startTestApp, testConfig, type TestApp } from './helpers';

/** API keys (admins, scope, revocation on another instance) and join links (minting, redeem, roles, refusals). */

const ADMIN = 'admin@example.com';
const PUBLIC_URL = 'https://meet.example.com';
let t: TestApp;
before(async () => {
  t = await startTestApp({ config: { adminEmails: [ADMIN], publicUrl: PUBLIC_URL, apiKeyRateLimitPerMinute: 10_000 }, deps: { apiKeyCacheMs: 300 } });
});
after(async () => {
  await t?.close();
});

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

async function createKey(name = 'backend'): Promise<{ id: string; secret: string }> {
  const res = await call(t.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: { name } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.result;
}

async function asKey(secret: string, method: string, url: string, body?: unknown) {
  return call(t.app, method, url, { headers: bearer(secret), body });
}

async function redeem(token: unknown, headers: Record<string, string> = {}) {
  return call(t.app, 'POST', '/api/v1/join-links/redeem', { body: { token }, headers });
}

async function linkSession(secret: string, meetingId: string, body: Record<string, unknown>): Promise<{ session: string; link: any }> {
  const minted = await asKey(secret, 'POST', api(meetingId, '/join-links'), body);
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  const redeemed = await redeem(minted.body.result.token);
  assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
  return { session: redeemed.body.result.session_token, link: minted.body.result };
}

describe('API keys', () => {
  test('an admin creates a key (secret shown once, prefixed mk_), lists it without secret, and revokes it idempotently', async () => {
    const created = await call(t.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: { name: 'clinic portal' } });
    assert.equal(created.status, 201);
    const key = created.body.result;
    assert.match(key.secret, /^mk_[A-Za-z0-9_-]{43}$/);
    assert.equal(key.name, 'clinic portal');
    assert.equal(key.last_used_at, null);
    assert.equal(typeof key.created_at, 'number');

    const listed = await call(t.app, 'GET', '/api/v1/api-keys', { as: ADMIN });
    assert.equal(listed.status, 200);
    const row = listed.body.result.keys.find((k: { id: string }) => k.id === key.id);
    assert.deepEqual(Object.keys(row).sort(), ['created_at', 'id', 'last_used_at', 'name']);
    assert.ok(!JSON.stringify(listed.body).includes(key.secret));

    // Stored only as a hash: the secret is nowhere in the table.
    const stored = await t.db.query<{ secret_hash: string }>('SELECT secret_hash FROM api_keys WHERE id = $1', [key.id]);
    assert.notEqual(stored.rows[0]!.secret_hash, key.secret);
    assert.ok(!stored.rows[0]!.secret_hash.includes(key.secret.slice(3, 20)));

    const me = await asKey(key.secret, 'GET', '/api/v1/meetings');
    assert.equal(me.status, 200);

    for (let i = 0; i < 2; i++) {
      const revoked = await call(t.app, 'DELETE', `/api/v1/api-keys/${key.id}`, { as: ADMIN });
      assert.equal(revoked.status, 200);
      assert.equal(revoked.body.success, true);
      assert.equal(typeof revoked.body.result.message, 'string');
    }
    expectError(await asKey(key.secret, 'GET', '/api/v1/meetings'), 401, 'UNAUTHORIZED');
    const after = await call(t.app, 'GET', '/api/v1/api-keys', { as: ADMIN });
    assert.ok(!after.body.result.keys.some((k: { id: string }) => k.id === key.id));
  });

  test('non-admins get NOT_ADMIN: a signed-in person, an API key, a link session', async () => {
    expectError(await call(t.app, 'POST', '/api/v1/api-keys', { as: 'someone@example.com', body: { name: 'x' } }), 403, 'NOT_ADMIN');
    expectError(await call(t.app, 'GET', '/api/v1/api-keys', { as: 'someone@example.com' }), 403, 'NOT_ADMIN');
    expectError(await call(t.app, 'DELETE', '/api/v1/api-keys/abc', { as: 'someone@example.com' }), 403, 'NOT_ADMIN');
    const key = await createKey();
    expectError(await asKey(key.secret, 'GET', '/api/v1/api-keys'), 403, 'NOT_ADMIN');
    expectError(await asKey(key.secret, 'POST', '/api/v1/api-keys', { name: 'mine' }), 403, 'NOT_ADMIN');
    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'admin-scope' });
    const { session } = await linkSession(key.secret, 'admin-scope', { identity: ADMIN, display_name: 'Admin lookalike', role: 'host' });
    expectError(await call(t.app, 'GET', '/api/v1/api-keys', { headers: bearer(session) }), 403, 'NOT_ADMIN');
  });

  test('bad key requests: unknown and malformed keys are 401, a bad name is INVALID_REQUEST', async () => {
    expectError(await asKey('mk_' + 'A'.repeat(43), 'GET', '/api/v1/meetings'), 401, 'UNAUTHORIZED');
    expectError(await asKey('mk_', 'GET', '/api/v1/meetings'), 401, 'UNAUTHORIZED');
    expectError(await call(t.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: { name: '' } }), 400, 'INVALID_REQUEST');
    expectError(await call(t.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: {} }), 400, 'INVALID_REQUEST');
    expectError(await call(t.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: { name: 'a\u0007b' } }), 400, 'INVALID_REQUEST');
  });

  test('a key creates meetings as app:<id>, or for a named owner, and manages only those', async () => {
    const key = await createKey();
    const other = await createKey('other');
    const created = await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'key-own' });
    assert.equal(created.status, 201);
    assert.equal(created.body.result.host, `app:${key.id}`);
    const owned = await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'key-owner', owner: 'dr.who@clinic.example' });
    assert.equal(owned.status, 201);
    assert.equal(owned.body.result.host, 'dr.who@clinic.example');
    // The named owner owns it as a person would.
    const ownersView = await call(t.app, 'GET', '/api/v1/meetings', { as: 'dr.who@clinic.example' });
    assert.ok(ownersView.body.result.meetings.some((m: { meeting_id: string }) => m.meeting_id === 'key-owner'));

    const list = await asKey(key.secret, 'GET', '/api/v1/meetings');
    assert.deepEqual(list.body.result.meetings.map((m: { meeting_id: string }) => m.meeting_id).sort(), ['key-own', 'key-owner']);
    assert.equal(list.body.result.total, 2);
    const otherList = await asKey(other.secret, 'GET', '/api/v1/meetings');
    assert.equal(otherList.body.result.total, 0);

    // Its own meeting, even with another owner: read, change, list participants, end, delete.
    assert.equal((await asKey(key.secret, 'GET', api('key-owner'))).status, 200);
    const patched = await asKey(key.secret, 'PATCH', api('key-owner'), { locked: true });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal((await asKey(key.secret, 'GET', api('key-owner', '/participants'))).status, 200);
    assert.equal((await asKey(key.secret, 'DELETE', api('key-own'))).status, 200);

    // Another key's meeting: hidden parts are 404, changes are refused as for a stranger.
    expectError(await asKey(other.secret, 'GET', api('key-owner', '/participants')), 404, 'MEETING_NOT_FOUND');
    expectError(await asKey(other.secret, 'GET', api('key-owner', '/waiting')), 404, 'MEETING_NOT_FOUND');
    expectError(
      await asKey(other.secret, 'POST', api('key-owner', '/join-links'), { identity: 'x@example.com', display_name: 'X' }),
      404,
      'MEETING_NOT_FOUND',
    );
    expectError(await asKey(other.secret, 'DELETE', api('key-owner')), 403, 'NOT_OWNER');
    const stranger = await asKey(other.secret, 'PATCH', api('key-owner'), { locked: false });
    assert.equal(stranger.status, 403);
    assert.equal((await asKey(other.secret, 'POST', api('key-owner', '/end'))).status, 403);
  });

  test("a key cannot see a person's meetings, and never joins (APPS_CANNOT_JOIN)", async () => {
    const key = await createKey();
    await call(t.app, 'POST', '/api/v1/meetings', { as: 'alice@example.com', body: { meeting_id: 'alices' } });
    const list = await asKey(key.secret, 'GET', '/api/v1/meetings');
    assert.ok(!list.body.result.meetings.some((m: { meeting_id: string }) => m.meeting_id === 'alices'));
    expectError(await asKey(key.secret, 'GET', api('alices', '/participants')), 404, 'MEETING_NOT_FOUND');
    expectError(await asKey(key.secret, 'DELETE', api('alices')), 403, 'NOT_OWNER');
    expectError(await asKey(key.secret, 'POST', api('alices', '/join')), 403, 'APPS_CANNOT_JOIN');
    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'keys-room' });
    expectError(await asKey(key.secret, 'POST', api('keys-room', '/join')), 403, 'APPS_CANNOT_JOIN');
    expectError(await asKey(key.secret, 'POST', api('no-such-room', '/join')), 403, 'APPS_CANNOT_JOIN');
  });

  test('owner may only be set by a key, and must be a person', async () => {
    const key = await createKey();
    expectError(await call(t.app, 'POST', '/api/v1/meetings', { as: 'bob@example.com', body: { meeting_id: 'o1', owner: 'eve@example.com' } }), 400, 'INVALID_REQUEST');
    expectError(await asKey(key.secret, 'POST', '/api/v1/meetings', { owner: 'guest-0123456789abcdef' }), 400, 'INVALID_REQUEST');
    expectError(await asKey(key.secret, 'POST', '/api/v1/meetings', { owner: 'app:someone' }), 400, 'INVALID_REQUEST');
    expectError(await asKey(key.secret, 'POST', '/api/v1/meetings', { owner: 'a\u202eb' }), 400, 'INVALID_REQUEST');
  });

  test('keys are not subject to the CSRF check and last_used_at is kept', async () => {
    const key = await createKey();
    const res = await call(t.app, 'POST', '/api/v1/meetings', { headers: { ...bearer(key.secret), origin: 'https://evil.example' }, body: {} });
    assert.equal(res.status, 201);
    let lastUsed: number | null = null;
    for (let i = 0; i < 50 && lastUsed === null; i++) {
      const listed = await call(t.app, 'GET', '/api/v1/api-keys', { as: ADMIN });
      lastUsed = listed.body.result.keys.find((k: { id: string }) => k.id === key.id).last_used_at;
      if (lastUsed === null) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(typeof lastUsed, 'number');
  });

  test('a revoked key is refused by a second API instance on the same database within seconds', async () => {
    const url = t.url;
    let secondDb: Database = t.db;
    if (url !== undefined) secondDb = createPostgresDatabase({ connectionString: url, poolSize: 2 });
    const second = await buildApp({ ...testConfig, adminEmails: [ADMIN] }, { db: secondDb, logger: false, apiKeyCacheMs: 300 });
    await second.ready();
    try {
      const key = await createKey();
      const seen = await call(second, 'GET', '/api/v1/meetings', { headers: bearer(key.secret) });
      assert.equal(seen.status, 200);
      assert.equal((await call(t.app, 'DELETE', `/api/v1/api-keys/${key.id}`, { as: ADMIN })).status, 200);
      // The second instance trusted the key a moment ago; it must refuse it within its cache period.
      const start = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - start < 10_000) {
        status = (await call(second, 'GET', '/api/v1/meetings', { headers: bearer(key.secret) })).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(status, 401);
    } finally {
      await second.close();
      if (secondDb !== t.db) await secondDb.close();
    }
  });

  test('keys have their own rate limit', async () => {
    const limited = await startTestApp({ config: { adminEmails: [ADMIN], apiKeyRateLimitPerMinute: 3 } });
    try {
      const created = await call(limited.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: { name: 'busy' } });
      const secret = created.body.result.secret;
      for (let i = 0; i < 3; i++) assert.equal((await call(limited.app, 'GET', '/api/v1/meetings', { headers: bearer(secret) })).status, 200);
      const res = await call(limited.app, 'GET', '/api/v1/meetings', { headers: bearer(secret) });
      expectError(res, 429, 'RATE_LIMITED');
      // A person is not counted against the key.
      assert.equal((await call(limited.app, 'GET', '/api/v1/meetings', { as: 'p@example.com' })).status, 200);
    } finally {
      await limited.close();
    }
  });
});

describe('join links', () => {
  let key: { id: string; secret: string };
  before(async () => {
    key = await createKey('links');
  });

  test('minting: url under PUBLIC_URL, defaults, and every bad input with its code', async () => {
    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'mint' });
    const res = await asKey(key.secret, 'POST', api('mint', '/join-links'), { identity: 'pat@clinic.example', display_name: 'Pat' });
    assert.equal(res.status, 201);
    const link = res.body.result;
    assert.deepEqual(Object.keys(link).sort(), ['expires_at', 'id', 'token', 'url']);
    assert.equal(link.url, `${PUBLIC_URL}/j/${link.token}`);
    const ttl = link.expires_at - Math.floor(Date.now() / 1000);
    assert.ok(ttl > 3590 && ttl <= 3600, `default expiry an hour away (${ttl})`);

    const bad = [
      { identity: 'guest-0123456789abcdef', display_name: 'G' },
      { identity: 'Guest-x', display_name: 'G' },
      { identity: 'app:abc', display_name: 'A' },
      { identity: '', display_name: 'E' },
      { identity: 'a'.repeat(256), display_name: 'L' },
      { identity: 'zero\u200bwidth', display_name: 'Z' },
      { identity: 'bidi\u202eevil', display_name: 'B' },
      { identity: 'ctl\u0001', display_name: 'C' },
      { identity: 'ok@example.com', display_name: '' },
      { identity: 'ok@example.com', display_name: 'N', role: 'owner' },
      { identity: 'ok@example.com', display_name: 'N', expires_in_secs: 59 },
      { identity: 'ok@example.com', display_name: 'N', expires_in_secs: 604_801 },
      { identity: 'ok@example.com', display_name: 'N', skip_waiting_room: 'yes' },
      { identity: 'ok@example.com', display_name: 'N', extra: 1 },
      { display_name: 'no identity' },
    ];
    for (const body of bad) {
      expectError(await asKey(key.secret, 'POST', api('mint', '/join-links'), body), 400, 'INVALID_REQUEST');
    }
    expectError(await asKey(key.secret, 'POST', api('nope', '/join-links'), { identity: 'a@b.c', display_name: 'A' }), 404, 'MEETING_NOT_FOUND');
    expectError(await asKey(key.secret, 'POST', api('bad id!', '/join-links'), { identity: 'a@b.c', display_name: 'A' }), 400, 'INVALID_MEETING_ID');
  });

  test('who may mint: owner and host any role, co-host not host links, others NOT_HOST', async () => {
    await call(t.app, 'POST', '/api/v1/meetings', { as: 'owner@example.com', body: { meeting_id: 'who-mints', waiting_room_enabled: false } });
    const body = (role: string) => ({ identity: `${role}-x@example.com`, display_name: 'X', role });
    assert.equal((await call(t.app, 'POST', api('who-mints', '/join-links'), { as: 'owner@example.com', body: body('host') })).status, 201);
    await call(t.app, 'POST', api('who-mints', '/join'), { as: 'owner@example.com' });
    await call(t.app, 'POST', api('who-mints', '/join'), { as: 'co@example.com' });
    await call(t.app, 'POST', api('who-mints', '/role'), { as: 'owner@example.com', body: { email: 'co@example.com', role: 'cohost' } });
    await call(t.app, 'POST', api('who-mints', '/join'), { as: 'att@example.com' });
    assert.equal((await call(t.app, 'POST', api('who-mints', '/join-links'), { as: 'co@example.com', body: body('cohost') })).status, 201);
    assert.equal((await call(t.app, 'POST', api('who-mints', '/join-links'), { as: 'co@example.com', body: body('attendee') })).status, 201);
    expectError(await call(t.app, 'POST', api('who-mints', '/join-links'), { as: 'co@example.com', body: body('host') }), 403, 'NOT_HOST');
    expectError(await call(t.app, 'POST', api('who-mints', '/join-links'), { as: 'att@example.com', body: body('attendee') }), 403, 'NOT_HOST');
    expectError(await call(t.app, 'POST', api('who-mints', '/join-links'), { as: 'stranger@example.com', body: body('attendee') }), 403, 'NOT_HOST');
  });

  test('redeem: a link session usable only for its meeting; bad tokens are INVALID_LINK', async () => {
    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'redeem-a' });
    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'redeem-b' });
    const minted = await asKey(key.secret, 'POST', api('redeem-a', '/join-links'), { identity: 'pat@clinic.example', display_name: 'Pat' });
    const res = await redeem(minted.body.result.token);
    assert.equal(res.status, 200);
    assert.equal(res.body.result.email, 'pat@clinic.example');
    assert.equal(res.body.result.name, 'Pat');
    assert.equal(res.body.result.kind, 'link');
    assert.ok(res.body.result.expires_at <= minted.body.result.expires_at);
    assert.ok([res.raw.headers['set-cookie']].flat().some((c) => String(c).startsWith('session=')), 'the session cookie is set');
    const session = bearer(res.body.result.session_token);

    const who = await call(t.app, 'GET', '/session', { headers: session });
    assert.equal(who.body.result.kind, 'link');
    assert.equal((await call(t.app, 'GET', api('redeem-a'), { headers: session })).status, 200);
    expectError(await call(t.app, 'GET', api('redeem-b'), { headers: session }), 404, 'MEETING_NOT_FOUND');
    expectError(await call(t.app, 'POST', api('redeem-b', '/join'), { headers: session }), 404, 'MEETING_NOT_FOUND');
    expectError(await call(t.app, 'GET', '/api/v1/meetings', { headers: session }), 403, 'NOT_ALLOWED_FOR_LINK');
    expectError(await call(t.app, 'POST', '/api/v1/meetings', { headers: session, body: {} }), 403, 'NOT_ALLOWED_FOR_LINK');

    // Redeemable again (another device) until it expires.
    assert.equal((await redeem(minted.body.result.token)).status, 200);

    const token: string = minted.body.result.token;
    const [h, p, s] = token.split('.');
    const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), room: 'redeem-b' })).toString('base64url');
    for (const bad of ['', 'garbage', flipped, `${h}.${otherPayload}.${s}`, 'a.b.c', token + 'x', minted.body.result.id]) {
      expectError(await redeem(bad), 401, 'INVALID_LINK');
    }
    // A session token is not a link token (other audience and key).
    expectError(await redeem(res.body.result.session_token), 401, 'INVALID_LINK');
    expectError(await redeem(42), 400, 'INVALID_REQUEST');
    expectError(await call(t.app, 'POST', '/api/v1/join-links/redeem', { body: {} }), 400, 'INVALID_REQUEST');
  });

  test('expiry, revocation and a re-created meeting id void the link and its sessions', async () => {
    let now = Date.now();
    const clocked = await startTestApp({ config: { adminEmails: [ADMIN] }, deps: { now: () => now } });
    try {
      const k = (await call(clocked.app, 'POST', '/api/v1/api-keys', { as: ADMIN, body: { name: 'c' } })).body.result;
      const h = bearer(k.secret);
      await call(clocked.app, 'POST', '/api/v1/meetings', { headers: h, body: { meeting_id: 'exp' } });
      const short = await call(clocked.app, 'POST', api('exp', '/join-links'), { headers: h, body: { identity: 'a@x.example', display_name: 'A', expires_in_secs: 60 } });
      const redeemed = await call(clocked.app, 'POST', '/api/v1/join-links/redeem', { body: { token: short.body.result.token } });
      assert.equal(redeemed.status, 200);
      now += 61_000;
      expectError(await call(clocked.app, 'POST', '/api/v1/join-links/redeem', { body: { token: short.body.result.token } }), 401, 'INVALID_LINK');
      expectError(await call(clocked.app, 'GET', api('exp'), { headers: bearer(redeemed.body.result.session_token) }), 401, 'UNAUTHORIZED');
    } finally {
      await clocked.close();
    }

    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'revoke-me' });
    const { session, link } = await linkSession(key.secret, 'revoke-me', { identity: 'r@x.example', display_name: 'R' });
    assert.equal((await call(t.app, 'GET', api('revoke-me'), { headers: bearer(session) })).status, 200);
    const del = await asKey(key.secret, 'DELETE', api('revoke-me', `/join-links/${link.id}`));
    assert.equal(del.status, 200);
    assert.equal(typeof del.body.result.message, 'string');
    expectError(await redeem(link.token), 401, 'INVALID_LINK');
    expectError(await call(t.app, 'GET', api('revoke-me'), { headers: bearer(session) }), 401, 'UNAUTHORIZED');
    expectError(await asKey(key.secret, 'DELETE', api('revoke-me', '/join-links/nosuchlink')), 404, 'NOT_FOUND');

    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'reborn' });
    const old = await asKey(key.secret, 'POST', api('reborn', '/join-links'), { identity: 'o@x.example', display_name: 'O' });
    await asKey(key.secret, 'DELETE', api('reborn'));
    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'reborn' });
    expectError(await redeem(old.body.result.token), 401, 'INVALID_LINK');
  });

  test('join by role: host activates, attendee waits then is admitted, skip_waiting_room and cohost are admitted at once', async () => {
    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'roles' });
    const host = await linkSession(key.secret, 'roles', { identity: 'host@clinic.example', display_name: 'Dr Host', role: 'host' });
    const att = await linkSession(key.secret, 'roles', { identity: 'pat@clinic.example', display_name: 'Pat' });
    const skip = await linkSession(key.secret, 'roles', { identity: 'fast@clinic.example', display_name: 'Fast', skip_waiting_room: true });
    const co = await linkSession(key.secret, 'roles', { identity: 'co@clinic.example', display_name: 'Co', role: 'cohost' });
    const host2 = await linkSession(key.secret, 'roles', { identity: 'host2@clinic.example', display_name: 'Second', role: 'host' });

    // Before the host: non-host links find the meeting not active.
    expectError(await call(t.app, 'POST', api('roles', '/join'), { headers: bearer(att.session) }), 400, 'MEETING_NOT_ACTIVE');

    const h = await call(t.app, 'POST', api('roles', '/join'), { headers: bearer(host.session), body: { display_name: 'ignored' } });
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.equal(h.body.result.role, 'host');
    assert.equal(h.body.result.status, 'admitted');
    assert.equal(h.body.result.display_name, 'Dr Host');
    assert.equal(typeof h.body.result.room_token, 'string');
    assert.equal((await asKey(key.secret, 'GET', api('roles'))).body.result.state, 'active');

    const a = await call(t.app, 'POST', api('roles', '/join'), { headers: bearer(att.session) });
    assert.equal(a.body.result.status, 'waiting');
    assert.equal(a.body.result.room_token, null);
    const admitted = await call(t.app, 'POST', api('roles', '/admit'), { headers: bearer(host.session), body: { email: 'pat@clinic.example' } });
    assert.equal(admitted.status, 200);
    const status = await call(t.app, 'GET', api('roles', '/status'), { headers: bearer(att.session) });
    assert.equal(status.body.result.status, 'admitted');
    assert.equal(typeof status.body.result.room_token, 'string');

    const s = await call(t.app, 'POST', api('roles', '/join'), { headers: bearer(skip.session) });
    assert.equal(s.body.result.status, 'admitted');
    assert.equal(s.body.result.role, 'attendee');
    const c = await call(t.app, 'POST', api('roles', '/join'), { headers: bearer(co.session) });
    assert.equal(c.body.result.status, 'admitted');
    assert.equal(c.body.result.role, 'cohost');
    // A second host link while the host is in: co-host.
    const h2 = await call(t.app, 'POST', api('roles', '/join'), { headers: bearer(host2.session) });
    assert.equal(h2.body.result.role, 'cohost');
    assert.equal(h2.body.result.status, 'admitted');

    // A link's host mints links for its meeting (any role), and only that meeting.
    assert.equal((await call(t.app, 'POST', api('roles', '/join-links'), { headers: bearer(host.session), body: { identity: 'n@x.example', display_name: 'N', role: 'host' } })).status, 201);
    expectError(await call(t.app, 'POST', api('mint', '/join-links'), { headers: bearer(host.session), body: { identity: 'n@x.example', display_name: 'N' } }), 404, 'MEETING_NOT_FOUND');
  });

  test('a banned identity stays banned, whatever its link says', async () => {
    await asKey(key.secret, 'POST', '/api/v1/meetings', { meeting_id: 'bans' });
    const host = await linkSession(key.secret, 'bans', { identity: 'h@x.example', display_name: 'H', role: 'host' });
    await call(t.app, 'POST', api('bans', '/join'), { headers: bearer(host.session) });
    const pest = await linkSession(key.secret, 'bans', { identity: 'pest@x.example', display_name: 'Pest' });
    await call(t.app, 'POST', api('bans', '/join'), { headers: bearer(pest.session) });
    const rejected = await call(t.app, 'POST', api('bans', '/reject'), { headers: bearer(host.session), body: { email: 'pest@x.example', ban: true } });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    for (const body of [
      { identity: 'pest@x.example', display_name: 'Pest again', skip_waiting_room: true },
      { identity: 'pest@x.example', display_name: 'Pest co', role: 'cohost' },
      { identity: 'pest@x.example', display_name: 'Pest host', role: 'host' },
    ]) {
      const again = await linkSession(key.secret, 'bans', body);
      expectError(await call(t.app, 'POST', api('bans', '/join'), { headers: bearer(again.session) }), 403, 'PARTICIPANT_BANNED');
    }
  });

  test('redeem is rate-limited per address at no less than 60 a minute', async () => {
    let last = 0;
    for (let i = 0; i < 60; i++) {
      last = (await call(t.app, 'POST', '/api/v1/join-links/redeem', { body: { token: 'x' }, headers: { 'x-forwarded-for': '1.2.3.4' } })).status;
      assert.equal(last, 401);
    }
  });
});

describe('framing of the meeting pages', () => {
  test('/j/ and /m/ may be framed by EMBED_ORIGINS only (frame-ancestors, no X-Frame-Options); other pages by nobody', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'web-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
    const framed = await startTestApp({ config: { webAppDir: dir, embedOrigins: ['https://clinic.example', 'http://127.0.0.1:9200'] } });
    const closed = await startTestApp({ config: { webAppDir: dir } });
    try {
      for (const path of ['/j/some.token.here', '/m/room-1']) {
        const res = await framed.app.inject({ method: 'GET', url: path });
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-security-policy']), /frame-ancestors https:\/\/clinic\.example http:\/\/127\.0\.0\.1:9200$/);
        assert.equal(res.headers['x-frame-options'], undefined);
        const none = await closed.app.inject({ method: 'GET', url: path });
        assert.match(String(none.headers['content-security-policy']), /frame-ancestors 'none'/);
      }
      const home = await framed.app.inject({ method: 'GET', url: '/' });
      assert.match(String(home.headers['content-security-policy']), /frame-ancestors 'none'/);
      const config = await call(framed.app, 'GET', '/api/v1/client-config');
      assert.deepEqual(config.body.result.embed_origins, ['https://clinic.example', 'http://127.0.0.1:9200']);
    } finally {
      await framed.close();
      await closed.close();
    }
  });
});
