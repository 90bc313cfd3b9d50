import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { SignJWT } from 'jose';
import { SESSION_AUDIENCE, SESSION_ISSUER } from 'meeting-types';
import { deriveSessionKey } from '../../meeting-api/src/auth/auth-config';
import { SECRET, connect, mintToken, refusedHandshake, startServer, type Running } from './helpers';

/** A session JWT exactly as the Meeting API issues it (claims of meeting-types' SessionClaims). */
function sessionJwt(key: Uint8Array): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ name: 'Alice', sid: '0123456789abcdef0123456789abcdef', kind: 'oidc' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('alice@example.com')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setIssuer(SESSION_ISSUER)
    .setAudience(SESSION_AUDIENCE)
    .sign(key);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function get(url: string): Promise<{ status: number; contentType: string | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('GET /lobby token checks (before the upgrade)', () => {
  let srv: Running;
  before(async () => {
    srv = await startServer();
  });
  after(() => srv.app.close());

  async function expectRefusal(query: string, status: number, code: string, messagePart: RegExp) {
    const r = await refusedHandshake(`${srv.ws}/lobby${query}`);
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.contentType, 'application/json');
    const body = r.body as { success: boolean; result: { code: string; message: string } };
    assert.equal(body.success, false);
    assert.equal(body.result.code, code);
    assert.match(body.result.message, messagePart);
    assert.deepEqual(Object.keys(body.result).sort(), ['code', 'message']);
  }

  test('a missing token gets 400 MISSING_TOKEN', async () => {
    await expectRefusal('', 400, 'MISSING_TOKEN', /token is required/);
    await expectRefusal('?token=', 400, 'MISSING_TOKEN', /token is required/);
  });

  test('a valid HS256 token connects', async () => {
    const c = await connect(srv.ws, await mintToken());
    assert.equal(c.ws.readyState, c.ws.OPEN);
    await c.close();
  });

  test('a token expired within the 60 s leeway is still accepted', async () => {
    const c = await connect(srv.ws, await mintToken({ expIn: -30 }));
    await c.close();
  });

  const valid = () => mintToken();
  const matrix: Array<[string, () => Promise<string>, RegExp]> = [
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${(await valid()).split('.')[1]}.`, /wrong algorithm/],
    ['HS512', () => mintToken({ alg: 'HS512' }), /wrong algorithm/],
    ['HS384', () => mintToken({ alg: 'HS384' }), /wrong algorithm/],
    ['an RS256-looking header', async () => {
      const [, payload, sig] = (await valid()).split('.');
      return `${b64({ alg: 'RS256', typ: 'JWT' })}.${payload}.${sig}`;
    }, /wrong algorithm/],
    ['an ES256-looking header', async () => {
      const [, payload, sig] = (await valid()).split('.');
      return `${b64({ alg: 'ES256', typ: 'JWT' })}.${payload}.${sig}`;
    }, /wrong algorithm/],
    ['the wrong secret', () => mintToken({ secret: `${SECRET}-other` }), /bad signature/],
    ['a tampered payload', async () => {
      const [h, , s] = (await valid()).split('.');
      const forged = b64({ sub: 'mallory@example.com', room: 'room-1', room_join: true, is_host: true, display_name: 'M', iat: 1, exp: 4102444800, iss: 'videocall-meeting-backend' });
      return `${h}.${forged}.${s}`;
    }, /bad signature/],
    ['an expiry beyond the 60 s leeway', () => mintToken({ expIn: -120 }), /expired/],
    ['the wrong issuer', () => mintToken({ iss: 'someone-else' }), /wrong issuer/],
    ['room_join false', () => mintToken({ extra: { room_join: false } }), /malformed claims/],
    ['no sub', () => mintToken({ omit: ['sub'] }), /malformed claims/],
    ['an empty sub', () => mintToken({ sub: '' }), /malformed claims/],
    ['no room', () => mintToken({ omit: ['room'] }), /malformed claims/],
    ['a malformed room (dots)', () => mintToken({ room: 'a.b' }), /malformed claims/],
    ['a malformed room (wildcard)', () => mintToken({ room: '>' }), /malformed claims/],
    ['no exp', () => mintToken({ omit: ['exp'] }), /malformed claims/],
    ['a non-boolean is_host', () => mintToken({ extra: { is_host: 'yes' } }), /malformed claims/],
    // Sessions of the Meeting API (the sign-in extension) never open the lobby: another key, and no room grant.
    ['a Meeting API session JWT (session key derived from the same secret)', () => sessionJwt(deriveSessionKey(SECRET)), /bad signature/],
    ['session claims signed with the room-token key itself', () => sessionJwt(new TextEncoder().encode(SECRET)), /malformed claims/],
    ['a garbage string', async () => 'not-a-jwt', /malformed token/],
    ['three garbage segments', async () => 'a.b.c', /malformed token/],
  ];
  for (const [name, make, why] of matrix) {
    test(`a token with ${name} gets 401 INVALID_TOKEN saying why`, async () => {
      await expectRefusal(`?token=${encodeURIComponent(await make())}`, 401, 'INVALID_TOKEN', why);
    });
  }

  test('the old /lobby/{email}/{room} form gets 410 TOKEN_REQUIRED', async () => {
    const r = await refusedHandshake(`${srv.ws}/lobby/a@b.c/room`);
    assert.equal(r.status, 410);
    assert.equal(r.contentType, 'application/json');
    const body = r.body as { success: boolean; result: { code: string; message: string } };
    assert.equal(body.success, false);
    assert.equal(body.result.code, 'TOKEN_REQUIRED');
    assert.match(body.result.message, /token/);
    const plain = await get(`${srv.base}/lobby/a@b.c/room`);
    assert.equal(plain.status, 410);
  });

  test('a token for a valid room does not open any other path', async () => {
    const token = await mintToken();
    const r = await refusedHandshake(`${srv.ws}/other?token=${token}`);
    assert.equal(r.status, 404);
    assert.deepEqual((r.body as { result: { code: string } }).result.code, 'NOT_FOUND');
    const r2 = await refusedHandshake(`${srv.ws}//lobby?token=${token}`);
    assert.equal(r2.status, 404);
  });

  test('GET /healthz answers the success envelope', async () => {
    const r = await get(`${srv.base}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.contentType, 'application/json');
    assert.deepEqual(r.body, { success: true, result: { status: 'ok' } });
  });

  test('plain HTTP on unknown paths and /lobby without an upgrade get envelopes', async () => {
    const notFound = await get(`${srv.base}/nope`);
    assert.equal(notFound.status, 404);
    assert.equal((notFound.body as { result: { code: string } }).result.code, 'NOT_FOUND');
    const noToken = await get(`${srv.base}/lobby`);
    assert.equal(noToken.status, 400);
    assert.equal((noToken.body as { result: { code: string } }).result.code, 'MISSING_TOKEN');
    const noUpgrade = await get(`${srv.base}/lobby?token=${await mintToken()}`);
    assert.equal(noUpgrade.status, 400);
    assert.equal((noUpgrade.body as { result: { code: string } }).result.code, 'INVALID_REQUEST');
  });

  test('a method other than GET on /lobby gets 405 METHOD_NOT_ALLOWED', async () => {
    for (const method of ['POST', 'DELETE', 'PUT']) {
      const res = await fetch(`${srv.base}/lobby?token=${await mintToken()}`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(((await res.json()) as { result: { code: string } }).result.code, 'METHOD_NOT_ALLOWED');
    }
  });
});
