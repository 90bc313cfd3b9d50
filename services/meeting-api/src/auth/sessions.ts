import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { Compile } from 'typebox/compile';
import {
  SESSION_ALGORITHM,
  SESSION_AUDIENCE,
  SESSION_ISSUER,
  SessionClaimsSchema,
  type SessionClaims,
  type SessionKind,
} from 'meeting-types';
import type { Database } from '../db/database';
import * as sessionsRepo from '../db/sessions-repo';
import { devSignInEnabled, type AuthConfig } from './auth-config';
import { authErrors } from './auth-errors';
import { createRevocationList, type RevocationList } from './revocations';

const claimsValidator = Compile(SessionClaimsSchema);
/** Verified tokens kept in memory, so the hot path skips the HMAC and JSON parse. */
const VERIFIED_CACHE_MAX = 10_000;

export interface IssuedSession {
  token: string;
  claims: SessionClaims;
}

export interface SessionService {
  /** Stores a session row, then signs its JWT (the row exists before anyone holds the token). */
  issue(subject: string, name: string | null, kind: SessionKind, options?: IssueOptions): Promise<IssuedSession>;
  /**
   * The claims of a valid, unexpired, unrevoked session; else throws (or rejects with) 401
   * UNAUTHORIZED. The first time an instance sees a token, its `sessions` row must exist, be
   * live and match (one read); a `dev` session is refused while development sign-in is off.
   * Synchronous for a token verified before (the hot path: no promise, no HMAC, no database).
   */
  verify(token: string): SessionClaims | Promise<SessionClaims>;
  /** Revokes on this instance at once, on the others within the poll interval. */
  revoke(sid: string): Promise<void>;
  readonly revocations: RevocationList;
}

export interface IssueOptions {
  /** Ends earlier than `SESSION_TTL_SECS` from now (a join link's expiry). */
  expiresAt?: number;
  /** A `link` session: the link it came from and the one meeting it may name. */
  link?: { lid: string; room: string; mid: number };
}

export interface SessionDeps {
  db: Database;
  config: AuthConfig;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
}

export function createSessionService({ db, config, now = Date.now }: SessionDeps): SessionService {
  const key = config.sessionKey;
  const verified = new Map<string, SessionClaims>();
  const revocations = createRevocationList(db, config.revocationPollMs);

  function checkLive(claims: SessionClaims): Promise<SessionClaims> | SessionClaims {
    if (claims.exp <= Math.floor(now() / 1000)) throw authErrors.invalidSession('expired');
    const state = revocations.check(claims.sid);
    if (state === 'revoked') throw authErrors.invalidSession('signed out');
    if (state === 'live') return claims;
    // The list is stale (database unreachable for a while): ask the database itself.
    return sessionsRepo.isSessionLive(db, claims.sid).then((live) => {
      if (!live) throw authErrors.invalidSession('signed out');
      return claims;
    });
  }

  return {
    revocations,

    async issue(subject, name, kind, options = {}) {
      const iat = Math.floor(now() / 1000);
      const exp = Math.min(iat + config.sessionTtlSecs, options.expiresAt ?? Number.POSITIVE_INFINITY);
      const sid = randomBytes(16).toString('hex');
      const claims: SessionClaims = {
        sub: subject,
        name,
        sid,
        kind,
        iat,
        exp,
        iss: SESSION_ISSUER,
        aud: SESSION_AUDIENCE,
        ...options.link,
      };
      await sessionsRepo.insertSession(db, { id: sid, subject, kind, expiresAt: claims.exp, linkId: options.link?.lid });
      const token = await new SignJWT({ name, sid, kind, ...options.link })
        .setProtectedHeader({ alg: SESSION_ALGORITHM, typ: 'JWT' })
        .setSubject(subject)
        .setIssuedAt(iat)
        .setExpirationTime(claims.exp)
        .setIssuer(SESSION_ISSUER)
        .setAudience(SESSION_AUDIENCE)
        .sign(key);
      return { token, claims };
    },

    verify(token) {
      const cached = verified.get(token);
      if (cached !== undefined) return checkLive(cached);
      return verifyFirst(token);
    },

    async revoke(sid) {
      await sessionsRepo.revokeSession(db, sid);
      revocations.add(sid);
    },
  };

  async function verifyFirst(token: string): Promise<SessionClaims> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [SESSION_ALGORITHM],
        issuer: SESSION_ISSUER,
        audience: SESSION_AUDIENCE,
        currentDate: new Date(now()),
        // No leeway: the API mints and checks with the same clock.
        clockTolerance: 0,
      }));
    } catch (err) {
      throw authErrors.invalidSession(describeJoseError(err));
    }
    if (!claimsValidator.Check(payload)) throw authErrors.invalidSession('malformed claims');
    const claims = payload;
    // A dev session is only worth something while development sign-in is on (never in production, nor with OIDC).
    if (claims.kind === 'dev' && !devSignInEnabled(config)) throw authErrors.invalidSession('development sessions are off');
    if (claims.exp <= Math.floor(now() / 1000)) throw authErrors.invalidSession('expired');
    // First sight of this token on this instance: its row must exist, be live and say the same.
    // Once cached, the hot path relies on the revocation list and never reads the database.
    const row = await sessionsRepo.findLiveSession(db, claims.sid);
    if (row === null) throw authErrors.invalidSession('unknown or signed out');
    if (row.subject !== claims.sub || row.kind !== claims.kind) throw authErrors.invalidSession('does not match its record');
    if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(token, claims);
    return checkLive(claims);
  }
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) return 'wrong algorithm';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `wrong ${err.claim}`;
  return 'malformed token';
}
