import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { api, call, expectError, startTestApp, type ApiResult, type TestApp } from './helpers';

/**
 * Whatever a client sends, the answer is the JSON envelope with a 4xx status:
 * never a 5xx, never HTML or plain text, never a hang.
 */

const HOST = 'host@example.com';
const UNAUTHORIZED_MESSAGE = 'Authentication required. Please provide email cookie.';

let t: TestApp;
let app: FastifyInstance;

before(async () => {
  t = await startTestApp();
  app = t.app;
});
after(async () => {
  await t.close();
});

/** Parses an inject response that must be the error envelope; returns it as an ApiResult. */
function asResult(raw: LightMyRequestResponse): ApiResult {
  assert.match(String(raw.headers['content-type']), /^application\/json/, `content-type of ${raw.statusCode}: ${raw.body.slice(0, 120)}`);
  return { status: raw.statusCode, body: raw.json(), raw };
}

function assertEnvelope4xx(result: ApiResult, label = ''): void {
  assert.ok(result.status >= 400 && result.status < 500, `${label} status ${result.status}: ${JSON.stringify(result.body)}`);
  assert.equal(result.body.success, false, label);
  assert.equal(typeof result.body.result.code, 'string', label);
  assert.equal(typeof result.body.result.message, 'string', label);
  assert.equal(result.body.result.engineering_error, undefined, `${label} engineering_error only on 500`);
  assert.match(String(result.raw.headers['content-type']), /^application\/json/, label);
}

async function tablesExist(): Promise<void> {
  const { rows } = await t.db.query<{ meetings: string | null; participants: string | null }>(
    `SELECT to_regclass('meetings')::text AS meetings, to_regclass('meeting_participants')::text AS participants`,
  );
  assert.deepEqual(rows[0], { meetings: 'meetings', participants: 'meeting_participants' });
}

