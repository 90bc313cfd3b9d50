import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from 'service-runtime';
import { loadConfig } from '../config';
import { deriveSessionKey } from './auth-config';
import { safeReturnTo } from './return-to';

const SECRET = 'x'.repeat(40);
const base = { JWT_SECRET: SECRET, DATA_DIR: '/tmp/auth-config-test' };

function problems(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  throw new Error('expected a ConfigError');
}

describe('sign-in configuration', () => {
  test('development defaults: email cookie on, dev sign-in, cookies not Secure, 7-day sessions, derived key', () => {
    const { auth } = loadConfig(base);
    assert.equal(auth.emailCookieAuth, true);
    assert.equal(auth.devLogin, true);
    assert.equal(auth.cookieSecure, false);
    assert.equal(auth.sessionTtlSecs, 604_800);
    assert.equal(auth.sessionCookieName, 'session');
    assert.equal(auth.sessionKeySource, 'derived');
    assert.deepEqual(auth.sessionKey, deriveSessionKey(SECRET));
    assert.notDeepEqual(Buffer.from(auth.sessionKey), Buffer.from(SECRET), 'the session key is not the room-token key');
    assert.equal(auth.oidc, undefined);
  });

  test('NODE_ENV=production: email cookie off, no dev sign-in, Secure cookies; EMAIL_COOKIE_AUTH=on turns it back on', () => {
    const prod = loadConfig({ ...base, NODE_ENV: 'production' }).auth;
    assert.equal(prod.emailCookieAuth, false);
    assert.equal(prod.devLogin, false);
    assert.equal(prod.cookieSecure, true);
    assert.equal(loadConfig({ ...base, NODE_ENV: 'production', EMAIL_COOKIE_AUTH: 'on' }).auth.emailCookieAuth, true);
    assert.equal(loadConfig({ ...base, EMAIL_COOKIE_AUTH: 'off' }).auth.emailCookieAuth, false);
  });

  test('SESSION_SECRET must be at least 32 bytes and differ from JWT_SECRET', () => {
    assert.match(problems({ SESSION_SECRET: 'short' }), /SESSION_SECRET must be at least 32 bytes/);
    assert.match(problems({ SESSION_SECRET: SECRET }), /SESSION_SECRET must differ from JWT_SECRET/);
    const ok = loadConfig({ ...base, SESSION_SECRET: 's'.repeat(32) }).auth;
    assert.equal(ok.sessionKeySource, 'SESSION_SECRET');
  });

  test('OIDC_ISSUER must be https (http only on localhost) and needs OIDC_CLIENT_ID; OIDC_* without it is an error', () => {
    assert.match(problems({ OIDC_ISSUER: 'http://idp.example.com', OIDC_CLIENT_ID: 'c' }), /OIDC_ISSUER must be an https/);
    assert.match(problems({ OIDC_ISSUER: 'https://idp.example.com' }), /OIDC_CLIENT_ID is required/);
    assert.match(problems({ OIDC_CLIENT_ID: 'c' }), /OIDC_CLIENT_ID is set but OIDC_ISSUER is not/);
    assert.match(problems({ OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'c', OIDC_SCOPES: 'email' }), /must include openid/);
    const local = loadConfig({ ...base, OIDC_ISSUER: 'http://localhost:8180/realms/dev', OIDC_CLIENT_ID: 'c' }).auth;
    assert.equal(local.oidc?.scopes, 'openid email profile');
    assert.equal(local.devLogin, false, 'with OIDC there is no development sign-in');
  });

  test('bad values are named: EMAIL_COOKIE_AUTH, SESSION_TTL_SECS, COOKIE_SECURE, SESSION_COOKIE_NAME, ALLOWED_REDIRECT_URLS, AFTER_LOGIN_URL, TRUSTED_IDENTITY_HEADER', () => {
    const message = problems({
      EMAIL_COOKIE_AUTH: 'maybe',
      SESSION_TTL_SECS: '10',
      COOKIE_SECURE: 'sometimes',
      SESSION_COOKIE_NAME: 'a b',
      ALLOWED_REDIRECT_URLS: 'https://ok.example,ftp://x',
      AFTER_LOGIN_URL: '//evil.example',
      TRUSTED_IDENTITY_HEADER: 'Bad Header',
    });
    for (const name of ['EMAIL_COOKIE_AUTH', 'SESSION_TTL_SECS', 'COOKIE_SECURE', 'SESSION_COOKIE_NAME', 'ALLOWED_REDIRECT_URLS', 'AFTER_LOGIN_URL', 'TRUSTED_IDENTITY_HEADER']) {
      assert.match(message, new RegExp(name), name);
    }
  });

  test('ALLOWED_REDIRECT_URLS are kept as origins; TRUSTED_IDENTITY_HEADER lower-cased', () => {
    const auth = loadConfig({ ...base, ALLOWED_REDIRECT_URLS: 'https://app.example/path, http://localhost:5173', TRUSTED_IDENTITY_HEADER: 'X-Forwarded-Email' }).auth;
    assert.deepEqual(auth.allowedRedirectOrigins, ['https://app.example', 'http://localhost:5173']);
    assert.equal(auth.trustedIdentityHeader, 'x-forwarded-email');
  });
});

describe('safeReturnTo', () => {
  const allowed = ['https://app.example'];
  const cases: [string | undefined, string][] = [
    [undefined, '/home'],
    ['', '/home'],
    ['/rooms/1?x=2#y', '/rooms/1?x=2#y'],
    ['//evil.example', '/home'],
    ['/\\evil.example', '/home'],
    ['https://evil.example/', '/home'],
    ['https://app.example.evil.example/', '/home'],
    ['https://app.example@evil.example/', '/home'],
    ['javascript:alert(1)', '/home'],
    ['rooms/1', '/home'],
    ['/a\nb', '/home'],
    ['https://app.example/rooms', 'https://app.example/rooms'],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(safeReturnTo(input, allowed, '/home'), expected));
  }
});
