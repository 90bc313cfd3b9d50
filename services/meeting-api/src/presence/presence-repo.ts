import type { Queryable } from '../db/database';
import { participantColumns, toParticipant, type ParticipantRecord, type Row } from '../db/rows';

const PARTICIPANT = participantColumns('p');

/**
 * Renews (or creates) a Media Server instance's lease. `known` is false when the row had to
 * be created: the API has nothing of this instance (first report, or its lease ran out).
 */
export async function renewLease(db: Queryable, instance: string, leaseSecs: number): Promise<{ known: boolean }> {
  const { rows } = await db.query<{ inserted: boolean }>(
    `INSERT INTO media_instances (id, lease_until) VALUES ($1, now() + make_interval(secs => $2))
     ON CONFLICT (id) DO UPDATE SET lease_until = EXCLUDED.lease_until
     RETURNING (xmax = 0) AS inserted`,
    [instance, leaseSecs],
    'presence-renew-lease',
  );
  return { known: rows[0]?.inserted === false };
}

export async function forgetInstance(db: Queryable, instance: string): Promise<void> {
  await db.query(`DELETE FROM media_instances WHERE id = $1`, [instance], 'presence-forget-instance');
}

/** Deletes the instances whose lease ran out (each by exactly one caller); returns their ids. */
export async function expireInstances(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `DELETE FROM media_instances WHERE lease_until < now() RETURNING id`,
    [],
    'presence-expire-instances',
  );
  return rows.map((r) => r.id);
}

export interface PresenceRow {
  instance: string;
  meetingId: number;
  email: string;
}

/** Presence rows whose instance is gone (expired, or told us it stopped): to be settled. */
export async function listOrphans(db: Queryable, limit: number): Promise<PresenceRow[]> {
  const { rows } = await db.query<{ instance: string; meeting_id: number; email: string }>(
    `SELECT r.instance, r.meeting_id, r.email FROM media_presence r
     WHERE NOT EXISTS (SELECT 1 FROM media_instances i WHERE i.id = r.instance)
     LIMIT $1`,
    [limit],
    'presence-list-orphans',
  );
  return rows.map((r) => ({ instance: r.instance, meetingId: r.meeting_id, email: r.email }));
}

/** What this instance reported present so far. */
export async function listInstancePresence(db: Queryable, instance: string): Promise<PresenceRow[]> {
  const { rows } = await db.query<{ meeting_id: number; email: string }>(
    `SELECT meeting_id, email FROM media_presence WHERE instance = $1`,
    [instance],
    'presence-list-instance',
  );
  return rows.map((r) => ({ instance, meetingId: r.meeting_id, email: r.email }));
}

/** Records a connection; true when it was not recorded yet. (Caller holds the meeting row's lock.) */
export async function addPresence(tx: Queryable, instance: string, meetingId: number, email: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO media_presence (instance, meeting_id, email) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [instance, meetingId, email],
    'presence-add',
  );
  return rowCount > 0;
}

/**
 * Forgets a connection; true when it was recorded. `orphanOnly`: only while the instance has
 * no lease (it may have come back since the row was listed).
 */
export async function removePresence(tx: Queryable, instance: string, meetingId: number, email: string, orphanOnly = false): Promise<boolean> {
  const { rowCount } = await tx.query(
    `DELETE FROM media_presence WHERE instance = $1 AND meeting_id = $2 AND email = $3
     ${orphanOnly ? 'AND NOT EXISTS (SELECT 1 FROM media_instances i WHERE i.id = $1)' : ''}`,
    [instance, meetingId, email],
    orphanOnly ? 'presence-remove-orphan' : 'presence-remove',
  );
  return rowCount > 0;
}

/** Marks the participant connected; their row when that changed it. */
export async function markConnected(tx: Queryable, meetingId: number, email: string): Promise<ParticipantRecord | null> {
  const { rows } = await tx.query<Row>(
    `UPDATE meeting_participants p SET connected = true, disconnected_at = NULL
     WHERE p.meeting_id = $1 AND p.email = $2 AND NOT p.connected
     RETURNING ${PARTICIPANT}`,
    [meetingId, email],
    'presence-mark-connected',
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/** Marks the participant disconnected unless another instance still holds a connection; their row when that changed it. */
export async function markDisconnected(tx: Queryable, meetingId: number, email: string): Promise<ParticipantRecord | null> {
  const { rows } = await tx.query<Row>(
    `UPDATE meeting_participants p SET connected = false, disconnected_at = clock_timestamp()
     WHERE p.meeting_id = $1 AND p.email = $2 AND p.connected
       AND NOT EXISTS (SELECT 1 FROM media_presence r WHERE r.meeting_id = $1 AND r.email = $2)
     RETURNING ${PARTICIPANT}`,
    [meetingId, email],
    'presence-mark-disconnected',
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/**
 * Admitted participants who connected since their latest admission and have had no
 * connection for `afterSecs`: the auto-leave candidates.
 */
export async function listAutoLeaveCandidates(db: Queryable, afterSecs: number, limit: number): Promise<Array<{ meetingId: number; email: string }>> {
  const { rows } = await db.query<{ meeting_id: number; email: string }>(
    `SELECT p.meeting_id, p.email FROM meeting_participants p
     WHERE p.status = 'admitted' AND NOT p.connected AND p.disconnected_at IS NOT NULL
       AND p.disconnected_at >= p.admitted_at
       AND p.disconnected_at < now() - make_interval(secs => $1)
     ORDER BY p.disconnected_at
     LIMIT $2`,
    [afterSecs, limit],
    'presence-auto-leave-candidates',
  );
  return rows.map((r) => ({ meetingId: r.meeting_id, email: r.email }));
}

/** The same condition checked again under the meeting row's lock, locking the participant row. */
export async function stillAutoLeaves(tx: Queryable, meetingId: number, email: string, afterSecs: number): Promise<boolean> {
  const { rows } = await tx.query(
    `SELECT 1 FROM meeting_participants p
     WHERE p.meeting_id = $1 AND p.email = $2
       AND p.status = 'admitted' AND NOT p.connected AND p.disconnected_at IS NOT NULL
       AND p.disconnected_at >= p.admitted_at
       AND p.disconnected_at < clock_timestamp() - make_interval(secs => $3)
     FOR UPDATE`,
    [meetingId, email, afterSecs],
    'presence-still-auto-leaves',
  );
  return rows.length > 0;
}
