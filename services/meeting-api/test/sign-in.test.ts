import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { defaultAuthConfig, deriveSessionKey, type AuthConfig } from '../src/auth/auth-config';
import { countSessions, insertSession } from '../src/db/sessions-repo';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_REDIRECT_URL, signInAtProvider, startTestProvider, type TestProvider } from './oidc-provider';
import { buildApp } from '../src/app';
import { api, call, expectError, startTestApp, TEST_SECRET, testConfig, type ApiResult, type TestApp } from './helpers';

/**
 * Sign-in against a real OpenID Provider (panva's oidc-provider) in this process:
 * the whole authorization code flow over HTTP, then the session on the meeting routes,
 * and every forged or replayed input refused with its code and nothing stored.
 */

let provider: TestProvider;
let otherProvider: TestProvider;
let t: TestApp;
let clock = Date.now();

function oidcAuth(issuer: string, overrides: Partial<AuthConfig> = {}): AuthConfig {
  return defaultAuthConfig(TEST_SECRET, {
    oidc: {
      issuer,
      clientId: TEST_CLIENT_ID,
      clientSecret: TEST_CLIENT_SECRET,
      redirectUrl: TEST_REDIRECT_URL,
      scopes: 'openid email profile',
      allowUnverifiedEmail: false,
    },
    allowedRedirectOrigins: ['https://app.example'],
    afterLoginUrl: '/',
    ...overrides,
  });
}

before(async () => {
  provider = await startTestProvider('127.0.0.1');
  otherProvider = await startTestProvider('localhost');
  t = await startTestApp({ config: { auth: oidcAuth(provider.issuer) }, deps: { now: () => clock } });
});

after(async () => {
  await t?.close();
  await provider?.close();
  await otherProvider?.close();
});

function setCookieLines(res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie'];
  return Array.isArray(raw) ? (raw as string[]) : raw === undefined ? [] : [String(raw)];
}

/** The login binding cookie (`name=value`) each started sign-in set, by its state: what the browser would hold. */
const bindings = new Map<string, string>();

/** GET /login → the provider URL it redirects to (the binding cookie it set is kept, as a browser would). */
async function startLogin(returnTo?: string): Promise<URL> {
  const res = await t.app.inject({ method: 'GET', url: returnTo === undefined ? '/login' : `/login?returnTo=${encodeURIComponent(returnTo)}` });
  assert.equal(res.statusCode, 302, res.body);
  const authorize = new URL(res.headers.location as string);
  const binding = setCookieLines(res).find((l) => l.startsWith('login_binding_'));
  if (binding) bindings.set(authorize.searchParams.get('state')!, binding.split(';')[0]!);
  return authorize;
}

/** Delivers the provider's redirect back to the API's callback, from the browser that started it (unless `cookie` says otherwise). */
async function callback(back: URL, cookie = bindings.get(back.searchParams.get('state') ?? '')) {
  return t.app.inject({ method: 'GET', url: `/login/callback${back.search}`, headers: cookie === undefined ? {} : { cookie } });
}

function sessionCookieOf(res: { headers: Record<string, unknown> }): string | undefined {
  const raw = res.headers['set-cookie'];
  const lines = Array.isArray(raw) ? (raw as string[]) : raw === undefined ? [] : [String(raw)];
  const line = lines.find((l) => l.startsWith('session='));
  return line?.split(';')[0]!.slice('session='.length);
}

function asResult(res: Awaited<ReturnType<typeof callback>>): ApiResult {
  return { status: res.statusCode, body: res.json(), raw: res };
}

async function withSessionCookie(method: string, url: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  return call(t.app, method, url, { headers: { cookie: `session=${token}`, ...headers }, body });
}

