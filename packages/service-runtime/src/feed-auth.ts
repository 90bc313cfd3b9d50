import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Credentials of the internal decision feed (Meeting API → Media Servers), a bearer of
 * `<exp>.<HMAC-SHA256(key, "decision-feed." + exp)>`. The key is derived from JWT_SECRET
 * with HKDF-SHA256 and a fixed label, so a room token is never a feed credential and the
 * feed needs no secret of its own.
 */
const FEED_KEY_LABEL = 'videocall-meeting-backend decision feed v1';
/** A credential is valid for at most this long (clients mint one per connection). */
export const FEED_CREDENTIAL_MAX_SECS = 300;

function feedKey(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(jwtSecret, 'utf8'), Buffer.alloc(0), FEED_KEY_LABEL, 32));
}

function mac(key: Buffer, exp: number): string {
  return createHmac('sha256', key).update(`decision-feed.${exp}`).digest('base64url');
}

export function signFeedCredential(jwtSecret: string, nowMs = Date.now()): string {
  const exp = Math.floor(nowMs / 1000) + FEED_CREDENTIAL_MAX_SECS;
  return `${exp}.${mac(feedKey(jwtSecret), exp)}`;
}

/** Returns a verifier that checks an `Authorization` header value against JWT_SECRET. */
export function feedCredentialVerifier(jwtSecret: string): (authorization: string | undefined, nowMs?: number) => boolean {
  const key = feedKey(jwtSecret);
  return (authorization, nowMs = Date.now()) => {
    const match = /^Bearer (\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(authorization ?? '');
    if (!match) return false;
    const exp = Number(match[1]);
    const now = Math.floor(nowMs / 1000);
    if (exp < now || exp > now + FEED_CREDENTIAL_MAX_SECS + 60) return false;
    const expected = Buffer.from(mac(key, exp));
    const given = Buffer.from(match[2]!);
    return expected.length === given.length && timingSafeEqual(expected, given);
  };
}
