import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What keeps one deployment's NATS traffic apart from another's on a shared NATS: a subject
 * prefix, and a key that signs member presence so that only instances holding the deployment's
 * secret can say who is in a room.
 */
export interface NatsNamespace {
  /** Put before every subject (`<prefix>.media.room.<room>`, …). Visible to anyone on the NATS: not a secret. */
  subjectPrefix: string;
  /** HMAC key of member presence messages (derived from the shared secret, never the secret itself). */
  memberKey: Buffer;
}

/** An explicit `NATS_SUBJECT_PREFIX`: dot-separated tokens of `[A-Za-z0-9_-]`, no wildcards. */
export const SUBJECT_PREFIX_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** One HMAC per purpose, so that neither derived value says anything about the other or the secret. */
function derive(secret: string, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`videocall media-server nats ${purpose}`).digest();
}

/**
 * The default subject prefix of a deployment: `vc-` and 12 hex digits (48 bits) of an HMAC of
 * the secret the Meeting API and the Media Servers share. Instances with the same secret meet;
 * others, on the same NATS, never see each other's subjects.
 */
export function subjectPrefixOf(secret: string): string {
  return `vc-${derive(secret, 'subject prefix').subarray(0, 6).toString('hex')}`;
}

/** The namespace of a deployment: `prefix` (NATS_SUBJECT_PREFIX) or the one derived from `secret`. */
export function natsNamespace(secret: string, prefix?: string): NatsNamespace {
  return { subjectPrefix: prefix ?? subjectPrefixOf(secret), memberKey: derive(secret, 'member presence') };
}

/** The signature of a member presence body (base64url HMAC-SHA256). */
export function signMembers(ns: NatsNamespace, body: string): string {
  return createHmac('sha256', ns.memberKey).update(body).digest('base64url');
}

export function verifyMembers(ns: NatsNamespace, body: string, signature: string): boolean {
  const expected = Buffer.from(signMembers(ns, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
