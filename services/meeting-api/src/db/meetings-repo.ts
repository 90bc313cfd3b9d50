import type { Queryable } from './database';
import {
  meetingColumns,
  meetingRefColumns,
  participantColumns,
  toMeeting,
  toMeetingRef,
  toParticipant,
  type MeetingRecord,
  type MeetingRef,
  type MeetingSummaryRecord,
  type ParticipantRecord,
  type Row,
} from './rows';

const MEETING = meetingColumns('m');
const MEETING_REF = meetingRefColumns('m');
const CALLER = participantColumns('p', 'p_');
/** The live meeting `$1` with the caller `$2`'s row, if any. */
const MEETING_WITH_CALLER = `
     FROM meetings m
     LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.email = $2
     WHERE m.room_id = $1 AND m.deleted_at IS NULL`;

export interface NewMeeting {
  roomId: string;
  creatorId: string;
  passwordHash: string | null;
  attendees: string[];
}

/** Inserts an idle meeting; `null` when a live meeting already has this id. */
export async function insertMeeting(db: Queryable, meeting: NewMeeting): Promise<MeetingRecord | null> {
  const { rows } = await db.query<Row>(
    `INSERT INTO meetings AS m (room_id, creator_id, state, password_hash, attendees)
     VALUES ($1, $2, 'idle', $3, $4::jsonb)
     ON CONFLICT (room_id) WHERE deleted_at IS NULL DO NOTHING
     RETURNING ${MEETING}`,
    [meeting.roomId, meeting.creatorId, meeting.passwordHash, JSON.stringify(meeting.attendees)],
  );
  return rows[0] ? toMeeting(rows[0]) : null;
}

export type LiveMeeting = MeetingRef & { passwordHash: string | null };

export async function findLiveMeeting(db: Queryable, roomId: string): Promise<LiveMeeting | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${MEETING_REF}, m.password_hash FROM meetings m WHERE m.room_id = $1 AND m.deleted_at IS NULL`,
    [roomId],
    'find-live-meeting',
  );
  const row = rows[0];
  return row ? { ...toMeetingRef(row), passwordHash: (row.password_hash as string | null) ?? null } : null;
}

/** Locks the live meeting row for the rest of the transaction. */
export async function lockLiveMeeting(tx: Queryable, roomId: string): Promise<MeetingRef | null> {
  const { rows } = await tx.query<Row>(
    `SELECT ${MEETING_REF} FROM meetings m WHERE m.room_id = $1 AND m.deleted_at IS NULL FOR UPDATE`,
    [roomId],
  );
  return rows[0] ? toMeetingRef(rows[0]) : null;
}

export interface MeetingWithCaller {
  meeting: MeetingRef;
  caller: ParticipantRecord | null;
}

function toMeetingWithCaller(row: Row | undefined): MeetingWithCaller | null {
  if (!row) return null;
  return { meeting: toMeetingRef(row), caller: row.p_email == null ? null : toParticipant(row, 'p_') };
}

/**
 * Locks the live meeting (by room id) for the rest of the transaction and reads
 * the caller's row. State changes lock the meeting row before any participant
 * row, so concurrent changes of one meeting never deadlock.
 */
export async function lockMeetingWithCaller(tx: Queryable, roomId: string, email: string): Promise<MeetingWithCaller | null> {
  const { rows } = await tx.query<Row>(`SELECT ${MEETING_REF}, ${CALLER} ${MEETING_WITH_CALLER} FOR UPDATE OF m`, [roomId, email]);
  return toMeetingWithCaller(rows[0]);
}

/** As `lockMeetingWithCaller`, by the meeting's internal id; `null` once it is deleted. */
export async function lockMeetingWithCallerById(tx: Queryable, meetingId: number, email: string): Promise<MeetingWithCaller | null> {
  const { rows } = await tx.query<Row>(
    `SELECT ${MEETING_REF}, ${CALLER}
     FROM meetings m
     LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.email = $2
     WHERE m.id = $1 AND m.deleted_at IS NULL
     FOR UPDATE OF m`,
    [meetingId, email],
  );
  return toMeetingWithCaller(rows[0]);
}

/** The meeting as it is now (inside a transaction: as this transaction changed it). */
export async function findMeetingRefById(db: Queryable, meetingId: number): Promise<MeetingRef | null> {
  const { rows } = await db.query<Row>(`SELECT ${MEETING_REF} FROM meetings m WHERE m.id = $1`, [meetingId], 'find-meeting-ref-by-id');
  return rows[0] ? toMeetingRef(rows[0]) : null;
}

/** The live meeting and the caller's own participant row, in one round trip (the hot path). */
export async function findMeetingWithCaller(db: Queryable, roomId: string, email: string): Promise<MeetingWithCaller | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${MEETING_REF}, ${CALLER} ${MEETING_WITH_CALLER}`,
    [roomId, email],
    'find-meeting-with-caller',
  );
  return toMeetingWithCaller(rows[0]);
}

