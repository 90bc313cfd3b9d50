import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { defaultAuthConfig, deriveSessionKey, type AuthConfig } from '../src/auth/auth-config';
import { countSessions } from '../src/db/sessions-repo';
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

/** GET /login → the provider URL it redirects to. */
async function startLogin(returnTo?: string): Promise<URL> {
  const res = await t.app.inject({ method: 'GET', url: returnTo === undefined ? '/login' : `/login?returnTo=${encodeURIComponent(returnTo)}` });
  assert.equal(res.statusCode, 302, res.body);
  return new URL(res.headers.location as string);
}

/** Delivers the provider's redirect back to the API's callback. */
async function callback(back: URL) {
  return t.app.inject({ method: 'GET', url: `/login/callback${back.search}` });
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
    const res = await t.app.inject({ method: 'GET', url: `/login/callback?error=access_denied&state=${encodeURIComponent(state)}` });
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
