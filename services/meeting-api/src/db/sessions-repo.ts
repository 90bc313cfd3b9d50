import type { SessionKind } from 'meeting-types';
import type { Queryable } from './database';

/** SQL for the `sessions` and `login_requests` tables (sign-in). Times are Unix seconds at this edge. */

export interface NewSession {
  id: string;
  subject: string;
  kind: SessionKind;
  expiresAt: number;
  /** `link` sessions: revoked with their join link. */
  linkId?: string;
}

export async function insertSession(db: Queryable, s: NewSession): Promise<void> {
  await db.query(
    'INSERT INTO sessions (id, subject, kind, expires_at, link_id) VALUES ($1, $2, $3, to_timestamp($4), $5)',
    [s.id, s.subject, s.kind, s.expiresAt, s.linkId ?? null],
    'insert-session',
  );
}

/** Marks a session revoked (idempotent: the first revocation time stays). */
export async function revokeSession(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id], 'revoke-session');
}

export interface RevokedSince {
  /** Revoked, still unexpired session ids. */
  ids: string[];
  /** The database's clock when read: the next poll asks from here (minus an overlap). */
  dbNow: number;
}

/**
 * Sessions revoked at or after `since` (Unix seconds, database clock) that have not expired.
 * `since = 0` loads every revoked, unexpired session (start-up).
 */
export async function listRevokedSince(db: Queryable, since: number): Promise<RevokedSince> {
  const result = await db.query<{ id: string | null; now: string | number }>(
    `SELECT s.id, extract(epoch FROM n.now) AS now
       FROM (SELECT now() AS now) n
       LEFT JOIN sessions s ON s.revoked_at >= to_timestamp($1) AND s.expires_at > n.now`,
    [since],
    'list-revoked-sessions',
  );
  const ids = result.rows.flatMap((r) => (r.id === null ? [] : [r.id]));
  return { ids, dbNow: Number(result.rows[0]?.now ?? 0) };
}

/** Whether the session row exists and is neither revoked nor expired (one lookup, used on a cache miss). */
export async function isSessionLive(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query(
    'SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()',
    [id],
    'session-live',
  );
  return result.rowCount > 0;
}

/** The subject and kind of a live session row (exists, not revoked, not expired), else null. */
export async function findLiveSession(db: Queryable, id: string): Promise<{ subject: string; kind: SessionKind } | null> {
  const result = await db.query<{ subject: string; kind: SessionKind }>(
    'SELECT subject, kind FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()',
    [id],
    'find-live-session',
  );
  return result.rows[0] ?? null;
}

/** Deletes sessions that expired more than a day ago (housekeeping). */
export async function deleteExpiredSessions(db: Queryable): Promise<number> {
  const result = await db.query("DELETE FROM sessions WHERE expires_at < now() - interval '1 day'", [], 'delete-expired-sessions');
  return result.rowCount;
}

export interface LoginRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  returnTo: string;
  /** SHA-256 (hex) of the login binding cookie's value. */
  bindingHash: string;
  expiresAt: number;
}

export async function insertLoginRequest(db: Queryable, r: LoginRequest): Promise<void> {
  await db.query(
    `INSERT INTO login_requests (state, nonce, code_verifier, redirect_uri, return_to, binding_hash, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7))`,
    [r.state, r.nonce, r.codeVerifier, r.redirectUri, r.returnTo, r.bindingHash, r.expiresAt],
    'insert-login-request',
  );
  // Abandoned sign-ins go away with the next one.
  await db.query("DELETE FROM login_requests WHERE expires_at < now() - interval '1 hour'", [], 'delete-stale-login-requests');
}

/** Removes and returns the pending request for `state`: single use, whoever asks first wins. */
export async function takeLoginRequest(db: Queryable, state: string): Promise<LoginRequest | null> {
  const result = await db.query<{
    state: string;
    nonce: string;
    code_verifier: string;
    redirect_uri: string;
    return_to: string;
    binding_hash: string;
    expires_at: string | number;
  }>(
    `DELETE FROM login_requests WHERE state = $1
     RETURNING state, nonce, code_verifier, redirect_uri, return_to, binding_hash, extract(epoch FROM expires_at) AS expires_at`,
    [state],
    'take-login-request',
  );
  const row = result.rows[0];
  if (!row) return null;
  return {
    state: row.state,
    nonce: row.nonce,
    codeVerifier: row.code_verifier,
    redirectUri: row.redirect_uri,
    returnTo: row.return_to,
    bindingHash: row.binding_hash,
    expiresAt: Math.floor(Number(row.expires_at)),
  };
}

export async function countSessions(db: Queryable): Promise<number> {
  const result = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM sessions');
  return Number(result.rows[0]?.n ?? 0);
}