describe('OIDC sign-in against a real provider', () => {
  test('the whole code flow: PKCE S256 + state + nonce, verified email, session cookie, then the meeting routes', async () => {
    const before = await countSessions(t.db);
    const authorize = await startLogin('/rooms/standup');
    assert.equal(authorize.origin, new URL(provider.issuer).origin);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((authorize.searchParams.get('state') ?? '').length >= 32);
    assert.ok((authorize.searchParams.get('nonce') ?? '').length >= 32);
    assert.equal(authorize.searchParams.get('redirect_uri'), TEST_REDIRECT_URL);

    const back = await signInAtProvider(authorize.href, 'alice');
    assert.ok(back.searchParams.get('code'));
    const res = await callback(back);
    assert.equal(res.statusCode, 302, res.body);
    assert.equal(res.headers.location, '/rooms/standup');
    const setCookie = String([res.headers['set-cookie']].flat()[0]);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    assert.match(setCookie, /Path=\//);
    assert.doesNotMatch(setCookie, /Secure/, 'COOKIE_SECURE defaults to false in development');
    const token = sessionCookieOf(res)!;
    assert.ok(token);
    assert.equal(await countSessions(t.db), before + 1);

    const session = await withSessionCookie('GET', '/session', token);
    assert.equal(session.status, 200);
    assert.equal(session.body.result.email, 'alice@example.com');
    assert.equal(session.body.result.name, 'Alice Verified');
    assert.equal(session.body.result.kind, 'oidc');
    assert.equal(session.body.result.expires_at, Math.floor(clock / 1000) + 604_800);
    const profile = await withSessionCookie('GET', '/profile', token);
    assert.deepEqual(profile.body.result, { email: 'alice@example.com', name: 'Alice Verified' });

    // The session on the meeting routes: create, host-join, list.
    const created = await withSessionCookie('POST', '/api/v1/meetings', token, { meeting_id: 'oidc-room' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const joined = await withSessionCookie('POST', api('oidc-room', '/join'), token, {});
    assert.equal(joined.body.result.email, 'alice@example.com');
    assert.equal(joined.body.result.is_host, true);
    const bearer = await call(t.app, 'GET', '/api/v1/meetings', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bearer.body.result.meetings[0].meeting_id, 'oidc-room');

    // Logout revokes: the same JWT is refused afterwards, here and everywhere.
    const out = await withSessionCookie('POST', '/logout', token);
    assert.equal(out.status, 200);
    assert.equal(typeof out.body.result.message, 'string');
    assert.match(String([out.raw.headers['set-cookie']].flat()[0]), /^session=;.*Expires=Thu, 01 Jan 1970/);
    expectError(await withSessionCookie('GET', '/session', token), 401, 'UNAUTHORIZED');
    expectError(await withSessionCookie('GET', api('oidc-room', '/status'), token), 401, 'UNAUTHORIZED');
    const again = await withSessionCookie('POST', '/logout', token);
    assert.equal(again.status, 200, 'logout is idempotent');
  });

  test('a replayed state is refused (LOGIN_FAILED) and makes no second session', async () => {
    const back = await signInAtProvider((await startLogin()).href, 'alice');
    assert.equal((await callback(back)).statusCode, 302);
    const count = await countSessions(t.db);
    expectError(asResult(await callback(back)), 400, 'LOGIN_FAILED');
    assert.equal(await countSessions(t.db), count);
  });

  test('an unknown state, or none, is LOGIN_FAILED and stores nothing', async () => {
    const count = await countSessions(t.db);
    expectError(asResult(await t.app.inject({ method: 'GET', url: '/login/callback?code=abc&state=never-issued' })), 400, 'LOGIN_FAILED');
    expectError(asResult(await t.app.inject({ method: 'GET', url: '/login/callback?code=abc' })), 400, 'LOGIN_FAILED');
    expectError(asResult(await t.app.inject({ method: 'GET', url: '/login/callback' })), 400, 'LOGIN_FAILED');
    assert.equal(await countSessions(t.db), count);
  });

  test('a sign-in finished after 10 minutes is LOGIN_EXPIRED and stores nothing', async () => {
    const authorize = await startLogin();
    const back = await signInAtProvider(authorize.href, 'alice');
    const count = await countSessions(t.db);
    clock += 601_000;
    try {
      expectError(asResult(await callback(back)), 400, 'LOGIN_EXPIRED');
    } finally {
      clock -= 601_000;
    }
    assert.equal(await countSessions(t.db), count);
  });

  test('an ID token carrying another nonce is LOGIN_FAILED and stores nothing', async () => {
    const authorize = await startLogin();
    authorize.searchParams.set('nonce', 'attacker-chosen-nonce-0123456789abcdef');
    const back = await signInAtProvider(authorize.href, 'alice');
    const count = await countSessions(t.db);
    const message = expectError(asResult(await callback(back)), 400, 'LOGIN_FAILED');
    assert.match(message, /nonce/);
    assert.equal(await countSessions(t.db), count);
  });

  test('a code and ID token from another issuer (mix-up) are LOGIN_FAILED and store nothing', async () => {
    const authorize = await startLogin();
    const other = new URL(authorize.pathname + authorize.search, otherProvider.issuer);
    const back = await signInAtProvider(other.href, 'alice');
    assert.equal(back.searchParams.get('iss'), otherProvider.issuer);
    const count = await countSessions(t.db);
    expectError(asResult(await callback(back)), 400, 'LOGIN_FAILED');
    assert.equal(await countSessions(t.db), count);
  });

  test('a provider error (the user declined) is LOGIN_FAILED', async () => {
    const state = (await startLogin()).searchParams.get('state')!;
    const res = await callback(new URL(`${TEST_REDIRECT_URL}?error=access_denied&state=${encodeURIComponent(state)}`));
    assert.match(expectError(asResult(res), 400, 'LOGIN_FAILED'), /access_denied/);
  });

  test('an unverified email is 403 EMAIL_NOT_VERIFIED and stores nothing', async () => {
    const back = await signInAtProvider((await startLogin()).href, 'bob');
    const count = await countSessions(t.db);
    expectError(asResult(await callback(back)), 403, 'EMAIL_NOT_VERIFIED');
    assert.equal(await countSessions(t.db), count);
  });

  test('returnTo=https://evil.example (and look-alikes) fall back to AFTER_LOGIN_URL; listed origins are kept', async () => {
    for (const [returnTo, expected] of [
      ['https://evil.example/steal', '/'],
      ['//evil.example/x', '/'],
      ['/\\evil.example', '/'],
      ['https://app.example@evil.example/', '/'],
      ['javascript:alert(1)', '/'],
      ['https://app.example/rooms/1?x=y', 'https://app.example/rooms/1?x=y'],
    ] as const) {
      const res = await callback(await signInAtProvider((await startLogin(returnTo)).href, 'alice'));
      assert.equal(res.statusCode, 302);
      assert.equal(res.headers.location, expected, returnTo);
    }
  });

  test('GET /login binds the sign-in to the browser: an HttpOnly, SameSite=Lax cookie for the callback path only, 10 minutes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/login' });
    const line = setCookieLines(res).find((l) => l.startsWith('login_binding_'));
    assert.ok(line, res.headers['set-cookie'] as string);
    assert.match(line, /^login_binding_[0-9a-f]{16}=[A-Za-z0-9_-]{43};/);
    assert.match(line, /; Max-Age=600/);
    assert.match(line, /; Path=\/login\/callback/, 'the callback path of OIDC_REDIRECT_URL');
    assert.match(line, /; HttpOnly/);
    assert.match(line, /; SameSite=Lax/);
    assert.doesNotMatch(line, /Secure/, 'COOKIE_SECURE is false in development');
    const pending = await t.db.query<{ binding_hash: string }>('SELECT binding_hash FROM login_requests WHERE state = $1', [
      new URL(res.headers.location as string).searchParams.get('state'),
    ]);
    const value = line.split(';')[0]!.split('=')[1]!;
    assert.match(pending.rows[0]!.binding_hash, /^[0-9a-f]{64}$/);
    assert.ok(!pending.rows[0]!.binding_hash.includes(value), 'only a hash of the binding is stored');
  });

  test('login CSRF: a code and state delivered to a browser that did not start the sign-in are LOGIN_FAILED and store nothing', async () => {
    const count = await countSessions(t.db);
    // The attacker signs in as himself and stops before the last redirect; the victim's browser gets the callback URL.
    const attackers = await signInAtProvider((await startLogin('/rooms/trap')).href, 'alice');
    const noCookie = await callback(attackers, '');
    assert.match(expectError(asResult(noCookie), 400, 'LOGIN_FAILED'), /not started in this browser/);
    assert.equal(setCookieLines(noCookie).find((l) => l.startsWith('session=')), undefined);

    // The victim holds a binding of her own (another sign-in she started): still not this one.
    const victims = await startLogin();
    const victimCookie = bindings.get(victims.searchParams.get('state')!)!;
    const attackers2 = await signInAtProvider((await startLogin('/rooms/trap')).href, 'alice');
    const stateName = bindings.get(attackers2.searchParams.get('state')!)!.split('=')[0]!;
    const wrong = await callback(attackers2, `${victimCookie}; ${stateName}=${victimCookie.split('=')[1]}`);
    expectError(asResult(wrong), 400, 'LOGIN_FAILED');
    assert.equal(await countSessions(t.db), count, 'no session was created');
  });

  test('the callback clears the binding cookie; it cannot be used twice', async () => {
    const back = await signInAtProvider((await startLogin()).href, 'alice');
    const res = await callback(back);
    assert.equal(res.statusCode, 302, res.body);
    const cleared = setCookieLines(res).find((l) => l.startsWith('login_binding_'));
    assert.ok(cleared);
    assert.match(cleared, /^login_binding_[0-9a-f]{16}=;/);
    assert.match(cleared, /Expires=Thu, 01 Jan 1970/);
    assert.match(cleared, /Path=\/login\/callback/);
  });

  test('returnTo with non-ASCII characters (/Ā) redirects percent-encoded, never a 500, and makes exactly one session', async () => {
    const count = await countSessions(t.db);
    const res = await callback(await signInAtProvider((await startLogin('/rooms/Ā?q=é#ü')).href, 'alice'));
    assert.equal(res.statusCode, 302, res.body);
    assert.equal(res.headers.location, '/rooms/%C4%80?q=%C3%A9#%C3%BC');
    assert.equal(await countSessions(t.db), count + 1);
    // A dot segment that would resolve to //host after encoding falls back instead.
    const dots = await callback(await signInAtProvider((await startLogin('/.//evil.example/Ā')).href, 'alice'));
    assert.equal(dots.headers.location, '/');
  });

  test('email and email_verified come from one source: an ID token email is never paired with userinfo\'s email_verified', async () => {
    const authorize = await startLogin();
    authorize.searchParams.set('claims', JSON.stringify({ id_token: { email: null } }));
    const res = await callback(await signInAtProvider(authorize.href, 'mixed'));
    assert.equal(res.statusCode, 302, res.body);
    const session = await withSessionCookie('GET', '/session', sessionCookieOf(res)!);
    assert.equal(session.body.result.email, 'mixed@example.com', 'the verified email of the document that verified it, not the ID token\'s ceo@example.com');
  });

  test('with OIDC configured, the development routes do not exist', async () => {
    const res = await call(t.app, 'POST', '/login/dev', { body: { email: 'x@y.z' } });
    expectError(res, 404, 'NOT_FOUND');
  });
});

