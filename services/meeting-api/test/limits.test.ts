import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppConfig } from '../src/app';
import { argon2Hasher, type PasswordHasher } from '../src/domain/passwords';
import { api, call, createTestDatabase, expectError, testConfig, type TestDatabase } from './helpers';

let database: TestDatabase;
const apps: FastifyInstance[] = [];
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await database.drop();
});

async function appWith(config: Partial<AppConfig> = {}, hasher?: PasswordHasher): Promise<FastifyInstance> {
  const app = await buildApp({ ...testConfig, ...config }, { db: database.db, logger: false, ...(hasher ? { hasher } : {}) });
  await app.ready();
  apps.push(app);
  return app;
}

/** A listening app, for what only a real socket shows (timeouts, header limits, connection caps). */
async function listening(config: Partial<AppConfig>): Promise<{ app: FastifyInstance; port: number }> {
  const app = await appWith(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as net.AddressInfo).port };
}

/** Writes `request` on a raw socket and collects everything until the server closes it. */
function rawExchange(port: number, request: string, keepWriting?: (s: net.Socket) => void): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ text, closed: true }));
    socket.once('connect', () => {
      socket.write(request);
      keepWriting?.(socket);
    });
    // A guard against hangs, not a timing assertion.
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`server kept the socket open; got so far: ${text.slice(0, 200)}`));
    }, 30_000).unref();
  });
}

function envelopeOf(raw: string): { code: string; message: string } {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return (JSON.parse(body) as { result: { code: string; message: string } }).result;
}

describe('request timeouts and header limits (real sockets)', () => {
  test('a body that trickles in is cut with 408 REQUEST_TIMEOUT in the envelope once REQUEST_TIMEOUT_SECS pass', async () => {
    const { port } = await listening({ requestTimeoutMs: 1000 });
    const { text } = await rawExchange(
      port,
      'POST /api/v1/meetings HTTP/1.1\r\nHost: localhost\r\nCookie: email=slow@x.io\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{',
    );
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /content-type: application\/json/i);
    assert.equal(envelopeOf(text).code, 'REQUEST_TIMEOUT');
  });

  test('headers that never finish are cut the same way', async () => {
    const { port } = await listening({ requestTimeoutMs: 1000 });
    const { text } = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.equal(envelopeOf(text).code, 'REQUEST_TIMEOUT');
  });

  test('oversized headers get 431 HEADERS_TOO_LARGE in the envelope', async () => {
    const { port } = await listening({});
    const { text } = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 431 /);
    assert.equal(envelopeOf(text).code, 'HEADERS_TOO_LARGE');
  });

  test('beyond MAX_CONNECTIONS a new connection is closed unanswered; a freed slot serves again', async () => {
    const { port } = await listening({ maxConnections: 2 });
    const held: net.Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      await new Promise<void>((r) => s.once('connect', () => r()));
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise<void>((r) => s.once('data', () => r()));
      held.push(s);
    }
    const refused = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(refused.text, '', 'no answer over the limit');
    held[0]!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const served = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(served.text, /^HTTP\/1\.1 200 /);
    held[1]!.destroy();
  });
});

describe('request ids', () => {
  test('a well-formed X-Request-Id is kept; a long or odd one is replaced by a generated id', async () => {
    const app = await appWith();
    const ok = await call(app, 'GET', '/healthz', { headers: { 'x-request-id': 'abc.DEF_123-x' } });
    assert.equal(ok.raw.headers['x-request-id'], 'abc.DEF_123-x');
    for (const bad of ['x'.repeat(65), 'has space', 'quote"d', 'new\u00e9', '']) {
      const res = await call(app, 'GET', '/healthz', { headers: { 'x-request-id': bad } });
      assert.match(String(res.raw.headers['x-request-id']), /^[0-9a-f-]{36}$/, `replaced: ${JSON.stringify(bad.slice(0, 10))}`);
    }
    const huge = await call(app, 'GET', '/healthz', { headers: { 'x-request-id': 'y'.repeat(6000) } });
    assert.ok(String(huge.raw.headers['x-request-id']).length <= 64);
  });
});