describe('malformed and schema-violating bodies', () => {
  test('malformed JSON is 400 INVALID_REQUEST', async () => {
    for (const body of ['{bad', '{"meeting_id": "x",}', '[1, 2', '"unterminated', '{"__proto__": {"x": 1}}']) {
      expectError(await call(app, 'POST', '/api/v1/meetings', { as: HOST, body }), 400, 'INVALID_REQUEST');
    }
    expectError(await call(app, 'POST', api('bad-json', '/join'), { as: HOST, body: '{"display_name":' }), 400, 'INVALID_REQUEST');
    expectError(await call(app, 'POST', api('bad-json', '/admit'), { as: HOST, body: 'nope' }), 400, 'INVALID_REQUEST');
  });

  test('wrong types in create bodies are 400 INVALID_REQUEST, not coerced', async () => {
    const bad: unknown[] = [
      [],
      'a string',
      42,
      { meeting_id: 42 },
      { meeting_id: ['a'] },
      { attendees: 'a@b.c' },
      { attendees: [1, 2] },
      { attendees: [{ email: 'a@b.c' }] },
      { attendees: [null] },
      { attendees: ['x'.repeat(256)] },
      { password: 123 },
      { password: true },
    ];
    for (const body of bad) {
      expectError(await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: JSON.stringify(body) }), 400, 'INVALID_REQUEST');
    }
    const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM meetings WHERE creator_id = $1`, [HOST]);
    assert.equal(rows[0]?.n, 0, 'no rejected create left a meeting behind');
  });

  test('wrong types in join bodies are 400 INVALID_REQUEST and nothing is recorded', async () => {
    for (const body of [{ display_name: 5 }, { display_name: 'x'.repeat(256) }, { display_name: ['a'] }, { password: 1 }, [], '"hi"', 7]) {
      expectError(
        await call(app, 'POST', api('join-schema', '/join'), { as: HOST, body: JSON.stringify(body) }),
        400,
        'INVALID_REQUEST',
      );
    }
    expectError(await call(app, 'GET', api('join-schema'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
  });

  test('a display_name of exactly 255 characters is accepted', async () => {
    const res = await call(app, 'POST', api('dn-255', '/join'), { as: HOST, body: { display_name: 'd'.repeat(255) } });
    assert.equal(res.status, 200);
    assert.equal(res.body.result.display_name, 'd'.repeat(255));
  });

  test('admit and reject without an email (or with a non-string or empty one) are 400 INVALID_REQUEST', async () => {
    assert.equal((await call(app, 'POST', api('admit-schema', '/join'), { as: HOST })).status, 200);
    for (const tail of ['/admit', '/reject']) {
      for (const body of [{}, { email: 5 }, { email: '' }, { email: null }, { mail: 'a@b.c' }, [], undefined]) {
        const options = body === undefined ? { as: HOST } : { as: HOST, body };
        expectError(await call(app, 'POST', api('admit-schema', tail), options), 400, 'INVALID_REQUEST');
      }
    }
  });

  test('non-numeric list paging is 400 INVALID_REQUEST while numeric strings are coerced', async () => {
    for (const query of ['limit=abc', 'offset=1.5', 'limit=', 'offset=1&offset=2']) {
      expectError(await call(app, 'GET', `/api/v1/meetings?${query}`, { as: HOST }), 400, 'INVALID_REQUEST');
    }
    const ok = await call(app, 'GET', '/api/v1/meetings?limit=5&offset=0', { as: HOST });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.result.limit, 5);
  });

  test('an empty body with Content-Type: application/json on join is accepted', async () => {
    const raw = await app.inject({
      method: 'POST',
      url: api('empty-json-join', '/join'),
      headers: { cookie: `email=${HOST}`, 'content-type': 'application/json' },
    });
    assert.equal(raw.statusCode, 200, raw.body);
    assert.equal(raw.json().result.status, 'admitted');
  });

  test('a deeply nested JSON body is 400 INVALID_REQUEST, not a stack overflow', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    expectError(await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: deep }), 400, 'INVALID_REQUEST');
    expectError(await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: `{"attendees":${deep}}` }), 400, 'INVALID_REQUEST');
  });
});

describe('content types and body size', () => {
  test('text/plain, form-urlencoded, multipart and missing content types are 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const cases: [string | undefined, string][] = [
      ['text/plain', '{"meeting_id":"x"}'],
      ['application/x-www-form-urlencoded', 'meeting_id=x'],
      ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="meeting_id"\r\n\r\nx\r\n--xyz--\r\n'],
      ['application/xml', '<meeting/>'],
      ['application/vnd.api+json', '{}'],
      [undefined, '{}'],
    ];
    for (const [contentType, payload] of cases) {
      const headers: Record<string, string> = { cookie: `email=${HOST}` };
      if (contentType !== undefined) headers['content-type'] = contentType;
      const raw = await app.inject({ method: 'POST', url: '/api/v1/meetings', headers, payload: Buffer.from(payload) });
      expectError(asResult(raw), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  test('application/json with a charset parameter is accepted', async () => {
    const res = await call(app, 'POST', '/api/v1/meetings', {
      as: HOST,
      body: '{"meeting_id":"charset-ok"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(res.status, 201);
  });

  test('a body just over 64 KiB is 413 PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify({ meeting_id: 'too-big', attendees: ['x'.repeat(64 * 1024)] });
    assert.ok(Buffer.byteLength(body) > 64 * 1024);
    expectError(await call(app, 'POST', '/api/v1/meetings', { as: HOST, body }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await call(app, 'GET', api('too-big'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
  });
});

describe('routing', () => {
  test('unknown routes are 404 NOT_FOUND', async () => {
    for (const url of ['/', '/nope', '/api/v2/meetings', '/api/v1/nope', '/api/v1/meetings/abc/nope', '/index.html']) {
      expectError(asResult(await app.inject({ method: 'GET', url })), 404, 'NOT_FOUND');
    }
  });

  test('wrong methods on known paths are 405 METHOD_NOT_ALLOWED with an Allow header', async () => {
    const cases: [string, string, string[]][] = [
      ['PUT', '/api/v1/meetings', ['GET', 'POST']],
      ['PATCH', '/api/v1/meetings/x/join', ['POST']],
      ['GET', '/api/v1/meetings/x/join', ['POST']],
      ['DELETE', '/api/v1/meetings/x/status', ['GET']],
      ['PUT', '/api/v1/meetings/x', ['GET', 'DELETE']],
      ['POST', '/healthz', ['GET']],
    ];
    for (const [method, url, mustAllow] of cases) {
      const raw = await app.inject({ method: method as 'PUT', url, headers: { cookie: `email=${HOST}` } });
      expectError(asResult(raw), 405, 'METHOD_NOT_ALLOWED');
      const allow = String(raw.headers.allow ?? '')
        .split(',')
        .map((m) => m.trim());
      for (const m of mustAllow) assert.ok(allow.includes(m), `${method} ${url}: Allow "${raw.headers.allow}" lacks ${m}`);
      assert.ok(!allow.includes(method), `${method} ${url}: Allow must not list ${method}`);
    }
  });

  test('malformed percent-encoding in the URL is a 400 envelope', async () => {
    const res = asResult(await app.inject({ method: 'GET', url: '/api/v1/meetings/%E0%A4%A', headers: { cookie: `email=${HOST}` } }));
    assertEnvelope4xx(res);
    assert.equal(res.status, 400);
  });

  test('ids the router refuses (bad percent-encoding, over 8 KiB) still answer auth first, then INVALID_MEETING_ID', async () => {
    for (const url of ['/api/v1/meetings/%ZZ/status', `/api/v1/meetings/${'a'.repeat(9000)}/status`]) {
      const anonymous = asResult(await app.inject({ method: 'GET', url }));
      expectError(anonymous, 401, 'UNAUTHORIZED');
      const signedIn = asResult(await app.inject({ method: 'GET', url, headers: { cookie: `email=${HOST}` } }));
      expectError(signedIn, 400, 'INVALID_MEETING_ID');
    }
    const longButRoutable = asResult(await app.inject({ method: 'GET', url: `/api/v1/meetings/${'a'.repeat(5000)}/status`, headers: { cookie: `email=${HOST}` } }));
    expectError(longButRoutable, 400, 'INVALID_MEETING_ID');
  });
});

describe('meeting ids', () => {
  const BAD_IDS: [string, string][] = [
    ['SQL injection', encodeURIComponent("x';DROP TABLE meetings;--")],
    ['SQL injection 2', encodeURIComponent('1 OR 1=1; DROP TABLE meeting_participants')],
    ['accented', encodeURIComponent('héllo')],
    ['emoji', encodeURIComponent('meet🎉ing')],
    ['path traversal', '..%2F..%2Fetc'],
    ['encoded slash', 'a%2Fb'],
    ['256 characters', 'a'.repeat(256)],
    ['300 characters', 'b'.repeat(300)],
    ['space', '%20'],
    ['tab', '%09'],
    ['NUL', '%00'],
    ['dot', 'a.b'],
    ['quote', '%22'],
  ];
  const PATHS: [string, string, object | undefined][] = [
    ['GET', '', undefined],
    ['DELETE', '', undefined],
    ['POST', '/join', {}],
    ['GET', '/waiting', undefined],
    ['POST', '/admit', { email: 'a@b.c' }],
    ['POST', '/admit-all', undefined],
    ['POST', '/reject', { email: 'a@b.c' }],
    ['GET', '/status', undefined],
    ['POST', '/leave', undefined],
    ['GET', '/participants', undefined],
  ];

  test('invalid ids are 400 INVALID_MEETING_ID on every /{meeting_id} path, and the tables survive', async () => {
    for (const [label, id] of BAD_IDS) {
      for (const [method, tail, body] of PATHS) {
        const res = await call(app, method, api(id, tail), { as: HOST, body });
        const message = expectError(res, 400, 'INVALID_MEETING_ID');
        assert.match(message, /^Invalid meeting ID: /, `${label} ${method} ${tail}`);
      }
    }
    await tablesExist();
  });

  test('an empty id segment is 400 INVALID_MEETING_ID on the sub-resource paths', async () => {
    for (const [method, tail, body] of PATHS.filter(([, tail]) => tail !== '')) {
      expectError(await call(app, method, api('', tail), { as: HOST, body }), 400, 'INVALID_MEETING_ID');
    }
  });

  test('invalid ids in the create body are 400 INVALID_MEETING_ID', async () => {
    for (const id of ["x';DROP TABLE meetings;--", 'héllo', '🎉', '../../etc', 'a'.repeat(256), '', ' ', 'a b']) {
      expectError(await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: id } }), 400, 'INVALID_MEETING_ID');
    }
    await tablesExist();
  });

  test('a 255-character id is valid for create, get and join', async () => {
    const id = `${'Z'.repeat(250)}-_9aZ`;
    assert.equal(id.length, 255);
    const created = await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: id } });
    assert.equal(created.status, 201);
    assert.equal(created.body.result.meeting_id, id);
    assert.equal((await call(app, 'GET', api(id), { as: HOST })).body.result.meeting_id, id);
    const joined = await call(app, 'POST', api(id, '/join'), { as: HOST });
    assert.equal(joined.status, 200);
    assert.equal(joined.body.result.status, 'admitted');
  });
});

describe('attendees', () => {
  test('1,000 attendees are 400 TOO_MANY_ATTENDEES with the exact message', async () => {
    const attendees = Array.from({ length: 1000 }, (_, i) => `a${i}@x.io`);
    const res = await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'too-many', attendees } });
    assert.equal(expectError(res, 400, 'TOO_MANY_ATTENDEES'), 'Too many attendees: 1000 provided, maximum is 100');
    expectError(await call(app, 'GET', api('too-many'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
  });

  test('101 attendees are refused and exactly 100 are accepted and stored as given', async () => {
    const make = (n: number) => Array.from({ length: n }, (_, i) => `p${i}@x.io`);
    const tooMany = await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'att-101', attendees: make(101) } });
    assert.equal(expectError(tooMany, 400, 'TOO_MANY_ATTENDEES'), 'Too many attendees: 101 provided, maximum is 100');
    const ok = await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'att-100', attendees: make(100) } });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body.result.attendees, make(100));
  });
});

describe('NUL and control characters in values', () => {
  test('a NUL in display_name is a 4xx envelope and the meeting is not created', async () => {
    const res = await call(app, 'POST', api('nul-dn', '/join'), { as: HOST, body: { display_name: 'a\u0000b' } });
    assertEnvelope4xx(res);
    expectError(await call(app, 'GET', api('nul-dn'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
  });

  test('a NUL in an attendee is a 4xx envelope', async () => {
    assertEnvelope4xx(await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'nul-att', attendees: ['a\u0000b@x.io'] } }));
    expectError(await call(app, 'GET', api('nul-att'), { as: HOST }), 404, 'MEETING_NOT_FOUND');
  });

  test('a NUL in the admit or reject email is a 4xx envelope', async () => {
    assert.equal((await call(app, 'POST', api('nul-admit', '/join'), { as: HOST })).status, 200);
    assertEnvelope4xx(await call(app, 'POST', api('nul-admit', '/admit'), { as: HOST, body: { email: 'a\u0000b@x.io' } }));
    assertEnvelope4xx(await call(app, 'POST', api('nul-admit', '/reject'), { as: HOST, body: { email: '\u0000' } }));
  });

  test('a NUL in a password never causes a 5xx', async () => {
    const created = await call(app, 'POST', '/api/v1/meetings', { as: HOST, body: { meeting_id: 'nul-pw', password: 'a\u0000b' } });
    assert.ok(created.status < 500, JSON.stringify(created.body));
    const joined = await call(app, 'POST', api('nul-pw', '/join'), { as: 'other@x.io', body: { password: '\u0000' } });
    assert.ok(joined.status < 500, JSON.stringify(joined.body));
  });
});

describe('the email cookie', () => {
  /** Creates a meeting with an auto id and returns who the service thinks the host is (or the error). */
  async function whoAmI(cookie: string | undefined): Promise<ApiResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (cookie !== undefined) headers.cookie = cookie;
    return asResult(await app.inject({ method: 'POST', url: '/api/v1/meetings', headers, payload: '{}' }));
  }

  test('missing, empty and blank email cookies are 401 with the exact message', async () => {
    for (const cookie of [undefined, '', 'email=', 'email=   ', 'email=""', 'theme=dark', 'sessions=abc; other=1', 'Email=a@b.c', 'emails=a@b.c', 'email']) {
      const res = await whoAmI(cookie);
      assert.equal(expectError(res, 401, 'UNAUTHORIZED'), UNAUTHORIZED_MESSAGE, `cookie ${JSON.stringify(cookie)}`);
    }
  });

  test('the caller is the first email cookie with a non-empty value, among other cookies', async () => {
    const cases: [string, string][] = [
      ['email=a@b.c', 'a@b.c'],
      ['theme=dark; email=second@x.io', 'second@x.io'],
      ['theme=dark;email=nospace@x.io;lang=en', 'nospace@x.io'],
      ['email=; email=after-empty@x.io', 'after-empty@x.io'],
      ['email=first@x.io; email=second@x.io', 'first@x.io'],
      ['email="quoted@x.io"', 'quoted@x.io'],
      ['email=a%40b.c', 'a@b.c'],
      ['email=  padded@x.io  ', 'padded@x.io'],
      ['email=bad%zzencoding@x.io', 'bad%zzencoding@x.io'],
    ];
    for (const [cookie, expected] of cases) {
      const res = await whoAmI(cookie);
      assert.equal(res.status, 201, `${cookie}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.result.host, expected, cookie);
    }
  });

  test('a 300-character email or one with control characters is a 400 envelope, not a 5xx', async () => {
    for (const cookie of [`email=${'e'.repeat(290)}@x.io`, 'email=a%00b@x.io', 'email=a%0Ab@x.io', 'email=a\u0001b@x.io', 'email=a%7Fb']) {
      expectError(await whoAmI(cookie), 400, 'INVALID_REQUEST');
    }
  });

  test('a 255-character email is accepted', async () => {
    const email = `${'e'.repeat(250)}@x.io`;
    const res = await whoAmI(`email=${email}`);
    assert.equal(res.status, 201);
    assert.equal(res.body.result.host, email);
  });

  test('auth is checked before the body: no cookie with a bad body is 401', async () => {
    const bodies: [string, string][] = [
      ['application/json', '{bad'],
      ['application/json', '{"attendees": 5}'],
      ['text/plain', 'hello'],
      ['application/json', JSON.stringify({ password: 'x'.repeat(70 * 1024) })],
    ];
    for (const [contentType, payload] of bodies) {
      const raw = await app.inject({ method: 'POST', url: '/api/v1/meetings', headers: { 'content-type': contentType }, payload });
      assert.equal(expectError(asResult(raw), 401, 'UNAUTHORIZED'), UNAUTHORIZED_MESSAGE);
    }
    const badId = await app.inject({ method: 'GET', url: api('bad%20id') });
    expectError(asResult(badId), 401, 'UNAUTHORIZED');
  });
});

