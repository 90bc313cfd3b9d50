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
  t = await startTestApp({ config: { adminEmails: [ADMIN], publicUrl: PUBLIC_URL, apiKeyCacheMs: 300, apiKeyRateLimitPerMinute: 10_000 } });
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
    const second = await buildApp({ ...testConfig, adminEmails: [ADMIN], apiKeyCacheMs: 300 }, { db: secondDb, logger: false });
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
