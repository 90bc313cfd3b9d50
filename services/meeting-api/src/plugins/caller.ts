import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_KEY_PREFIX, MAX_EMAIL_LENGTH, type CallerKind, type SessionClaims } from 'meeting-types';
import type { AuthConfig } from '../auth/auth-config';
import { authErrors } from '../auth/auth-errors';
import { isStateChanging } from '../auth/csrf';
import type { SessionService } from '../auth/sessions';
import { errors } from '../domain/errors';
import { requireIdentity } from '../domain/identity';
import { parseMeetingId } from '../domain/meeting-id';

/** Who is calling, as the `IdentifyCaller` seam resolved it. Routes use `id`; the sign-in zone the rest. */
export interface Caller {
  /** The identity: an email, or `guest-<16 hex>`; what the contract calls "email". */
  id: string;
  name: string | null;
  kind: CallerKind;
  /** Session id when a session authenticated the request. */
  sid: string | null;
  /** Session expiry (Unix seconds), null without a session. */
  expiresAt: number | null;
  /**
   * The browser attached the credential by itself (a cookie, or a proxy's header
   * derived from one): cross-site request forgery applies. False for Bearer.
   */
  ambient: boolean;
  /** An API key (`kind: 'app'`): its id; the identity is `app:<id>`. */
  keyId?: string;
  /** A join-link session (`kind: 'link'`): the link and the one meeting it may name. */
  link?: { id: string; roomId: string; meetingId: number };
}

/** Resolves an API key secret (`mk_…`) to its key id, or throws 401. */
export type IdentifyApiKey = (secret: string) => { id: string } | Promise<{ id: string }>;

/**
 * The one seam that says who is calling: `Authorization: Bearer <session>`, then the
 * session cookie, then (only while EMAIL_COOKIE_AUTH is on) the videocall-rs meeting API's `email` cookie.
 * A present but bad session is 401 and never falls through to the next source.
 */
export type IdentifyCaller = (request: FastifyRequest) => Caller | Promise<Caller>;

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** First `name=` pair with a non-empty trimmed value, percent-decoded like actix-web's cookie jar. */
export function cookieFromHeader(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).trim();
    if (value.includes('%')) {
      try {
        value = decodeURIComponent(value).trim();
      } catch {
        // Not percent-encoding after all: use the value as sent.
      }
    }
    if (value !== '') return value;
  }
  return undefined;
}

export function emailFromCookieHeader(header: string | undefined): string | undefined {
  return cookieFromHeader(header, 'email');
}

/** The videocall-rs meeting API's rule: the `email` cookie is the caller (development only; see EMAIL_COOKIE_AUTH). */
export function identifyByEmailCookie(request: FastifyRequest): string {
  const email = emailFromCookieHeader(request.headers.cookie);
  if (email === undefined) throw errors.unauthorized();
  return checkIdentity(email, 'The email cookie');
}

/** Checked and normalised once, here at the edge: every later comparison sees one spelling. */
function checkIdentity(value: string, what: string): string {
  if (value.length > MAX_EMAIL_LENGTH || CONTROL_CHARACTERS.test(value)) {
    throw errors.invalidRequest(`${what} must be at most ${MAX_EMAIL_LENGTH} characters, without control characters`);
  }
  return requireIdentity(value, what);
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

export function createIdentifyCaller(config: AuthConfig, sessions: SessionService, apiKeys?: IdentifyApiKey): IdentifyCaller {
  const toCaller = (claims: SessionClaims, ambient: boolean): Caller => ({
    id: claims.sub,
    name: claims.name,
    kind: claims.kind,
    sid: claims.sid,
    expiresAt: claims.exp,
    ambient,
    ...(claims.lid !== undefined && claims.room !== undefined && claims.mid !== undefined
      ? { link: { id: claims.lid, roomId: claims.room, meetingId: claims.mid } }
      : {}),
  });
  const fromKey = (key: { id: string }): Caller => ({
    id: `app:${key.id}`,
    name: null,
    kind: 'app',
    sid: null,
    expiresAt: null,
    ambient: false,
    keyId: key.id,
  });
  // Synchronous when the session was verified before (the hot path), a promise otherwise.
  const fromSession = (token: string, ambient: boolean): Caller | Promise<Caller> => {
    const claims = sessions.verify(token);
    return claims instanceof Promise ? claims.then((c) => toCaller(c, ambient)) : toCaller(claims, ambient);
  };
  const trusted = config.trustedIdentityHeader;

  return (request) => {
    if (trusted !== undefined) {
      const raw = request.headers[trusted];
      const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
      if (value) {
        return { id: checkIdentity(value, trusted), name: null, kind: 'trusted-header', sid: null, expiresAt: null, ambient: true };
      }
    }
    // Only the Bearer scheme carries a session; other schemes (a proxy's Basic) are not ours to judge.
    const authorization = request.headers.authorization;
    if (authorization !== undefined && /^Bearer(\s|$)/i.test(authorization)) {
      const token = bearerToken(authorization);
      if (token === undefined) throw authErrors.invalidSession('the Authorization header must be "Bearer <session token>"');
      // An API key is told apart from a session JWT by its prefix (a JWT starts with `eyJ`).
      if (apiKeys !== undefined && token.startsWith(API_KEY_PREFIX)) {
        const key = apiKeys(token);
        return key instanceof Promise ? key.then(fromKey) : fromKey(key);
      }
      return fromSession(token, false);
    }
    const cookieHeader = request.headers.cookie;
    const sessionCookie = cookieFromHeader(cookieHeader, config.sessionCookieName);
    if (sessionCookie !== undefined) return fromSession(sessionCookie, true);
    if (config.emailCookieAuth) {
      const email = emailFromCookieHeader(cookieHeader);
      if (email !== undefined) {
        return { id: checkIdentity(email, 'The email cookie'), name: null, kind: 'email-cookie', sid: null, expiresAt: null, ambient: true };
      }
    }
    throw config.emailCookieAuth ? errors.unauthorized() : authErrors.unauthenticated();
  };
}

/**
 * A control's target (`{"email": …}` of admit, reject, remove, unban, role, transfer) gets the
 * same normalisation as the caller, so a ban hits every spelling of an identity.
 */
export function normalizeTargetEmails(api: FastifyInstance): void {
  api.addHook('preHandler', (request, _reply, done) => {
    const body = request.body as { email?: unknown } | null | undefined;
    if (body !== null && typeof body === 'object' && typeof body.email === 'string') {
      try {
        body.email = requireIdentity(body.email, 'email');
      } catch (err) {
        return done(err as Error);
      }
    }
    done();
  });
}

/**
 * The `/api/v1` scope's first hook: who is calling, then (a cookie-authenticated state change
 * must come from a known origin) the cross-site check, then the meeting id, all before the
 * body is even parsed; the schema comes after. Callback style with a synchronous fast path:
 * the email cookie resolves without a promise.
 */
export function identifyCallers(api: FastifyInstance, identifyCaller: IdentifyCaller, originCheck: (request: FastifyRequest) => void): void {
  api.addHook('onRequest', (request, _reply, done) => {
    const proceed = (caller: Caller) => {
      request.caller = caller.id;
      request.identity = caller;
      if (caller.ambient && isStateChanging(request.method)) originCheck(request);
      const params = request.params as { meeting_id?: string } | undefined;
      if (params?.meeting_id !== undefined) parseMeetingId(params.meeting_id);
    };
    try {
      const resolved = identifyCaller(request);
      if (resolved instanceof Promise) {
        resolved.then(proceed).then(() => done(), (err: Error) => done(err));
        return;
      }
      proceed(resolved);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
}