describe('a storm of bad requests', () => {
  test('300 mixed bad requests in parallel yield only 4xx envelopes, and /healthz still answers', async () => {
    type Req = InjectOptions & { method: string; url: string };
    const cookie = `email=${HOST}`;
    const kinds: Req[] = [
      { method: 'POST', url: '/api/v1/meetings', headers: { cookie, 'content-type': 'application/json' }, payload: '{bad' },
      { method: 'POST', url: '/api/v1/meetings', headers: { cookie, 'content-type': 'text/plain' }, payload: 'x' },
      { method: 'POST', url: '/api/v1/meetings', headers: { cookie, 'content-type': 'application/json' }, payload: JSON.stringify({ attendees: [1] }) },
      { method: 'POST', url: '/api/v1/meetings', headers: { cookie, 'content-type': 'application/json' }, payload: 'x'.repeat(70_000) },
      { method: 'POST', url: '/api/v1/meetings', headers: { 'content-type': 'application/json' }, payload: '{}' },
      { method: 'GET', url: api(encodeURIComponent("x';DROP TABLE meetings;--")), headers: { cookie } },
      { method: 'GET', url: '/api/v1/meetings/%E0%A4%A', headers: { cookie } },
      { method: 'PUT', url: '/api/v1/meetings', headers: { cookie } },
      { method: 'GET', url: '/does/not/exist' },
      { method: 'POST', url: api('storm', '/admit'), headers: { cookie, 'content-type': 'application/json' }, payload: '{}' },
      { method: 'POST', url: api('a'.repeat(300), '/join'), headers: { cookie } },
      { method: 'GET', url: '/api/v1/meetings', headers: { cookie: 'email=a%00b' } },
      { method: 'POST', url: api('storm', '/join'), headers: { cookie, 'content-type': 'application/json' }, payload: '{"display_name":"a\\u0000b"}' },
      { method: 'GET', url: '/api/v1/meetings?limit=abc', headers: { cookie } },
      { method: 'GET', url: api('..%2F..%2Fetc', '/status'), headers: { cookie } },
    ];
    const requests = Array.from({ length: 300 }, (_, i) => kinds[i % kinds.length]!);
    const responses = await Promise.all(requests.map((r) => app.inject(r)));
    responses.forEach((raw, i) => assertEnvelope4xx(asResult(raw), `${requests[i]!.method} ${requests[i]!.url}`));
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { success: true, result: { status: 'ok' } });
    await tablesExist();
  });
});