export interface CallerStatus {
  meetingId: number;
  meetingState: MeetingRef['state'];
  /** The log position this read reflects (a room token minted from it carries it). */
  eventSeq: number;
  caller: ParticipantRecord | null;
}

/** Status polling, the hottest path: the meeting's state and the caller's row, nothing else. */
export async function findCallerStatus(db: Queryable, roomId: string, email: string): Promise<CallerStatus | null> {
  const { rows } = await db.query<Row>(
    `SELECT m.id, m.state, m.event_seq::float8 AS event_seq, ${CALLER} ${MEETING_WITH_CALLER}`,
    [roomId, email],
    'find-caller-status',
  );
  const row = rows[0];
  if (!row) return null;
  return {
    meetingId: row.id as number,
    meetingState: row.state as MeetingRef['state'],
    eventSeq: row.event_seq as number,
    caller: row.p_email == null ? null : toParticipant(row, 'p_'),
  };
}

export async function softDeleteMeeting(db: Queryable, meetingId: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE meetings SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL`,
    [meetingId],
  );
  return rowCount > 0;
}

export async function endMeeting(tx: Queryable, meetingId: number): Promise<void> {
  await tx.query(
    `UPDATE meetings SET state = 'ended', ended_at = now(), updated_at = now() WHERE id = $1 AND state = 'active'`,
    [meetingId],
  );
}

export interface OwnedMeetingsPage {
  total: number;
  meetings: MeetingSummaryRecord[];
}

/** The owner's live meetings, newest first, with counts; `total` ignores paging. One round trip. */
export async function listOwnedMeetings(db: Queryable, owner: string, limit: number, offset: number): Promise<OwnedMeetingsPage> {
  const { rows } = await db.query<Row>(
    `SELECT t.total, page.*
     FROM (SELECT count(*)::int AS total FROM meetings WHERE creator_id = $1 AND deleted_at IS NULL) t
     LEFT JOIN LATERAL (
       SELECT ${MEETING}, m.created_at AS sort_created_at,
         (SELECT count(*)::int FROM meeting_participants c WHERE c.meeting_id = m.id AND c.status = 'admitted') AS participant_count,
         (SELECT count(*)::int FROM meeting_participants c WHERE c.meeting_id = m.id AND c.status = 'waiting') AS waiting_count
       FROM meetings m
       WHERE m.creator_id = $1 AND m.deleted_at IS NULL
       ORDER BY m.created_at DESC, m.id DESC
       LIMIT $2 OFFSET $3
     ) page ON true
     ORDER BY page.sort_created_at DESC, page.id DESC`,
    [owner, limit, offset],
    'list-owned-meetings',
  );
  const total = (rows[0]?.total as number | undefined) ?? 0;
  const meetings = rows
    .filter((row) => row.id != null)
    .map((row) => ({
      ...toMeeting(row),
      participantCount: row.participant_count as number,
      waitingCount: row.waiting_count as number,
    }));
  return { total, meetings };
}
