import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { ROOM_TOKEN_ISSUER, RoomAccessTokenClaimsSchema } from 'meeting-types';
import { Check } from 'typebox/value';
import { createTokenSigner } from './token-signer';

const SECRET = 'token-signer-test-secret-0123456789-abcdef';
const KEY = new TextEncoder().encode(SECRET);
const NOW_MS = 1_706_918_400_750; // fractional second: iat must be floored
const NOW_S = 1_706_918_400;

const fixedClock = () => NOW_MS;

function verify(token: string, key: Uint8Array = KEY) {
  return jwtVerify(token, key, { algorithms: ['HS256'], issuer: ROOM_TOKEN_ISSUER, currentDate: new Date(NOW_MS) });
}

describe('createTokenSigner', () => {
  test('the header is exactly {"alg":"HS256","typ":"JWT"}', () => {
    const token = createTokenSigner(SECRET, 600, fixedClock).sign({ email: 'a@b.c', room: 'r', isHost: false, displayName: null });
    const [header] = token.split('.');
    assert.equal(Buffer.from(header!, 'base64url').toString('utf8'), '{"alg":"HS256","typ":"JWT"}');
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
  });

  test('a host token verifies with jose (HS256 only) and carries exactly the documented claims', async () => {
    const signer = createTokenSigner(SECRET, 600, fixedClock);
    const token = signer.sign({ email: 'host@example.com', room: 'standup-2024', isHost: true, displayName: 'Alice' });
    const { payload, protectedHeader } = await verify(token);
    assert.deepEqual(protectedHeader, { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(payload, {
      sub: 'host@example.com',
      room: 'standup-2024',
      room_join: true,
      is_host: true,
      display_name: 'Alice',
      iat: NOW_S,
      exp: NOW_S + 600,
      iss: 'videocall-meeting-backend',
    });
    assert.ok(Check(RoomAccessTokenClaimsSchema, payload), 'claims match the shared schema');
  });

  test('display_name falls back to the email when none was given', async () => {
    const token = createTokenSigner(SECRET, 600, fixedClock).sign({ email: 'bob@example.com', room: 'r1', isHost: false, displayName: null });
    const { payload } = await verify(token);
    assert.equal(payload.display_name, 'bob@example.com');
    assert.equal(payload.is_host, false);
  });

  test('exp = iat + ttl for the injected clock and TTL', async () => {
    for (const ttl of [10, 600, 86_400]) {
      const token = createTokenSigner(SECRET, ttl, fixedClock).sign({ email: 'a@b.c', room: 'r', isHost: false, displayName: 'A' });
      const { payload } = await verify(token);
      assert.equal(payload.iat, NOW_S);
      assert.equal(payload.exp, NOW_S + ttl);
    }
  });

  test('the clock is read at signing time, not at creation', async () => {
    let now = NOW_MS;
    const signer = createTokenSigner(SECRET, 600, () => now);
    now += 42_000;
    const { payload } = await jwtVerify(signer.sign({ email: 'a@b.c', room: 'r', isHost: false, displayName: null }), KEY, {
      algorithms: ['HS256'],
      currentDate: new Date(now),
    });
    assert.equal(payload.iat, NOW_S + 42);
  });

  test('non-ASCII display names and emails round-trip', async () => {
    const token = createTokenSigner(SECRET, 600, fixedClock).sign({ email: 'ü@exämple.de', room: 'r', isHost: false, displayName: 'Zoë 🎉 "quoted"' });
    const { payload } = await verify(token);
    assert.equal(payload.sub, 'ü@exämple.de');
    assert.equal(payload.display_name, 'Zoë 🎉 "quoted"');
  });

  test('a token signed with another secret fails verification', async () => {
    const token = createTokenSigner('another-secret-that-is-also-32-bytes-long', 600, fixedClock).sign({
      email: 'a@b.c',
      room: 'r',
      isHost: true,
      displayName: null,
    });
    await assert.rejects(verify(token), joseErrors.JWSSignatureVerificationFailed);
  });

  test('a tampered payload fails verification', async () => {
    const token = createTokenSigner(SECRET, 600, fixedClock).sign({ email: 'a@b.c', room: 'r', isHost: false, displayName: null });
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'a@b.c', room: 'r', room_join: true, is_host: true, display_name: 'a', iat: NOW_S, exp: NOW_S + 600, iss: ROOM_TOKEN_ISSUER })).toString('base64url');
    await assert.rejects(verify(`${header}.${forged}.${signature}`), joseErrors.JWSSignatureVerificationFailed);
  });

  test('the token is refused by a verifier that only allows another algorithm', async () => {
    const token = createTokenSigner(SECRET, 600, fixedClock).sign({ email: 'a@b.c', room: 'r', isHost: false, displayName: null });
    await assert.rejects(jwtVerify(token, KEY, { algorithms: ['HS512'], currentDate: new Date(NOW_MS) }), joseErrors.JOSEAlgNotAllowed);
  });

  test('the token is expired once the TTL has passed', async () => {
    const token = createTokenSigner(SECRET, 600, fixedClock).sign({ email: 'a@b.c', room: 'r', isHost: false, displayName: null });
    await assert.rejects(
      jwtVerify(token, KEY, { algorithms: ['HS256'], currentDate: new Date(NOW_MS + 601_000) }),
      joseErrors.JWTExpired,
    );
  });
});
