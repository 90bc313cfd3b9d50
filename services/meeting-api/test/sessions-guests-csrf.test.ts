import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultAuthConfig } from '../src/auth/auth-config';
import { countSessions } from '../src/db/sessions-repo';
import { api, call, expectError, startTestApp, TEST_SECRET, type ApiResult, type TestApp } from './helpers';

/** Development sign-in, guests, the email cookie's switch, cross-site safety and rate limits. */

let t: TestApp;
before(async () => {
  t = await startTestApp({ config: { corsOrigins: ['https://app.example'] } });
});
after(async () => {
  await t?.close();
});

function cookieOf(result: ApiResult): string {
  const line = [result.raw.headers['set-cookie']].flat().find((l) => String(l).startsWith('session='));
  assert.ok(line, 'a session cookie is set');
  return String(line).split(';')[0]!;
}

async function devLogin(app: TestApp['app'], email: string, displayName?: string) {
  return call(app, 'POST', '/login/dev', { body: { email, display_name: displayName } });
}

async function guest(app: TestApp['app'], name = 'Gus', headers: Record<string, string> = {}) {
  return call(app, 'POST', '/api/v1/guest-session', { body: { display_name: name }, headers });
}

describe('development sign-in', () => {
  test('GET /login without OIDC_ISSUER serves the HTML form posting to /login/dev', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/login?returnTo=/rooms/x' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /<form method="post" action="\/login\/dev">/);
    assert.match(res.body, /name="returnTo" value="\/rooms\/x"/);
    assert.match(res.body, /name="email"/);
  });

  test('the form page lets its redirect reach the listed ALLOWED_REDIRECT_URLS origins (CSP form-action), and no other', async () => {
    const own = await t.app.inject({ method: 'GET', url: '/login' });
    assert.match(String(own.headers['content-security-policy']), /form-action 'self';/);
    const listed = await startTestApp({
      config: { auth: defaultAuthConfig(TEST_SECRET, { allowedRedirectOrigins: ['https://app.example', 'http://localhost:5173'] }) },
    });
    try {
      const res = await listed.app.inject({ method: 'GET', url: '/login?returnTo=https%3A%2F%2Fapp.example%2Frooms%2F1' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /name="returnTo" value="https:\/\/app.example\/rooms\/1"/);
      assert.match(String(res.headers['content-security-policy']), /form-action 'self' https:\/\/app\.example http:\/\/localhost:5173;/);
    } finally {
      await listed.close();
    }
  });

  test('POST /login/dev (JSON) answers like /session plus session_token and sets the cookie; Bearer and cookie both work', async () => {
    const res = await devLogin(t.app, 'dana@example.com', 'Dana');
    assert.equal(res.status, 200);
    const r = res.body.result;
    assert.equal(r.email, 'dana@example.com');
    assert.equal(r.name, 'Dana');
    assert.equal(r.kind, 'dev');
    assert.equal(typeof r.expires_at, 'number');
    assert.equal(r.session_token.split('.').length, 3);
    const cookie = cookieOf(res);
    const viaCookie = await call(t.app, 'GET', '/session', { headers: { cookie } });
    assert.deepEqual(viaCookie.body.result, { email: 'dana@example.com', name: 'Dana', kind: 'dev', expires_at: r.expires_at });
    const viaBearer = await call(t.app, 'POST', '/api/v1/meetings', { headers: { authorization: `Bearer ${r.session_token}` }, body: {} });
    assert.equal(viaBearer.status, 201);
    assert.equal(viaBearer.body.result.host, 'dana@example.com');
  });

  test('the form post redirects (303) to a safe returnTo with the cookie set', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/login/dev',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=erin%40example.com&display_name=Erin&returnTo=%2Frooms%2Fabc',
    });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/rooms/abc');
    assert.match(String([res.headers['set-cookie']].flat()[0]), /^session=.*HttpOnly/);
    const evil = await t.app.inject({
      method: 'POST',
      url: '/login/dev',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=erin%40example.com&returnTo=https%3A%2F%2Fevil.example%2F',
    });
    assert.equal(evil.headers.location, '/');
  });

  test('returnTo with non-ASCII characters (/Ā) redirects percent-encoded, never a 500', async () => {
    for (const [returnTo, expected] of <[string, string][]>[
      ['/Ā', '/%C4%80'],
      ['/rooms/ü?name=Zoë#é', '/rooms/%C3%BC?name=Zo%C3%AB#%C3%A9'],
      ['/.//evil.example/Ā', '/'],
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/login/dev',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ email: 'uma@example.com', returnTo }).toString(),
      });
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, expected, returnTo);
    }
    const page = await t.app.inject({ method: 'GET', url: `/login?returnTo=${encodeURIComponent('/Ā')}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /name="returnTo" value="\/%C4%80"/);
  });

  test('a display name with control characters is 400 INVALID_REQUEST and stores no session', async () => {
    const count = await countSessions(t.db);
    for (const name of ['Eve\u0007', 'Eve\nAdmin', '\u001b[31mred']) {
      expectError(await devLogin(t.app, 'eve@example.com', name), 400, 'INVALID_REQUEST');
    }
    assert.equal(await countSessions(t.db), count);
  });

  test('a bad email or body is 400 INVALID_REQUEST and stores no session', async () => {
    const count = await countSessions(t.db);
    for (const body of [{ email: 'not-an-email' }, { email: 'a b@c.d' }, {}, { email: 5 }, { email: 'x@y.z', admin: true }]) {
      expectError(await call(t.app, 'POST', '/login/dev', { body }), 400, 'INVALID_REQUEST');
    }
    assert.equal(await countSessions(t.db), count);
  });

  test('GET /session with the email cookie says kind email-cookie; without credentials 401', async () => {
    const res = await call(t.app, 'GET', '/session', { as: 'cookie@example.com' });
    assert.deepEqual(res.body.result, { email: 'cookie@example.com', name: null, kind: 'email-cookie', expires_at: null });
    expectError(await call(t.app, 'GET', '/session'), 401, 'UNAUTHORIZED');
    expectError(await call(t.app, 'GET', '/profile'), 401, 'UNAUTHORIZED');
  });

  test('GET /logout clears the cookie and revokes, like POST', async () => {
    const login = await devLogin(t.app, 'gina@example.com');
    const cookie = cookieOf(login);
    const out = await call(t.app, 'GET', '/logout', { headers: { cookie } });
    assert.equal(out.status, 200);
    expectError(await call(t.app, 'GET', '/session', { headers: { cookie } }), 401, 'UNAUTHORIZED');
    expectError(await call(t.app, 'GET', '/session', { headers: { authorization: `Bearer ${login.body.result.session_token}` } }), 401, 'UNAUTHORIZED');
    assert.equal((await call(t.app, 'POST', '/logout')).status, 200, 'logging out without a session is fine');
  });
});

describe('guests', () => {
  test('POST /api/v1/guest-session creates a guest-<16 hex> session', async () => {
    const res = await guest(t.app, '  Gus the Guest ');
    assert.equal(res.status, 200);
    assert.match(res.body.result.email, /^guest-[0-9a-f]{16}$/);
    assert.equal(res.body.result.name, 'Gus the Guest');
    assert.equal(res.body.result.kind, 'guest');
    const me = await call(t.app, 'GET', '/session', { headers: { cookie: cookieOf(res) } });
    assert.equal(me.body.result.email, res.body.result.email);
  });

  test('a missing, empty, blank or 101-character display name is 400 and stores nothing', async () => {
    const count = await countSessions(t.db);
    for (const body of [{}, { display_name: '' }, { display_name: '   ' }, { display_name: 'x'.repeat(101) }, { display_name: null }]) {
      expectError(await call(t.app, 'POST', '/api/v1/guest-session', { body }), 400, 'INVALID_REQUEST');
    }
    assert.equal(await countSessions(t.db), count);
  });

  test('a guest can never create: POST /meetings and a join that would create are 403 GUESTS_CANNOT_CREATE', async () => {
    const g = await guest(t.app);
    const bearer = { authorization: `Bearer ${g.body.result.session_token}` };
    expectError(await call(t.app, 'POST', '/api/v1/meetings', { headers: bearer, body: { meeting_id: 'guest-made' } }), 403, 'GUESTS_CANNOT_CREATE');
    expectError(await call(t.app, 'POST', api('guest-made', '/join'), { headers: bearer, body: {} }), 403, 'GUESTS_CANNOT_CREATE');
    expectError(await call(t.app, 'GET', api('guest-made'), { as: 'anyone@example.com' }), 404, 'MEETING_NOT_FOUND');
    const mine = await call(t.app, 'GET', '/api/v1/meetings', { headers: bearer });
    assert.deepEqual(mine.body.result.meetings, [], 'the guest owns nothing');
  });

  test('a guest joining a meeting that does not allow guests (the default) is 403 GUESTS_NOT_ALLOWED and not recorded', async () => {
    await call(t.app, 'POST', api('no-guests', '/join'), { as: 'host@example.com', body: {} });
    const g = await guest(t.app);
    const bearer = { authorization: `Bearer ${g.body.result.session_token}` };
    expectError(await call(t.app, 'POST', api('no-guests', '/join'), { headers: bearer, body: { display_name: 'G' } }), 403, 'GUESTS_NOT_ALLOWED');
    const waiting = await call(t.app, 'GET', api('no-guests', '/waiting'), { as: 'host@example.com' });
    assert.deepEqual(waiting.body.result.waiting, []);
    expectError(await call(t.app, 'GET', api('no-guests', '/status'), { headers: bearer }), 404, 'NOT_IN_MEETING');
  });
});

describe('cross-site safety', () => {
  test('a cookie-authenticated POST/DELETE from a foreign Origin is 403 CSRF_REJECTED and changes nothing', async () => {
    const cookie = cookieOf(await devLogin(t.app, 'csrf@example.com'));
    const evil = { cookie, origin: 'https://evil.example' };
    expectError(await call(t.app, 'POST', '/api/v1/meetings', { headers: evil, body: { meeting_id: 'csrf-room' } }), 403, 'CSRF_REJECTED');
    expectError(await call(t.app, 'GET', api('csrf-room'), { headers: { cookie } }), 404, 'MEETING_NOT_FOUND');
    expectError(await call(t.app, 'POST', api('csrf-room', '/join'), { headers: { ...evil }, body: {} }), 403, 'CSRF_REJECTED');
    expectError(await call(t.app, 'POST', api('csrf-room', '/join'), { headers: { cookie, origin: 'null' }, body: {} }), 403, 'CSRF_REJECTED');
    // The email cookie is a cookie too.
    expectError(await call(t.app, 'POST', '/api/v1/meetings', { headers: { cookie: 'email=victim@example.com', origin: 'https://evil.example' }, body: {} }), 403, 'CSRF_REJECTED');
    // Logging someone out cross-site, or into the attacker's account, is refused as well.
    expectError(await call(t.app, 'POST', '/logout', { headers: evil }), 403, 'CSRF_REJECTED');
    assert.equal((await call(t.app, 'GET', '/session', { headers: { cookie } })).status, 200);
    const count = await countSessions(t.db);
    expectError(await call(t.app, 'POST', '/login/dev', { headers: { origin: 'https://evil.example' }, body: { email: 'attacker@example.com' } }), 403, 'CSRF_REJECTED');
    expectError(await call(t.app, 'POST', '/api/v1/guest-session', { headers: { origin: 'https://evil.example' }, body: { display_name: 'x' } }), 403, 'CSRF_REJECTED');
    assert.equal(await countSessions(t.db), count, 'no session was created cross-site');
  });

  test('the own origin, a listed CORS origin, no Origin, a GET, or Bearer auth pass', async () => {
    const login = await devLogin(t.app, 'fine@example.com');
    const cookie = cookieOf(login);
    assert.equal((await call(t.app, 'POST', '/api/v1/meetings', { headers: { cookie, origin: 'http://localhost' }, body: {} })).status, 201);
    assert.equal((await call(t.app, 'POST', '/api/v1/meetings', { headers: { cookie, origin: 'https://app.example' }, body: {} })).status, 201);
    assert.equal((await call(t.app, 'POST', '/api/v1/meetings', { headers: { cookie }, body: {} })).status, 201);
    assert.equal((await call(t.app, 'GET', '/api/v1/meetings', { headers: { cookie, origin: 'https://evil.example' } })).status, 200);
    const bearer = { authorization: `Bearer ${login.body.result.session_token}`, origin: 'https://evil.example' };
    assert.equal((await call(t.app, 'POST', '/api/v1/meetings', { headers: bearer, body: {} })).status, 201);
  });

  test('CORS_ORIGINS=* never allows credentials, and lists no origin for the CSRF check; listed origins get credentials', async () => {
    const star = await startTestApp({ config: { corsOrigins: true } });
    try {
      const preflight = await star.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/meetings',
        headers: { origin: 'https://any.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.headers['access-control-allow-origin'], '*');
      assert.equal(preflight.headers['access-control-allow-credentials'], undefined);
      const res = await call(star.app, 'POST', '/api/v1/meetings', { headers: { cookie: 'email=a@b.c', origin: 'https://any.example' }, body: {} });
      expectError(res, 403, 'CSRF_REJECTED');
    } finally {
      await star.close();
    }
    const listed = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/meetings',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(listed.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(listed.headers['access-control-allow-credentials'], 'true');
  });
});

describe('rate limits', () => {
  test('a flood of /login requests gets 429 RATE_LIMITED with Retry-After, and stores nothing', async () => {
    const limited = await startTestApp({ config: { auth: defaultAuthConfig(TEST_SECRET, { loginRateLimitPerMinute: 5, guestRateLimitPerMinute: 3 }) } });
    try {
      const count = await countSessions(limited.db);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await limited.app.inject({ method: 'GET', url: '/login' })).statusCode);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
      const page = await call(limited.app, 'GET', '/login');
      assert.match(expectError(page, 429, 'RATE_LIMITED'), /retry/i);
      assert.ok(Number(page.raw.headers['retry-after']) > 0, 'Retry-After is set');
      // Each /login* route counts on its own: POST /login/dev allows 5 too, then refuses.
      for (let i = 0; i < 5; i++) assert.equal((await call(limited.app, 'POST', '/login/dev', { body: { email: `f${i}@example.com` } })).status, 200);
      const res = await call(limited.app, 'POST', '/login/dev', { body: { email: 'flood@example.com' } });
      expectError(res, 429, 'RATE_LIMITED');
      assert.ok(Number(res.raw.headers['retry-after']) > 0, 'Retry-After is set');
      for (let i = 0; i < 3; i++) assert.equal((await guest(limited.app)).status, 200);
      const flooded = await guest(limited.app);
      expectError(flooded, 429, 'RATE_LIMITED');
      assert.ok(Number(flooded.raw.headers['retry-after']) > 0);
      assert.equal(await countSessions(limited.db), count + 5 + 3, 'only the requests within the limits created sessions');
      // The meeting routes are not rate limited by this.
      assert.equal((await call(limited.app, 'GET', '/api/v1/meetings', { as: 'a@b.c' })).status, 200);
    } finally {
      await limited.close();
    }
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  const floodLogin = async (app: TestApp['app'], forwardedFor: string) =>
    (await app.inject({ method: 'GET', url: '/login', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': forwardedFor } })).statusCode;

  test('with a trusted hop, each client address behind the proxy has its own rate-limit bucket and the forwarded origin is the own origin', async () => {
    const proxied = await startTestApp({
      config: { trustProxy: 1, publicUrl: 'https://meet.example', auth: defaultAuthConfig(TEST_SECRET, { loginRateLimitPerMinute: 2 }) },
    });
    try {
      assert.deepEqual([await floodLogin(proxied.app, '203.0.113.1'), await floodLogin(proxied.app, '203.0.113.1'), await floodLogin(proxied.app, '203.0.113.1')], [200, 200, 429]);
      assert.equal(await floodLogin(proxied.app, '203.0.113.2'), 200, 'another client behind the proxy is not limited by the first');
      // TLS ends at the proxy: the browser's Origin is https://meet.example, which is this API.
      const res = await call(proxied.app, 'POST', '/api/v1/meetings', {
        as: 'proxied@example.com',
        body: {},
        headers: { origin: 'https://meet.example', host: 'meet.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.3' },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    } finally {
      await proxied.close();
    }
  });

  test('without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot pick a fresh bucket', async () => {
    const direct = await startTestApp({ config: { auth: defaultAuthConfig(TEST_SECRET, { loginRateLimitPerMinute: 2 }) } });
    try {
      assert.deepEqual([await floodLogin(direct.app, '198.51.100.1'), await floodLogin(direct.app, '198.51.100.2'), await floodLogin(direct.app, '198.51.100.3')], [200, 200, 429]);
    } finally {
      await direct.close();
    }
  });
});

describe('production: the email cookie is off', () => {
  let prod: TestApp;
  before(async () => {
    prod = await startTestApp({
      // Injected requests name `localhost` in Host: that is this deployment's public address here.
      config: { production: true, publicUrl: 'http://localhost', auth: defaultAuthConfig(TEST_SECRET, { emailCookieAuth: false, devLogin: false, cookieSecure: true }) },
    });
  });
  after(async () => {
    await prod?.close();
  });

  test('Cookie: email=… gets 401 on every meeting route', async () => {
    await call(t.app, 'POST', api('prod-room', '/join'), { as: 'owner@corp.com', body: {} });
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v1/meetings'],
      ['POST', '/api/v1/meetings', {}],
      ['GET', api('prod-room')],
      ['DELETE', api('prod-room')],
      ['POST', api('prod-room', '/join'), {}],
      ['GET', api('prod-room', '/status')],
      ['POST', api('prod-room', '/leave')],
      ['GET', api('prod-room', '/participants')],
      ['GET', api('prod-room', '/waiting')],
      ['POST', api('prod-room', '/admit'), { email: 'x@y.z' }],
      ['POST', api('prod-room', '/reject'), { email: 'x@y.z' }],
      ['POST', api('prod-room', '/admit-all')],
      ['GET', '/session'],
      ['GET', '/profile'],
    ];
    for (const [method, url, body] of routes) {
      expectError(await call(prod.app, method, url, { as: 'owner@corp.com', body }), 401, 'UNAUTHORIZED');
    }
  });

  test('no development sign-in without OIDC_ISSUER: /login and /login/dev are 404 NOT_FOUND', async () => {
    expectError(await call(prod.app, 'GET', '/login'), 404, 'NOT_FOUND');
    expectError(await call(prod.app, 'POST', '/login/dev', { body: { email: 'a@b.c' } }), 404, 'NOT_FOUND');
  });

  test('a guest session works there, with a Secure cookie', async () => {
    const g = await guest(prod.app);
    assert.equal(g.status, 200);
    assert.match(String([g.raw.headers['set-cookie']].flat()[0]), /; Secure/);
    const me = await call(prod.app, 'GET', '/session', { headers: { cookie: cookieOf(g) } });
    assert.equal(me.body.result.kind, 'guest');
  });
});

describe('TRUSTED_IDENTITY_HEADER', () => {
  test('when set, the header is the caller; when unset it is ignored', async () => {
    const proxied = await startTestApp({
      config: { auth: defaultAuthConfig(TEST_SECRET, { emailCookieAuth: false, trustedIdentityHeader: 'x-forwarded-email' }) },
    });
    try {
      const me = await call(proxied.app, 'GET', '/session', { headers: { 'x-forwarded-email': 'proxy-user@corp.com' } });
      assert.deepEqual(me.body.result, { email: 'proxy-user@corp.com', name: null, kind: 'trusted-header', expires_at: null });
      const created = await call(proxied.app, 'POST', '/api/v1/meetings', { headers: { 'x-forwarded-email': 'proxy-user@corp.com' }, body: {} });
      assert.equal(created.body.result.host, 'proxy-user@corp.com');
    } finally {
      await proxied.close();
    }
    // The default app has no trusted header: the header alone authenticates nobody.
    expectError(await call(t.app, 'GET', '/session', { headers: { 'x-forwarded-email': 'proxy-user@corp.com' } }), 401, 'UNAUTHORIZED');
  });
});

describe('the contract surface', () => {
  test('GET /openapi.json documents the sign-in routes with their schemas', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: any }> }> }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    for (const expected of [
      'GET /login',
      'GET /login/callback',
      'POST /login/dev',
      'GET /session',
      'GET /profile',
      'POST /logout',
      'GET /logout',
      'POST /api/v1/guest-session',
    ]) {
      assert.ok(operations.includes(expected), `${expected} is documented`);
    }
    const session = doc.paths['/session']!.get!.responses['200']!.content!['application/json']!.schema.properties.result;
    assert.deepEqual(Object.keys(session.properties).sort(), ['email', 'expires_at', 'kind', 'name']);
    const guestSession = doc.paths['/api/v1/guest-session']!.post!.responses['200']!.content!['application/json']!.schema.properties.result;
    assert.ok(guestSession.properties.session_token);
  });
});

describe('secrets stay out of the logs', () => {
  test('the callback code and state, session tokens and cookies are not logged', async () => {
    const { Writable } = await import('node:stream');
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await startTestApp({ deps: { logger: { level: 'info', stream } } });
    try {
      const login = await devLogin(logged.app, 'logged@example.com');
      const token = login.body.result.session_token as string;
      await call(logged.app, 'GET', '/session', { headers: { cookie: `session=${token}` } });
      await call(logged.app, 'GET', '/api/v1/meetings', { headers: { authorization: `Bearer ${token}` } });
      await logged.app.inject({ method: 'GET', url: '/login/callback?code=SECRET-CODE-123&state=SECRET-STATE-456' });
      // Other spellings of the same route (trailing slash, duplicate slash) must not leak it either.
      await logged.app.inject({ method: 'GET', url: '/login/callback/?code=SECRET-CODE-789&state=SECRET-STATE-012' });
      await logged.app.inject({ method: 'GET', url: '/login//callback?code=SECRET-CODE-345&state=SECRET-STATE-678' });
      const all = lines.join('');
      assert.ok(all.includes('request completed'), 'requests are logged');
      for (const secret of [token, token.split('.')[2]!, 'SECRET-CODE-123', 'SECRET-STATE-456', 'SECRET-CODE-789', 'SECRET-STATE-012', 'SECRET-CODE-345', 'SECRET-STATE-678']) {
        assert.ok(!all.includes(secret), `not logged: ${secret.slice(0, 12)}…`);
      }
    } finally {
      await logged.close();
    }
  });
});

describe('an unreachable identity provider', () => {
  test('GET /login is 503 SERVICE_UNAVAILABLE (the API itself starts and serves), and stores nothing', async () => {
    const down = await startTestApp({
      config: {
        auth: defaultAuthConfig(TEST_SECRET, {
          oidc: { issuer: 'http://127.0.0.1:9/', clientId: 'c', clientSecret: undefined, redirectUrl: undefined, scopes: 'openid email', allowUnverifiedEmail: false },
          devLogin: false,
        }),
      },
    });
    try {
      expectError(await call(down.app, 'GET', '/login'), 503, 'SERVICE_UNAVAILABLE');
      assert.equal((await call(down.app, 'GET', '/api/v1/meetings', { as: 'a@b.c' })).status, 200);
      const pending = await down.db.query<{ n: string }>('SELECT count(*) AS n FROM login_requests');
      assert.equal(Number(pending.rows[0]!.n), 0);
    } finally {
      await down.close();
    }
  });
});
