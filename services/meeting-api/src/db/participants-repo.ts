import type { MeetingState, ParticipantStatus } from 'meeting-types';
import { MEETING_TRANSITIONS, PARTICIPANT_TRANSITIONS, statusesAllowing, type ParticipantEvent } from '../domain/meeting-state';
import type { Queryable } from './database';
import { participantColumns, toParticipant, type ParticipantRecord, type Row } from './rows';

const PARTICIPANT = participantColumns('p');

/** `CASE <column> WHEN 'from' THEN 'to' … END` from the lifecycle table (constants only, never input). */
function nextStatusSql(event: ParticipantEvent, column: string): string {
  const arms = Object.entries(PARTICIPANT_TRANSITIONS[event])
    .filter(([from]) => from !== 'none')
    .map(([from, to]) => `WHEN '${from}' THEN '${to}'`);
  return `CASE ${column} ${arms.join(' ')} END`;
}

/** Statuses from which a join puts someone back in the waiting room as a new entry. */
const REENTRY_STATUSES = (Object.entries(PARTICIPANT_TRANSITIONS.join) as [string, ParticipantStatus][])
  .filter(([from, to]) => from !== 'none' && from !== to && to === 'waiting')
  .map(([from]) => `'${from}'`)
  .join(', ');

/**
 * Admits `$2` (display name `$3`) as host of the meeting produced by a preceding
 * CTE `m`: a new row, or the existing one moved by the lifecycle's host-join.
 */
const ADMIT_HOST_FROM_M = `
     INSERT INTO meeting_participants AS p (meeting_id, email, display_name, status, is_host, admitted_at)
     SELECT m.id, $2, $3, 'admitted', true, now() FROM m
     ON CONFLICT (meeting_id, email) DO UPDATE SET
       status = ${nextStatusSql('host-join', 'p.status')},
       is_host = true,
       display_name = COALESCE(EXCLUDED.display_name, p.display_name),
       joined_at = CASE WHEN p.status = 'admitted' THEN p.joined_at ELSE now() END,
       admitted_at = CASE WHEN p.status = 'admitted' THEN p.admitted_at ELSE now() END,
       left_at = NULL,
       updated_at = now()
     RETURNING ${PARTICIPANT}, p.meeting_id`;

const ATTENDEE_JOINABLE_STATES = Object.keys(MEETING_TRANSITIONS['attendee-join']) as MeetingState[];

/** Statuses whose join does not add a new person to the waiting room (they stay where they are). */
const JOIN_KEEPS_PLACE = (Object.entries(PARTICIPANT_TRANSITIONS.join) as [string, ParticipantStatus][])
  .filter(([from, to]) => from !== 'none' && (from === to || to !== 'waiting'))
  .map(([from]) => from);

export interface HostAdmission {
  meetingId: number;
  host: ParticipantRecord;
}

/**
 * Creates a meeting that did not exist, already active, with the caller as its
 * admitted host, in one statement. `null` when another request created it first.
 */
export async function createMeetingWithHost(
  db: Queryable,
  roomId: string,
  email: string,
  displayName: string | null,
): Promise<HostAdmission | null> {
  const { rows } = await db.query<Row>(
    `WITH m AS (
       INSERT INTO meetings (room_id, creator_id, state, host_display_name)
       VALUES ($1, $2, 'active', $3)
       ON CONFLICT (room_id) WHERE deleted_at IS NULL DO NOTHING
       RETURNING id
     )
     ${ADMIT_HOST_FROM_M}`,
    [roomId, email, displayName],
    'create-meeting-with-host',
  );
  return rows[0] ? { meetingId: rows[0].meeting_id as number, host: toParticipant(rows[0]) } : null;
}

/**
 * The host (re)activates the meeting and is admitted, in one statement:
 * `started_at` moves to now unless already active, `ended_at` is cleared.
 * `null` when the meeting is gone or the caller is not its creator.
 */
