import type { MeetingState, ParticipantRole, ParticipantStatus } from 'meeting-types';
import { MEETING_TRANSITIONS, PARTICIPANT_TRANSITIONS, statusesAllowing, type ParticipantEvent } from '../domain/meeting-state';
import type { HostAdmission, Page, ParticipantRecord } from '../domain/records';
import type { Queryable } from './database';
import { participantColumns, toParticipant, type Row } from './rows';

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
     INSERT INTO meeting_participants AS p (meeting_id, email, display_name, status, is_host, role, admitted_at)
     SELECT m.id, $2, $3, 'admitted', true, 'host', now() FROM m
     ON CONFLICT (meeting_id, email) DO UPDATE SET
       status = ${nextStatusSql('host-join', 'p.status')},
       is_host = true,
       role = 'host',
       banned = false,
       display_name = COALESCE(EXCLUDED.display_name, p.display_name),
       joined_at = CASE WHEN p.status = 'admitted' THEN p.joined_at ELSE now() END,
       admitted_at = CASE WHEN p.status = 'admitted' THEN p.admitted_at ELSE now() END,
       left_at = NULL,
       updated_at = now()
     RETURNING ${PARTICIPANT}, p.meeting_id`;

const ATTENDEE_JOINABLE_STATES = Object.keys(MEETING_TRANSITIONS['attendee-join']) as MeetingState[];
const EARLY_KNOCK_STATES = Object.keys(MEETING_TRANSITIONS['early-knock']) as MeetingState[];
/** Knocking early, whoever was in before is an attendee in the queue (the owner takes the host role on arrival). */
const EARLY_KNOCK_RESETS = `
       role = 'attendee', is_host = false,`;

/** Statuses whose join does not add a new person to the waiting room (they stay where they are). */
const JOIN_KEEPS_PLACE = (Object.entries(PARTICIPANT_TRANSITIONS.join) as [string, ParticipantStatus][])
  .filter(([from, to]) => from !== 'none' && (from === to || to !== 'waiting'))
  .map(([from]) => from);

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
  event: 'join' | 'direct-join' | 'early-knock' = 'join',
): Promise<ParticipantRecord | null> {
  const upsert = attendeeUpsert(event);
  const early = event === 'early-knock';
  // The waiting-room cap only bounds those who would wait.
  const cap = upsert.firstStatus === 'waiting' ? waitingBelow : null;
  const { rows } = await db.query<Row>(
    `INSERT INTO meeting_participants AS p ${upsert.columns}
     SELECT ${upsert.values('m.id')}
     FROM meetings m WHERE m.id = $1 AND m.deleted_at IS NULL AND m.state = ANY($4::text[])
       AND ($5::int IS NULL
            OR EXISTS (SELECT 1 FROM meeting_participants k WHERE k.meeting_id = $1 AND k.email = $2::text AND k.status = ANY($6::text[]))
            OR (SELECT count(*) FROM meeting_participants w WHERE w.meeting_id = $1 AND w.status = 'waiting') < $5::int)
     ON CONFLICT (meeting_id, email) DO UPDATE SET ${upsert.set}
     WHERE NOT p.banned
     RETURNING ${PARTICIPANT}`,
    [meetingId, email, displayName, early ? EARLY_KNOCK_STATES : ATTENDEE_JOINABLE_STATES, cap, joinKeepsPlace(event)],
    `${event}-as-attendee`,
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/**
 * An attendee's join as an upsert into `meeting_participants AS p` (`$2` = email, `$3` = display
 * name): the first status from the lifecycle table, and the move of an existing row by `event`.
 */
export function attendeeUpsert(event: 'join' | 'direct-join' | 'early-knock'): {
  firstStatus: ParticipantStatus;
  columns: string;
  values: (meetingId: string) => string;
  set: string;
} {
  const firstStatus = PARTICIPANT_TRANSITIONS[event].none!;
  const early = event === 'early-knock';
  return {
    firstStatus,
    columns: '(meeting_id, email, display_name, status, is_host, admitted_at)',
    values: (meetingId) => `${meetingId}, $2::text, $3::text, '${firstStatus}', false, ${firstStatus === 'admitted' ? 'now()' : 'NULL'}`,
    set: `
       status = ${nextStatusSql(event, 'p.status')},
       display_name = COALESCE(EXCLUDED.display_name, p.display_name),
       joined_at = CASE WHEN p.status IN (${REENTRY_STATUSES}${early ? ", 'admitted'" : ''}) THEN now() ELSE p.joined_at END,${early ? EARLY_KNOCK_RESETS : ''}
       admitted_at = ${early ? 'NULL' : `CASE WHEN p.status = 'admitted' THEN p.admitted_at ${firstStatus === 'admitted' ? 'ELSE now()' : 'ELSE NULL'} END`},
       left_at = NULL,
       updated_at = now()`,
  };
}

/** The statuses whose join by `event` keeps their place (the waiting-room cap does not bound them). */
export function joinKeepsPlace(event: 'join' | 'direct-join' | 'early-knock'): string[] {
  return event === 'early-knock' ? ['waiting'] : JOIN_KEEPS_PLACE;
}

const TIMESTAMP_ON_ENTRY: Partial<Record<ParticipantStatus, string>> = {
  admitted: 'admitted_at = now(),',
  left: 'left_at = now(),',
  removed: 'left_at = now(),',
};

/** Leaving admission ends a co-host's role; the host keeps theirs until it is handed on. */
const ROLE_ON_EXIT = `role = CASE WHEN p.role = 'host' THEN 'host' ELSE 'attendee' END,`;

/** The SET of `event`'s move of `meeting_participants p` (`ban`: a boolean parameter, banning too when true). */
export function transitionSet(event: 'admit' | 'reject' | 'leave' | 'remove', ban: string): string {
  const target = Object.values(PARTICIPANT_TRANSITIONS[event])[0] as ParticipantStatus;
  return `status = '${target}', ${TIMESTAMP_ON_ENTRY[target] ?? ''} ${target === 'admitted' ? '' : ROLE_ON_EXIT}
         banned = p.banned OR ${ban}, updated_at = now()`;
}

/**
 * Moves one participant by `event` if the lifecycle allows it from their
 * current status, as a single guarded UPDATE. `null` when it does not.
 */
export async function transitionParticipant(
  db: Queryable,
  meetingId: number,
  email: string,
  event: 'admit' | 'reject' | 'leave' | 'remove',
  ban = false,
): Promise<ParticipantRecord | null> {
  const { rows } = await db.query<Row>(
    `UPDATE meeting_participants p
     SET ${transitionSet(event, '$4')}
     WHERE p.meeting_id = $1 AND p.email = $2 AND p.status = ANY($3::text[])
     RETURNING ${PARTICIPANT}`,
    [meetingId, email, statusesAllowing(event), ban],
    `transition-${event}`,
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/** `POST /end`: everyone admitted or waiting leaves, in one statement. */
export async function endForAll(tx: Queryable, meetingId: number): Promise<ParticipantRecord[]> {
  const { rows } = await tx.query<Row>(
    `UPDATE meeting_participants p
     SET status = '${PARTICIPANT_TRANSITIONS['end-for-all'].admitted}', left_at = now(), ${ROLE_ON_EXIT} updated_at = now()
     WHERE p.meeting_id = $1 AND p.status = ANY($2::text[])
     RETURNING ${PARTICIPANT}`,
    [meetingId, statusesAllowing('end-for-all')],
  );
  return rows.map((row) => toParticipant(row));
}

export async function findParticipant(db: Queryable, meetingId: number, email: string): Promise<ParticipantRecord | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${PARTICIPANT} FROM meeting_participants p WHERE p.meeting_id = $1 AND p.email = $2`,
    [meetingId, email],
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/** Sets a role (and `is_host`, which is exactly "role is host"). */
export async function setRole(tx: Queryable, meetingId: number, email: string, role: ParticipantRole): Promise<ParticipantRecord | null> {
  const { rows } = await tx.query<Row>(
    `UPDATE meeting_participants p SET role = $3::text, is_host = ($3::text = 'host'), updated_at = now()
     WHERE p.meeting_id = $1 AND p.email = $2
     RETURNING ${PARTICIPANT}`,
    [meetingId, email, role],
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/**
 * Whoever else holds the host role gives it up: co-host while still admitted,
 * attendee otherwise. Returns those whose role changed.
 */
export async function demoteOtherHosts(tx: Queryable, meetingId: number, keeper: string): Promise<ParticipantRecord[]> {
  const { rows } = await tx.query<Row>(
    `UPDATE meeting_participants p
     SET role = CASE WHEN p.status = 'admitted' THEN 'cohost' ELSE 'attendee' END, is_host = false, updated_at = now()
     WHERE p.meeting_id = $1 AND p.role = 'host' AND p.email <> $2
     RETURNING ${PARTICIPANT}`,
    [meetingId, keeper],
  );
  return rows.map((row) => toParticipant(row));
}

export async function clearBan(tx: Queryable, meetingId: number, email: string): Promise<ParticipantRecord | null> {
  const { rows } = await tx.query<Row>(
    `UPDATE meeting_participants p SET banned = false, updated_at = now()
     WHERE p.meeting_id = $1 AND p.email = $2
     RETURNING ${PARTICIPANT}`,
    [meetingId, email],
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/**
 * Admits the earliest `limit` people waiting (everyone when `null`), exactly
 * once, in one statement; ordered by joined_at, email.
 */
export async function admitAllWaiting(
  db: Queryable,
  meetingId: number,
  limit: number | null = null,
  skipPattern: string | null = null,
): Promise<ParticipantRecord[]> {
  const { rows } = await db.query<Row>(
    `WITH chosen AS (
       SELECT w.id FROM meeting_participants w
       WHERE w.meeting_id = $1 AND w.status = ANY($2::text[]) AND ($4::text IS NULL OR w.email !~ $4::text)
       ORDER BY w.joined_at, w.email
       LIMIT $3
     ), admitted AS (
       UPDATE meeting_participants p
       SET status = 'admitted', admitted_at = now(), updated_at = now()
       FROM chosen WHERE p.id = chosen.id AND p.status = ANY($2::text[])
       RETURNING p.*
     )
     SELECT ${PARTICIPANT} FROM admitted p ORDER BY p.joined_at, p.email`,
    [meetingId, statusesAllowing('admit'), limit, skipPattern],
    'admit-all-waiting',
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