describe('session JWTs that must be refused', () => {
  let good: string;
  let roomToken: string;
  before(async () => {
    const back = await signInAtProvider((await startLogin()).href, 'alice');
    good = sessionCookieOf(await callback(back))!;
    const created = await withSessionCookie('POST', api('jwt-room', '/join'), good, {});
    roomToken = created.body.result.room_token;
    assert.ok(roomToken);
  });

  const key = () => deriveSessionKey(TEST_SECRET);
  const claims = () => ({ name: null, sid: 'not-a-row', kind: 'dev' });
  async function sign(payload: Record<string, unknown>, secret: Uint8Array, aud = 'meeting-api', exp = Math.floor(clock / 1000) + 600) {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('mallory@example.com')
      .setIssuedAt(Math.floor(clock / 1000))
      .setExpirationTime(exp)
      .setIssuer('videocall-meeting-backend')
      .setAudience(aud)
      .sign(secret);
  }

  async function forgedTokens(): Promise<Record<string, string>> {
    const [h, p, s] = good.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tamperedPayload = Buffer.from(JSON.stringify({ ...payload, sub: 'mallory@example.com' })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${tamperedPayload}.`;
    return {
      tampered: `${h}.${tamperedPayload}.${s}`,
      'bad signature': `${h}.${p}.${s.slice(0, -4)}AAAA`,
      'wrong key': await sign(claims(), new TextEncoder().encode('another-secret-that-is-long-enough-0123456789')),
      'room-token key': await sign(claims(), new TextEncoder().encode(TEST_SECRET)),
      'alg none': none,
      'wrong aud': await sign(claims(), key(), 'media-server'),
      expired: await sign(claims(), key(), 'meeting-api', Math.floor(clock / 1000) - 1),
      'room token as session': roomToken,
      garbage: 'not.a.jwt',
    };
  }

  test('tampered, wrong-key, alg:none, wrong-aud, expired and room-token JWTs are 401 by Bearer and by cookie', async () => {
    const count = await countSessions(t.db);
    for (const [what, token] of Object.entries(await forgedTokens())) {
      expectError(await call(t.app, 'GET', '/api/v1/meetings', { headers: { authorization: `Bearer ${token}` } }), 401, 'UNAUTHORIZED');
      expectError(await withSessionCookie('GET', '/api/v1/meetings', token), 401, 'UNAUTHORIZED');
      expectError(await withSessionCookie('GET', '/session', token), 401, 'UNAUTHORIZED');
      assert.ok(true, what);
    }
    assert.equal(await countSessions(t.db), count);
  });

  test('a correctly signed session whose row was never stored, or belongs to someone else, is 401', async () => {
    const exp = Math.floor(clock / 1000) + 600;
    const noRow = await sign({ name: null, sid: 'never-stored-0123456789abcdef', kind: 'oidc' }, key());
    await insertSession(t.db, { id: 'row-of-alice-0123456789abcdef', subject: 'alice@example.com', kind: 'oidc', expiresAt: exp });
    const otherSubject = await sign({ name: null, sid: 'row-of-alice-0123456789abcdef', kind: 'oidc' }, key());
    for (const token of [noRow, otherSubject]) {
      expectError(await call(t.app, 'GET', '/api/v1/meetings', { headers: { authorization: `Bearer ${token}` } }), 401, 'UNAUTHORIZED');
      expectError(await withSessionCookie('GET', '/session', token), 401, 'UNAUTHORIZED');
    }
  });

  test('a dev session (even with a live row) is 401 while development sign-in is off', async () => {
    await insertSession(t.db, { id: 'dev-row-0123456789abcdef', subject: 'mallory@example.com', kind: 'dev', expiresAt: Math.floor(clock / 1000) + 600 });
    const dev = await sign({ name: null, sid: 'dev-row-0123456789abcdef', kind: 'dev' }, key());
    const res = await call(t.app, 'POST', '/api/v1/meetings', { headers: { authorization: `Bearer ${dev}` }, body: { meeting_id: 'dev-in-prod' } });
    assert.match(expectError(res, 401, 'UNAUTHORIZED'), /development sessions are off/);
    expectError(await withSessionCookie('GET', '/session', dev), 401, 'UNAUTHORIZED');
  });

  test('a bad session never falls through to the email cookie', async () => {
    const { tampered } = await forgedTokens();
    const res = await call(t.app, 'POST', '/api/v1/meetings', {
      headers: { cookie: `session=${tampered}; email=owner@corp.com` },
      body: {},
    });
    expectError(res, 401, 'UNAUTHORIZED');
    expectError(await call(t.app, 'GET', '/api/v1/meetings', { headers: { authorization: 'Bearer', cookie: 'email=a@b.c' } }), 401, 'UNAUTHORIZED');
    expectError(await call(t.app, 'GET', '/api/v1/meetings', { headers: { authorization: 'Bearer a b', cookie: 'email=a@b.c' } }), 401, 'UNAUTHORIZED');
    // Another scheme (a proxy's Basic credentials) is not a session: the cookies decide.
    assert.equal((await call(t.app, 'GET', '/api/v1/meetings', { headers: { authorization: 'Basic abc', cookie: 'email=a@b.c' } })).status, 200);
  });

  test('a session past its expiry is refused', async () => {
    clock += 604_801_000;
    try {
      expectError(await withSessionCookie('GET', '/session', good), 401, 'UNAUTHORIZED');
    } finally {
      clock -= 604_801_000;
    }
    assert.equal((await withSessionCookie('GET', '/session', good)).status, 200);
  });
});

describe('logout on one instance revokes on another', () => {
  test('a second API instance on the same database refuses the session after its next revocation poll', async () => {
    const other = await buildApp({ ...testConfig, auth: oidcAuth(provider.issuer, { revocationPollMs: 50 }) }, { db: t.db, logger: false });
    await other.ready();
    try {
      const token = sessionCookieOf(await callback(await signInAtProvider((await startLogin()).href, 'alice')))!;
      const onOther = () => other.inject({ method: 'GET', url: '/session', headers: { cookie: `session=${token}` } });
      assert.equal((await onOther()).statusCode, 200, 'a session issued by one instance works on the other');
      assert.equal((await withSessionCookie('POST', '/logout', token)).status, 200);
      let status = 200;
      for (let i = 0; i < 200 && status === 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await onOther()).statusCode;
      }
      assert.equal(status, 401, 'the other instance refuses the revoked session');
    } finally {
      await other.close();
    }
  });
});