describe('meeting passwords', () => {
  test('after 10 wrong passwords a minute the caller gets 429 RATE_LIMITED with Retry-After, even with the right one; others are unaffected', async () => {
    const app = await appWith();
    await call(app, 'POST', '/api/v1/meetings', { as: 'owner@x.io', body: { meeting_id: 'guarded', password: 'right-one' } });
    await call(app, 'POST', api('guarded', '/join'), { as: 'owner@x.io', body: {} });
    for (let i = 0; i < 10; i++) {
      expectError(await call(app, 'POST', api('guarded', '/join'), { as: 'guesser@x.io', body: { password: `guess-${i}` } }), 403, 'INVALID_PASSWORD');
    }
    const limited = await call(app, 'POST', api('guarded', '/join'), { as: 'guesser@x.io', body: { password: 'guess-10' } });
    expectError(limited, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited.raw.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.raw.headers['retry-after']}`);
    expectError(await call(app, 'POST', api('guarded', '/join'), { as: 'guesser@x.io', body: { password: 'right-one' } }), 429, 'RATE_LIMITED');
    const other = await call(app, 'POST', api('guarded', '/join'), { as: 'friend@x.io', body: { password: 'right-one' } });
    assert.equal(other.status, 200);
    // Nothing was recorded for the guesser.
    const waiting = await call(app, 'GET', api('guarded', '/waiting'), { as: 'owner@x.io' });
    assert.deepEqual(waiting.body.result.waiting.map((p: { email: string }) => p.email), ['friend@x.io']);
  });

  test('ended windows of other callers are pruned when a new window starts', async () => {
    const app = await appWith();
    await call(app, 'POST', '/api/v1/meetings', { as: 'owner@x.io', body: { meeting_id: 'prune-pw', password: 'pw' } });
    await call(app, 'POST', api('prune-pw', '/join'), { as: 'owner@x.io', body: {} });
    for (let i = 0; i < 5; i++) expectError(await call(app, 'POST', api('prune-pw', '/join'), { as: `old${i}@x.io`, body: { password: 'x' } }), 403, 'INVALID_PASSWORD');
    const { rows: ids } = await database.db.query<{ id: number }>(`SELECT id FROM meetings WHERE room_id = 'prune-pw'`);
    await database.db.query(`UPDATE password_failures SET window_start = now() - interval '2 minutes' WHERE meeting_id = $1`, [ids[0]!.id]);
    expectError(await call(app, 'POST', api('prune-pw', '/join'), { as: 'new@x.io', body: { password: 'x' } }), 403, 'INVALID_PASSWORD');
    const { rows } = await database.db.query<{ caller: string }>('SELECT caller FROM password_failures WHERE meeting_id = $1', [ids[0]!.id]);
    assert.deepEqual(rows.map((r) => r.caller), ['new@x.io']);
  });

  test('a right password resets the count', async () => {
    const app = await appWith({ passwordFailuresPerMinute: 2 });
    await call(app, 'POST', '/api/v1/meetings', { as: 'owner@x.io', body: { meeting_id: 'reset-pw', password: 'pw' } });
    await call(app, 'POST', api('reset-pw', '/join'), { as: 'owner@x.io', body: {} });
    const join = (password: string) => call(app, 'POST', api('reset-pw', '/join'), { as: 'typo@x.io', body: { password } });
    expectError(await join('pq'), 403, 'INVALID_PASSWORD');
    assert.equal((await join('pw')).status, 200);
    expectError(await join('pq'), 403, 'INVALID_PASSWORD');
    expectError(await join('pe'), 403, 'INVALID_PASSWORD');
    expectError(await join('pw'), 429, 'RATE_LIMITED');
  });

  test('Argon2 work is capped at MAX_CONCURRENT_PASSWORD_HASHES however many guesses arrive at once', async () => {
    let running = 0;
    let peak = 0;
    const counting: PasswordHasher = {
      hash: (p) => argon2Hasher.hash(p),
      async verify(h, p) {
        running++;
        peak = Math.max(peak, running);
        try {
          return await argon2Hasher.verify(h, p);
        } finally {
          running--;
        }
      },
    };
    const app = await appWith({ maxConcurrentPasswordHashes: 2 }, counting);
    await call(app, 'POST', '/api/v1/meetings', { as: 'owner@x.io', body: { meeting_id: 'argon-cap', password: 'pw' } });
    await call(app, 'POST', api('argon-cap', '/join'), { as: 'owner@x.io', body: {} });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => call(app, 'POST', api('argon-cap', '/join'), { as: `g${i}@x.io`, body: { password: 'nope' } })),
    );
    for (const r of results) expectError(r, 403, 'INVALID_PASSWORD');
    assert.equal(peak, 2, 'never more than the cap at once, and the cap was reached');
  });
});

describe('waiting room cap and list paging', () => {
  test('joins beyond MAX_WAITING_PER_MEETING get 409 WAITING_ROOM_FULL, even all at once; those waiting may re-join; a freed place is reusable', async () => {
    const app = await appWith({ maxWaitingPerMeeting: 5 });
    await call(app, 'POST', api('capped', '/join'), { as: 'host@x.io', body: {} });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => call(app, 'POST', api('capped', '/join'), { as: `w${i}@x.io`, body: {} })));
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 5);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, 'WAITING_ROOM_FULL');
    const waiting = await call(app, 'GET', api('capped', '/waiting'), { as: 'host@x.io' });
    assert.equal(waiting.body.result.waiting.length, 5);
    const someone = waiting.body.result.waiting[0].email as string;
    assert.equal((await call(app, 'POST', api('capped', '/join'), { as: someone, body: {} })).status, 200, 're-join keeps the place');
    assert.equal((await call(app, 'POST', api('capped', '/admit'), { as: 'host@x.io', body: { email: someone } })).status, 200);
    assert.equal((await call(app, 'POST', api('capped', '/join'), { as: someone, body: {} })).status, 200, 'admitted re-join');
    assert.equal((await call(app, 'POST', api('capped', '/join'), { as: 'late@x.io', body: {} })).status, 200, 'the freed place');
    expectError(await call(app, 'POST', api('capped', '/join'), { as: 'later@x.io', body: {} }), 409, 'WAITING_ROOM_FULL');
  });

  test('the cap is exact with many joins in flight at once (cap 120, 140 joins in parallel batches)', async () => {
    const app = await appWith({ maxWaitingPerMeeting: 120 });
    await call(app, 'POST', api('capped-big', '/join'), { as: 'host@x.io', body: {} });
    let ok = 0;
    for (let batch = 0; batch < 14; batch++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => call(app, 'POST', api('capped-big', '/join'), { as: `b${batch}-${i}@x.io`, body: {} })),
      );
      ok += results.filter((r) => r.status === 200).length;
      for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, 'WAITING_ROOM_FULL');
    }
    assert.equal(ok, 120);
    const waiting = await call(app, 'GET', api('capped-big', '/waiting'), { as: 'host@x.io' });
    assert.equal(waiting.body.result.waiting.length, 120, 'whole list without limit');
  });

  test('limit and offset page /waiting and /participants in their usual order; out-of-range values are clamped', async () => {
    const app = await appWith();
    await call(app, 'POST', api('paged', '/join'), { as: 'host@x.io', body: {} });
    for (let i = 0; i < 6; i++) await call(app, 'POST', api('paged', '/join'), { as: `p${i}@x.io`, body: {} });
    const all = (await call(app, 'GET', api('paged', '/waiting'), { as: 'host@x.io' })).body.result.waiting.map((p: { email: string }) => p.email);
    assert.equal(all.length, 6);
    const page = await call(app, 'GET', api('paged', '/waiting?limit=2&offset=3'), { as: 'host@x.io' });
    assert.deepEqual(page.body.result.waiting.map((p: { email: string }) => p.email), all.slice(3, 5));
    const clamped = await call(app, 'GET', api('paged', '/waiting?limit=0&offset=-4'), { as: 'host@x.io' });
    assert.deepEqual(clamped.body.result.waiting.map((p: { email: string }) => p.email), all.slice(0, 1));
    expectError(await call(app, 'GET', api('paged', '/waiting?limit=abc'), { as: 'host@x.io' }), 400, 'INVALID_REQUEST');
    await call(app, 'POST', api('paged', '/admit-all'), { as: 'host@x.io' });
    const everyone = (await call(app, 'GET', api('paged', '/participants'), { as: 'host@x.io' })).body.result as Array<{ email: string }>;
    assert.equal(everyone.length, 7);
    const tail = await call(app, 'GET', api('paged', '/participants?offset=5'), { as: 'host@x.io' });
    assert.deepEqual(tail.body.result.map((p: { email: string }) => p.email), everyone.slice(5).map((p) => p.email));
    const beyond = await call(app, 'GET', api('paged', '/participants?limit=5&offset=1000000'), { as: 'host@x.io' });
    assert.deepEqual(beyond.body.result, []);
  });
});