export async function activateAsHost(
  db: Queryable,
  meetingId: number,
  email: string,
  displayName: string | null,
): Promise<ParticipantRecord | null> {
  const { rows } = await db.query<Row>(
    `WITH m AS (
       UPDATE meetings
       SET state = 'active',
           started_at = CASE WHEN state = 'active' THEN started_at ELSE now() END,
           ended_at = NULL,
           host_display_name = COALESCE($3, host_display_name),
           updated_at = now()
       WHERE id = $1 AND creator_id = $2 AND deleted_at IS NULL
       RETURNING id
     )
     ${ADMIT_HOST_FROM_M}`,
    [meetingId, email, displayName],
    'activate-as-host',
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/**
 * An attendee joins (or re-joins) in one statement, only while the meeting is
 * still live and joinable, and only if that does not take the waiting room to
 * `waitingBelow` people (someone already waiting or admitted keeps their place
 * regardless). `null` when it no longer is joinable or the waiting room is that full.
 * Exact only with the meeting row locked (as the join transaction does).
 */
export async function joinAsAttendee(
  db: Queryable,
  meetingId: number,
  email: string,
  displayName: string | null,
  waitingBelow: number,
): Promise<ParticipantRecord | null> {
  const { rows } = await db.query<Row>(
    `INSERT INTO meeting_participants AS p (meeting_id, email, display_name, status, is_host)
     SELECT m.id, $2::text, $3, 'waiting', false
     FROM meetings m WHERE m.id = $1 AND m.deleted_at IS NULL AND m.state = ANY($4::text[])
       AND (EXISTS (SELECT 1 FROM meeting_participants k WHERE k.meeting_id = $1 AND k.email = $2::text AND k.status = ANY($6::text[]))
            OR (SELECT count(*) FROM meeting_participants w WHERE w.meeting_id = $1 AND w.status = 'waiting') < $5)
     ON CONFLICT (meeting_id, email) DO UPDATE SET
       status = ${nextStatusSql('join', 'p.status')},
       display_name = COALESCE(EXCLUDED.display_name, p.display_name),
       joined_at = CASE WHEN p.status IN (${REENTRY_STATUSES}) THEN now() ELSE p.joined_at END,
       admitted_at = CASE WHEN p.status = 'admitted' THEN p.admitted_at ELSE NULL END,
       left_at = NULL,
       updated_at = now()
     RETURNING ${PARTICIPANT}`,
    [meetingId, email, displayName, ATTENDEE_JOINABLE_STATES, waitingBelow, JOIN_KEEPS_PLACE],
    'join-as-attendee',
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

const TIMESTAMP_ON_ENTRY: Partial<Record<ParticipantStatus, string>> = {
  admitted: 'admitted_at = now(),',
  left: 'left_at = now(),',
};

/**
 * Moves one participant by `event` if the lifecycle allows it from their
 * current status, as a single guarded UPDATE. `null` when it does not.
 */
export async function transitionParticipant(
  db: Queryable,
  meetingId: number,
  email: string,
  event: 'admit' | 'reject' | 'leave',
): Promise<ParticipantRecord | null> {
  const target = Object.values(PARTICIPANT_TRANSITIONS[event])[0] as ParticipantStatus;
  const { rows } = await db.query<Row>(
    `UPDATE meeting_participants p
     SET status = '${target}', ${TIMESTAMP_ON_ENTRY[target] ?? ''} updated_at = now()
     WHERE p.meeting_id = $1 AND p.email = $2 AND p.status = ANY($3::text[])
     RETURNING ${PARTICIPANT}`,
    [meetingId, email, statusesAllowing(event)],
    `transition-${event}`,
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/** Admits everyone waiting at this instant, exactly once, in one statement; ordered by joined_at, email. */
export async function admitAllWaiting(db: Queryable, meetingId: number): Promise<ParticipantRecord[]> {
  const { rows } = await db.query<Row>(
    `WITH admitted AS (
       UPDATE meeting_participants p
       SET status = 'admitted', admitted_at = now(), updated_at = now()
       WHERE p.meeting_id = $1 AND p.status = ANY($2::text[])
       RETURNING p.*
     )
     SELECT ${PARTICIPANT} FROM admitted p ORDER BY p.joined_at, p.email`,
    [meetingId, statusesAllowing('admit')],
    'admit-all-waiting',
  );
  return rows.map((row) => toParticipant(row));
}

/** A page of a list: `limit` null means everyone from `offset` on. */
export interface Page {
  limit: number | null;
  offset: number;
}

export async function listWaiting(db: Queryable, meetingId: number, page: Page = { limit: null, offset: 0 }): Promise<ParticipantRecord[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${PARTICIPANT} FROM meeting_participants p
     WHERE p.meeting_id = $1 AND p.status = 'waiting'
     ORDER BY p.joined_at, p.email
     LIMIT $2 OFFSET $3`,
    [meetingId, page.limit, page.offset],
    'list-waiting',
  );
  return rows.map((row) => toParticipant(row));
}

export async function listAdmitted(db: Queryable, meetingId: number, page: Page = { limit: null, offset: 0 }): Promise<ParticipantRecord[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${PARTICIPANT} FROM meeting_participants p
     WHERE p.meeting_id = $1 AND p.status = 'admitted'
     ORDER BY p.admitted_at, p.email
     LIMIT $2 OFFSET $3`,
    [meetingId, page.limit, page.offset],
    'list-admitted',
  );
  return rows.map((row) => toParticipant(row));
}

export async function countAdmitted(tx: Queryable, meetingId: number): Promise<number> {
  const { rows } = await tx.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM meeting_participants WHERE meeting_id = $1 AND status = 'admitted'`,
    [meetingId],
  );
  return rows[0]?.count ?? 0;
}
