import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors';
import { emailFromCookieHeader, identifyByEmailCookie } from './caller';

describe('emailFromCookieHeader', () => {
  const cases: [string | undefined, string | undefined, string][] = [
    [undefined, undefined, 'no Cookie header'],
    ['', undefined, 'empty header'],
    ['email=', undefined, 'empty value'],
    ['email=   ', undefined, 'blank value'],
    ['email=""', undefined, 'empty quoted value'],
    ['email=" "', undefined, 'blank quoted value'],
    ['email', undefined, 'name without ='],
    ['theme=dark', undefined, 'only other cookies'],
    ['Email=a@b.c', undefined, 'names are case-sensitive'],
    ['emails=a@b.c', undefined, 'a longer name is another cookie'],
    ['my_email=a@b.c', undefined, 'a suffix match is another cookie'],
    ['email=a@b.c', 'a@b.c', 'plain value'],
    ['  email  =  a@b.c  ', 'a@b.c', 'spaces around name and value'],
    ['theme=dark; email=a@b.c', 'a@b.c', 'email second'],
    ['theme=dark;email=a@b.c;lang=en', 'a@b.c', 'no spaces after ;'],
    ['email=first@x.io; email=second@x.io', 'first@x.io', 'first of two'],
    ['email=; email=second@x.io', 'second@x.io', 'first non-empty wins'],
    ['email=  ; theme=x; email=third@x.io', 'third@x.io', 'blank then another'],
    ['email="a@b.c"', 'a@b.c', 'quoted'],
    ['email=" a@b.c "', 'a@b.c', 'quoted with inner spaces'],
    ['email="a@b.c', '"a@b.c', 'unbalanced quote kept'],
    ['email=a%40b.c', 'a@b.c', 'percent-encoded @'],
    ['email=%20a%40b.c%20', 'a@b.c', 'percent-encoded spaces trimmed'],
    ['email=%20', undefined, 'only an encoded space'],
    ['email=a%zzb', 'a%zzb', 'invalid percent-encoding kept as sent'],
    ['email=100%', '100%', 'trailing % kept as sent'],
    ['email=a=b@c.d', 'a=b@c.d', '= inside the value'],
    ['email=a+b@c.d', 'a+b@c.d', '+ is not a space'],
    ['email=ü@exämple.de', 'ü@exämple.de', 'non-ASCII'],
  ];
  for (const [header, expected, what] of cases) {
    test(`${what}: ${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(emailFromCookieHeader(header), expected);
    });
  }
});

describe('identifyByEmailCookie', () => {
  const request = (cookie: string | undefined) => ({ headers: cookie === undefined ? {} : { cookie } }) as FastifyRequest;

  function apiError(fn: () => unknown): ApiError {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ApiError, String(err));
      return err;
    }
    assert.fail('did not throw');
  }

  test('returns the email of the cookie', () => {
    assert.equal(identifyByEmailCookie(request('x=1; email=a%40b.c')), 'a@b.c');
  });

  test('missing or empty cookie is UNAUTHORIZED with the exact message', () => {
    for (const cookie of [undefined, '', 'email=', 'email=  ', 'other=1']) {
      const err = apiError(() => identifyByEmailCookie(request(cookie)));
      assert.equal(err.code, 'UNAUTHORIZED');
      assert.equal(err.statusCode, 401);
      assert.equal(err.message, 'Authentication required. Please provide email cookie.');
    }
  });

  test('a 255-character email is accepted, 256 is INVALID_REQUEST', () => {
    const ok = `${'e'.repeat(250)}@x.io`;
    assert.equal(identifyByEmailCookie(request(`email=${ok}`)), ok);
    const err = apiError(() => identifyByEmailCookie(request(`email=${'e'.repeat(251)}@x.io`)));
    assert.equal(err.code, 'INVALID_REQUEST');
    assert.equal(err.statusCode, 400);
  });

  test('control characters (raw or percent-encoded) are INVALID_REQUEST', () => {
    for (const cookie of ['email=a\u0001b', 'email=a%00b', 'email=a%0Ab', 'email=a%0D%0Ab', 'email=a%7Fb', 'email=a\tb']) {
      assert.equal(apiError(() => identifyByEmailCookie(request(cookie))).code, 'INVALID_REQUEST', cookie);
    }
  });
});
