import type { PasswordAttempts } from '../domain/records';
import type { Queryable } from './database';

/**
 * Counts one password attempt of `caller` on meeting `meetingId` in one statement (so racing
 * guesses, on any instance, each get their own number): a window older than a minute restarts.
 */
export async function countPasswordAttempt(db: Queryable, meetingId: number, caller: string): Promise<PasswordAttempts> {
  const { rows } = await db.query<{ attempts: number; retry_after: number }>(
    `INSERT INTO password_failures AS f (meeting_id, caller, window_start, attempts)
     VALUES ($1, $2, now(), 1)
     ON CONFLICT (meeting_id, caller) DO UPDATE SET
       attempts = CASE WHEN f.window_start > now() - interval '1 minute' THEN f.attempts + 1 ELSE 1 END,
       window_start = CASE WHEN f.window_start > now() - interval '1 minute' THEN f.window_start ELSE now() END
     RETURNING attempts,
       GREATEST(1, CEIL(EXTRACT(EPOCH FROM (window_start + interval '1 minute' - now()))))::int AS retry_after`,
    [meetingId, caller],
    'count-password-attempt',
  );
  const row = rows[0]!;
  return { attempts: Number(row.attempts), retryAfterSecs: Number(row.retry_after) };
}

/** A right password clears the caller's count. */
export async function clearPasswordAttempts(db: Queryable, meetingId: number, caller: string): Promise<void> {
  await db.query('DELETE FROM password_failures WHERE meeting_id = $1 AND caller = $2', [meetingId, caller], 'clear-password-attempts');
}

/** Forgets the ended windows of one meeting, so identities that guessed once do not pile up. */
export async function pruneEndedWindows(db: Queryable, meetingId: number): Promise<void> {
  await db.query(
    `DELETE FROM password_failures WHERE meeting_id = $1 AND window_start <= now() - interval '1 minute'`,
    [meetingId],
    'prune-password-windows',
  );
}