describe('over real HTTP', () => {
  let base: string;
  let port: number;
  let listening: FastifyInstance;
  let listeningApp: TestApp;

  before(async () => {
    // A second app of its own: listen() on the shared one would fight with inject-based tests.
    listeningApp = await startTestApp();
    listening = listeningApp.app;
    await listening.listen({ port: 0, host: '127.0.0.1' });
    port = (listening.server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await listeningApp.close();
  });

  /** Sends raw bytes and returns everything the server writes before closing. */
  function rawExchange(bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      const deadline = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer to ${JSON.stringify(bytes)} within 5 s`));
      }, 5_000);
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => (data += chunk));
      socket.on('close', () => {
        clearTimeout(deadline);
        resolve(data);
      });
      socket.on('error', () => {});
      socket.write(bytes);
    });
  }

  function parseRawResponse(raw: string): { status: number; headers: string; body: { success: boolean; result: { code: string } } } {
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    return { status, headers: head, body: JSON.parse(body) };
  }

  test('a malformed HTTP request line is answered with a 400 JSON envelope', async () => {
    for (const bytes of ['GARBAGE\r\n\r\n', 'GET /healthz HTTP/9.9\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nBroken Header\r\n\r\n']) {
      const res = parseRawResponse(await rawExchange(bytes));
      assert.equal(res.status, 400, bytes);
      assert.match(res.headers, /content-type: application\/json/i);
      assert.equal(res.body.success, false);
      assert.equal(res.body.result.code, 'INVALID_REQUEST');
    }
  });

  test('an invalid Content-Length is answered with a 400 JSON envelope', async () => {
    const res = parseRawResponse(
      await rawExchange('POST /api/v1/meetings HTTP/1.1\r\nHost: x\r\nCookie: email=a@b.c\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n'),
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.result.code, 'INVALID_REQUEST');
  });

  test('a 2 MB body is 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await fetch(`${base}/api/v1/meetings`, {
      method: 'POST',
      headers: { cookie: `email=${HOST}`, 'content-type': 'application/json' },
      body: JSON.stringify({ meeting_id: 'two-mb', password: 'p'.repeat(2 * 1024 * 1024) }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 413);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as { success: boolean; result: { code: string } };
    assert.deepEqual([body.success, body.result.code], [false, 'PAYLOAD_TOO_LARGE']);
  });

  test('a 2 MB chunked body without Content-Length is 413 PAYLOAD_TOO_LARGE', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 32) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${base}/api/v1/meetings`, {
      method: 'POST',
      headers: { cookie: `email=${HOST}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 413);
    const body = (await res.json()) as { result: { code: string } };
    assert.equal(body.result.code, 'PAYLOAD_TOO_LARGE');
  });

  test('the service still answers normally over HTTP after the hostile traffic', async () => {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    const created = await fetch(`${base}/api/v1/meetings`, {
      method: 'POST',
      headers: { cookie: `email=${HOST}`, 'content-type': 'application/json' },
      body: JSON.stringify({ meeting_id: 'after-storm' }),
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(created.status, 201);
  });
});
