import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CallerKind } from 'meeting-types';
import { identifyByEmailCookie, type IdentifyCaller } from '../src/plugins/caller';
import { api, call, expectError, hostStarts, startTestApp, type TestApp } from './helpers';
import { eventually, startReceiver, type Receiver } from './webhook-receiver';

const ADMIN = 'admin@example.com';
const HOST = 'host@example.com';

/** API keys as the key seam will present them: identity `app:<key id>` (header only in these tests). */
const identifyWithKeys: IdentifyCaller = (request) => {
  const key = request.headers['x-test-key'];
  if (typeof key === 'string') return { id: `app:${key}`, name: null, kind: 'app' as CallerKind, sid: null, expiresAt: null, ambient: false };
  return ({ id: identifyByEmailCookie(request), name: null, kind: 'email-cookie', sid: null, expiresAt: null, ambient: true });
};

const asKey = (key: string) => ({ headers: { 'x-test-key': key } });
const receivers: Receiver[] = [];
async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}
after(async () => {
  for (const r of receivers) await r.close();
});

async function createEndpoint(t: TestApp, r: Receiver, extra: Record<string, unknown> = {}, as: { as?: string; headers?: Record<string, string> } = { as: ADMIN }) {
  const res = await call(t.app, 'POST', '/api/v1/webhooks', { ...as, body: { url: r.url, ...extra } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  r.setSecret(res.body.result.secret);
  return res.body.result as { id: string; secret: string };
}

async function meetingPk(t: TestApp, roomId: string): Promise<number> {
  const { rows } = await t.db.query<{ id: number }>('SELECT id FROM meetings WHERE room_id = $1 ORDER BY id DESC LIMIT 1', [roomId]);
  return rows[0]!.id;
}

async function logOf(t: TestApp, roomId: string) {
  const { rows } = await t.db.query<{ seq: string; type: string }>(
    'SELECT seq, type FROM meeting_events WHERE meeting_id = $1 ORDER BY seq',
    [await meetingPk(t, roomId)],
  );
  return rows.map((r) => ({ seq: Number(r.seq), type: r.type }));
}

/** Host starts, one attendee knocks, is admitted, leaves: four or more events. */
async function someEvents(t: TestApp, roomId: string, attendee = 'ann@example.com') {
  await hostStarts(t.app, roomId, HOST);
  await call(t.app, 'POST', api(roomId, '/join'), { as: attendee, body: { display_name: 'Ann' } });
  await call(t.app, 'POST', api(roomId, '/admit'), { as: HOST, body: { email: attendee } });
  await call(t.app, 'POST', api(roomId, '/leave'), { as: attendee });
}

const delivered = (r: Receiver, roomId: string) => r.received.filter((x) => x.status >= 200 && x.status < 300 && x.verified?.data.meeting_id === roomId);

describe('endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ config: { adminEmails: [ADMIN] }, deps: { identifyCaller: identifyWithKeys } });
  });
  after(() => t.close());

  test('only admins and API keys manage webhooks; others get NOT_ADMIN', async () => {
    expectError(await call(t.app, 'POST', '/api/v1/webhooks', { as: HOST, body: { url: 'https://hooks.example.com/x' } }), 403, 'NOT_ADMIN');
    expectError(await call(t.app, 'GET', '/api/v1/webhooks', { as: HOST }), 403, 'NOT_ADMIN');
    expectError(await call(t.app, 'GET', '/api/v1/webhooks'), 401, 'UNAUTHORIZED');
  });

  test('create shows a whsec_ secret once; list, get, patch and delete never show it', async () => {
    const created = await call(t.app, 'POST', '/api/v1/webhooks', {
      as: ADMIN,
      body: { url: 'https://93.184.215.14/hook', events: ['participant.admitted', 'meeting.ended'], description: 'billing' },
    });
    assert.equal(created.status, 201);
    const w = created.body.result;
    assert.match(w.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(Buffer.from(w.secret.slice(6), 'base64').length, 24);
    assert.deepEqual(w.events, ['participant.admitted', 'meeting.ended']);
    assert.equal(w.disabled, false);

    const list = await call(t.app, 'GET', '/api/v1/webhooks', { as: ADMIN });
    const listed = list.body.result.webhooks.find((x: { id: string }) => x.id === w.id);
    assert.ok(listed);
    assert.equal(listed.secret, undefined);
    const got = await call(t.app, 'GET', `/api/v1/webhooks/${w.id}`, { as: ADMIN });
    assert.equal(got.body.result.secret, undefined);
    assert.equal(got.body.result.description, 'billing');

    const patched = await call(t.app, 'PATCH', `/api/v1/webhooks/${w.id}`, { as: ADMIN, body: { events: null, disabled: true } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.result.events, null);
    assert.equal(patched.body.result.disabled, true);
    expectError(await call(t.app, 'PATCH', `/api/v1/webhooks/${w.id}`, { as: ADMIN, body: { url: 'http://93.184.215.14/' } }), 400, 'INVALID_WEBHOOK_URL');

    const deleted = await call(t.app, 'DELETE', `/api/v1/webhooks/${w.id}`, { as: ADMIN });
    assert.equal(deleted.status, 200);
    assert.equal(typeof deleted.body.result.message, 'string');
    expectError(await call(t.app, 'GET', `/api/v1/webhooks/${w.id}`, { as: ADMIN }), 404, 'NOT_FOUND');
    expectError(await call(t.app, 'DELETE', `/api/v1/webhooks/${w.id}`, { as: ADMIN }), 404, 'NOT_FOUND');
  });

  test('bad input: unknown event names and a missing url are INVALID_REQUEST; a bad url INVALID_WEBHOOK_URL', async () => {
    expectError(await call(t.app, 'POST', '/api/v1/webhooks', { as: ADMIN, body: { url: 'https://93.184.215.14/', events: ['meeting.exploded'] } }), 400, 'INVALID_REQUEST');
    expectError(await call(t.app, 'POST', '/api/v1/webhooks', { as: ADMIN, body: {} }), 400, 'INVALID_REQUEST');
    expectError(await call(t.app, 'POST', '/api/v1/webhooks', { as: ADMIN, body: { url: 42 } }), 400, 'INVALID_REQUEST');
    for (const url of ['not a url', 'ftp://93.184.215.14/', '', 'https://user:pw@93.184.215.14/']) {
      expectError(await call(t.app, 'POST', '/api/v1/webhooks', { as: ADMIN, body: { url } }), 400, 'INVALID_WEBHOOK_URL');
    }
  });

  test('SSRF: http, private, loopback, link-local and local names are refused at creation', async () => {
    for (const url of [
      'http://93.184.215.14/hook',
      'https://127.0.0.1/hook',
      'https://10.1.2.3/hook',
      'https://192.168.1.1/hook',
      'https://172.16.0.5/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[fe80::1]/hook',
      'https://[fd00::1]/hook',
      'https://0.0.0.0/hook',
      'https://localhost/hook',
      'https://api.localhost/hook',
    ]) {
      expectError(await call(t.app, 'POST', '/api/v1/webhooks', { as: ADMIN, body: { url } }), 400, 'INVALID_WEBHOOK_URL');
    }
  });

  test('an API key sees only its own endpoints', async () => {
    const mine = await call(t.app, 'POST', '/api/v1/webhooks', { ...asKey('k1'), body: { url: 'https://93.184.215.14/k1' } });
    assert.equal(mine.status, 201);
    const theirs = await call(t.app, 'POST', '/api/v1/webhooks', { ...asKey('k2'), body: { url: 'https://93.184.215.14/k2' } });
    const list = await call(t.app, 'GET', '/api/v1/webhooks', asKey('k1'));
    assert.deepEqual(list.body.result.webhooks.map((w: { id: string }) => w.id), [mine.body.result.id]);
    expectError(await call(t.app, 'GET', `/api/v1/webhooks/${theirs.body.result.id}`, asKey('k1')), 404, 'NOT_FOUND');
    expectError(await call(t.app, 'DELETE', `/api/v1/webhooks/${theirs.body.result.id}`, asKey('k1')), 404, 'NOT_FOUND');
    expectError(await call(t.app, 'GET', `/api/v1/webhooks/${theirs.body.result.id}/deliveries`, asKey('k1')), 404, 'NOT_FOUND');
  });

  test('at delivery a name resolving to loopback is refused even when the endpoint row says so, and nothing is sent', async () => {
    const r = await receiver();
    // As if stored before a policy change, or by another instance allowing it: the delivery-time check still holds.
    await t.db.query(`INSERT INTO webhook_endpoints (id, owner, url, secret) VALUES ('wh_dns', $1, $2, 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3')`, [
      ADMIN,
      `https://localhost:${r.port}/hook`,
    ]);
    await hostStarts(t.app, 'ssrf-dns', HOST);
    const row = await eventually(async () => {
      const { rows } = await t.db.query<{ attempts: number; last_error: string | null }>(
        `SELECT attempts, last_error FROM webhook_deliveries WHERE endpoint_id = 'wh_dns' AND last_error IS NOT NULL LIMIT 1`,
      );
      return rows[0];
    }, 'a refused attempt');
    assert.match(row.last_error!, /localhost resolves to (127\.0\.0\.1|::1)/);
    assert.equal(r.received.length, 0);
    await t.db.query(`DELETE FROM webhook_endpoints WHERE id = 'wh_dns'`);
  });
});

describe('delivery', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      config: { adminEmails: [ADMIN], webhookAllowPrivate: true },
      deps: { identifyCaller: identifyWithKeys, webhookDelivery: { retryBaseMs: 50, retryMaxMs: 400, giveUpAfterMs: 2_000 } },
    });
  });
  after(() => t.close());

  test('a receiver answering 500 twice then 200 gets every event in order, the same webhook-id on retries, signatures that verify', async () => {
    const r = await receiver((n) => (n < 2 ? 500 : 200));
    const endpoint = await createEndpoint(t, r);
    await someEvents(t, 'wh-order');
    const log = await logOf(t, 'wh-order');
    assert.ok(log.length >= 4, `events: ${JSON.stringify(log)}`);
    await r.waitFor(() => delivered(r, 'wh-order').length === log.length, 'every event answered 2xx');

    const instance = await meetingPk(t, 'wh-order');
    // Every request verified with the standardwebhooks library, as a receiver does.
    assert.ok(r.received.every((x) => x.verified !== undefined), 'every signature verifies');
    // The first event was tried three times with the same webhook-id.
    assert.deepEqual(r.received.slice(0, 3).map((x) => x.headers['webhook-id']), Array(3).fill(`msg_${instance}_1`));
    // 2xx answers: exactly the log, in order, once each.
    const ok = delivered(r, 'wh-order');
    assert.deepEqual(ok.map((x) => [x.verified!.data.seq, x.verified!.type]), log.map((e) => [e.seq, e.type]));
    assert.deepEqual(ok.map((x) => x.headers['webhook-id']), log.map((e) => `msg_${instance}_${e.seq}`));
    // Never an event before the previous one was answered 2xx.
    const seqsSent = r.received.map((x) => x.verified!.data.seq as number);
    for (let i = 1; i < seqsSent.length; i++) assert.ok(seqsSent[i]! >= seqsSent[i - 1]!, `sent in order: ${seqsSent.join(',')}`);
    // The body: {type, timestamp, data} with data as the stream carries it.
    const first = ok[0]!.verified!;
    assert.equal(first.data.meeting_id, 'wh-order');
    assert.equal(typeof first.timestamp, 'number');
    assert.equal(first.data.type, first.type);
    assert.equal(typeof first.data.occurred_at, 'number');
    assert.ok('actor' in first.data);
    const admitted = ok.find((x) => x.verified!.type === 'participant.admitted' && (x.verified!.data.participant as { email: string }).email === 'ann@example.com');
    assert.equal((admitted!.verified!.data.participant as { room_token: unknown }).room_token, null);

    // The delivery log shows the three attempts of the first event.
    const deliveries = await call(t.app, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries?limit=500`, { as: ADMIN });
    assert.equal(deliveries.status, 200);
    const firstDelivery = deliveries.body.result.deliveries[0];
    assert.equal(firstDelivery.webhook_id, `msg_${instance}_1`);
    assert.equal(firstDelivery.attempts, 3);
    assert.equal(firstDelivery.status, 'delivered');
    assert.equal(firstDelivery.last_status_code, 200);
    assert.equal(firstDelivery.next_attempt_at, null);
    // The last 2xx is recorded just after the receiver answered it.
    const metrics = await eventually(async () => {
      const body = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      return body.includes(`meeting_api_webhook_deliveries_total ${log.length}\n`) ? body : undefined;
    }, 'the delivered counter');
    assert.match(metrics, /meeting_api_webhook_retries_total 2\n/);
    assert.match(metrics, /meeting_api_webhook_pending_deliveries 0\n/);
    await call(t.app, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, { as: ADMIN, body: { disabled: true } });
  });

  test('a failing event is given up, later events still follow in order, the failure is visible, and a manual retry sends it again', async () => {
    let firstFails = true;
    let firstId = '';
    const r = await receiver((n, id) => {
      if (n === 0) firstId = id;
      return id === firstId && firstFails ? 503 : 200;
    });
    const endpoint = await createEndpoint(t, r);
    await someEvents(t, 'wh-giveup');
    const log = await logOf(t, 'wh-giveup');
    await r.waitFor(() => delivered(r, 'wh-giveup').length === log.length - 1, 'every later event');
    const ok = delivered(r, 'wh-giveup');
    assert.deepEqual(ok.map((x) => x.verified!.data.seq), log.slice(1).map((e) => e.seq));
    const page = await call(t.app, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries`, { as: ADMIN });
    const failed = page.body.result.deliveries[0];
    assert.equal(failed.status, 'failed');
    assert.equal(failed.last_status_code, 503);
    assert.ok(failed.attempts >= 2);
    assert.match((await t.app.inject({ method: 'GET', url: '/metrics' })).body, /meeting_api_webhook_failures_total 1\n/);

    firstFails = false;
    const retried = await call(t.app, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/${failed.id}/retry`, { as: ADMIN });
    assert.equal(retried.status, 200);
    assert.equal(retried.body.result.status, 'pending');
    await r.waitFor(() => delivered(r, 'wh-giveup').length === log.length, 'the retried event');
    expectError(await call(t.app, 'POST', `/api/v1/webhooks/${endpoint.id}/deliveries/999999/retry`, { as: ADMIN }), 404, 'NOT_FOUND');
    await call(t.app, 'PATCH', `/api/v1/webhooks/${endpoint.id}`, { as: ADMIN, body: { disabled: true } });
  });

  test('a redirect is not followed, even to an allowed address', async () => {
    const target = await receiver();
    const r = await receiver(() => ({ redirect: target.url }));
    const endpoint = await createEndpoint(t, r);
    await hostStarts(t.app, 'wh-redirect', HOST);
    await r.waitFor((x) => x.length >= 2, 'two attempts');
    const page = await call(t.app, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries`, { as: ADMIN });
    assert.equal(page.body.result.deliveries[0].status, 'pending');
    assert.equal(page.body.result.deliveries[0].last_status_code, 302);
    assert.equal(target.received.length, 0);
    await call(t.app, 'DELETE', `/api/v1/webhooks/${endpoint.id}`, { as: ADMIN });
  });

  test('an endpoint of one key never receives another key\'s meetings; an admin endpoint receives all', async () => {
    const [r1, r2, rAdmin] = [await receiver(), await receiver(), await receiver()];
    await createEndpoint(t, r1, {}, asKey('k1'));
    await createEndpoint(t, r2, {}, asKey('k2'));
    const admin = await createEndpoint(t, rAdmin);
    for (const [room, key] of [['wh-k1', 'k1'], ['wh-k2', 'k2'], ['wh-nokey', null]] as const) {
      await call(t.app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: room } });
      // What the API keys' create does: the meeting remembers the key that created it.
      await t.db.query('UPDATE meetings SET created_by_key_id = $2 WHERE room_id = $1 AND deleted_at IS NULL', [room, key]);
      await someEvents(t, room);
    }
    const count = async (room: string) => (await logOf(t, room)).length;
    const total = (await count('wh-k1')) + (await count('wh-k2')) + (await count('wh-nokey'));
    await rAdmin.waitFor((x) => x.filter((y) => y.status === 200).length === total, 'the admin endpoint gets everything');
    await eventually(async () => (delivered(r1, 'wh-k1').length === (await count('wh-k1')) ? true : undefined), 'k1 gets its meeting');
    await eventually(async () => (delivered(r2, 'wh-k2').length === (await count('wh-k2')) ? true : undefined), 'k2 gets its meeting');
    assert.deepEqual([...new Set(r1.received.map((x) => x.verified?.data.meeting_id))], ['wh-k1']);
    assert.deepEqual([...new Set(r2.received.map((x) => x.verified?.data.meeting_id))], ['wh-k2']);
    await call(t.app, 'PATCH', `/api/v1/webhooks/${admin.id}`, { as: ADMIN, body: { disabled: true } });
  });

  test('an endpoint receives only the event types it subscribes to, and a disabled one nothing', async () => {
    const r = await receiver();
    const endpoint = await createEndpoint(t, r, { events: ['participant.admitted'] });
    const off = await receiver();
    const disabled = await createEndpoint(t, off);
    await call(t.app, 'PATCH', `/api/v1/webhooks/${disabled.id}`, { as: ADMIN, body: { disabled: true } });
    await someEvents(t, 'wh-filter');
    const admitted = (await logOf(t, 'wh-filter')).filter((e) => e.type === 'participant.admitted');
    await r.waitFor(() => delivered(r, 'wh-filter').length === admitted.length, 'the admitted events');
    assert.ok(r.received.every((x) => x.verified?.type === 'participant.admitted'));
    const { rows } = await t.db.query(`SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1`, [disabled.id]);
    assert.equal(rows.length, 0, 'nothing is queued for a disabled endpoint');
    await call(t.app, 'DELETE', `/api/v1/webhooks/${endpoint.id}`, { as: ADMIN });
  });
});

describe('a hanging endpoint', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      config: { adminEmails: [ADMIN], webhookAllowPrivate: true },
      // Long enough that the hanging endpoint holds its slots for the whole test.
      deps: { webhookDelivery: { timeoutMs: 120_000, leaseMs: 180_000, perEndpoint: 2, maxConcurrency: 4 } },
    });
  });
  after(() => t.close());

  test('does not delay another endpoint', async () => {
    const slow = await receiver(() => 'hang');
    const fast = await receiver();
    await createEndpoint(t, slow);
    await createEndpoint(t, fast);
    const rooms = Array.from({ length: 8 }, (_, i) => `wh-hang-${i}`);
    for (const room of rooms) await someEvents(t, room);
    let expected = 0;
    for (const room of rooms) expected += (await logOf(t, room)).length;
    await fast.waitFor((x) => x.filter((y) => y.status === 200).length === expected, 'the fast endpoint gets every event');
    // Meanwhile the slow one holds only its own slots, with every attempt still unanswered.
    assert.equal(slow.received.length, 2);
  });
});
