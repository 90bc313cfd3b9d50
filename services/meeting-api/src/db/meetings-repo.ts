import { createCoalescedReader } from './coalesced-reads';
import type { Database, Queryable } from './database';
import { ConflictError } from '../domain/errors';
import type { CallerStatusReader, OwnedMeetingsReader } from '../domain/ports';
import type {
  CallerStatus,
  CallerStatusKey,
  LiveMeeting,
  MeetingRecord,
  MeetingRef,
  MeetingWithCaller,
  NewMeeting,
  OwnedMeetingsKey,
  OwnedMeetingsPage,
  SettingsChange,
} from '../domain/records';
import { isUniqueViolation } from './errors';
import {
  meetingColumns,
  meetingRefColumns,
  participantColumns,
  toMeeting,
  meetingSummaryColumns,
  toMeetingRef,
  toMeetingSummary,
  toParticipant,
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

/**
 * Inserts an idle meeting; `null` when a live meeting already has this id. Any other clash of
 * a unique key (SQLSTATE 23505) is thrown as a `ConflictError`.
 */
export async function insertMeeting(db: Queryable, meeting: NewMeeting): Promise<MeetingRecord | null> {
  const s = meeting.settings;
  const { rows } = await db.query<Row>(
    `INSERT INTO meetings AS m (room_id, creator_id, state, password_hash, attendees,
       waiting_room_enabled, admit_policy, host_leave_policy, locked, max_participants, allow_guests, created_by_key_id, early_knock)
     VALUES ($1, $2, 'idle', $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (room_id) WHERE deleted_at IS NULL DO NOTHING
     RETURNING ${MEETING}`,
    [
      meeting.roomId,
      meeting.creatorId,
      meeting.passwordHash,
      JSON.stringify(meeting.attendees),
      s.waitingRoomEnabled,
      s.admitPolicy,
      s.hostLeavePolicy,
      s.locked,
      s.maxParticipants,
      s.allowGuests,
      meeting.createdByKeyId ?? null,
      s.earlyKnock,
    ],
  ).catch((err: unknown) => {
    throw isUniqueViolation(err) ? new ConflictError(err) : err;
  });
  return rows[0] ? toMeeting(rows[0]) : null;
}

/** How many meetings (not deleted) `owner` owns: the owner index's range, counted. */
export async function countOwnedMeetings(db: Queryable, owner: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM meetings WHERE creator_id = $1 AND deleted_at IS NULL',
    [owner],
    'count-owned-meetings',
  );
  return rows[0]?.n ?? 0;
}

export async function findLiveMeeting(db: Queryable, roomId: string): Promise<LiveMeeting | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${MEETING_REF}, m.password_hash FROM meetings m WHERE m.room_id = $1 AND m.deleted_at IS NULL`,
    [roomId],
    'find-live-meeting',
  );
  const row = rows[0];
  return row ? { ...toMeetingRef(row), passwordHash: (row.password_hash as string | null) ?? null } : null;
}

/**
 * Locks the live meeting row for the rest of the transaction. Every change of
 * a meeting's participants takes this lock first, so checks made after it
 * (capacity, roles, bans, lock) hold until the commit.
 */
export async function lockLiveMeeting(tx: Queryable, roomId: string): Promise<LiveMeeting | null> {
  const { rows } = await tx.query<Row>(
    `SELECT ${MEETING_REF}, m.password_hash FROM meetings m WHERE m.room_id = $1 AND m.deleted_at IS NULL FOR UPDATE`,
    [roomId],
  );
  const row = rows[0];
  return row ? { ...toMeetingRef(row), passwordHash: (row.password_hash as string | null) ?? null } : null;
}

const SETTINGS_COLUMNS: Record<keyof SettingsChange, string> = {
  waitingRoomEnabled: 'waiting_room_enabled',
  admitPolicy: 'admit_policy',
  hostLeavePolicy: 'host_leave_policy',
  locked: 'locked',
  maxParticipants: 'max_participants',
  allowGuests: 'allow_guests',
  earlyKnock: 'early_knock',
  passwordHash: 'password_hash',
};

/** Applies the given settings (column names are constants, values parameters); returns the meeting. */
export async function updateSettings(tx: Queryable, meetingId: number, change: SettingsChange): Promise<MeetingRef> {
  const sets: string[] = [];
  const params: unknown[] = [meetingId];
  for (const [key, column] of Object.entries(SETTINGS_COLUMNS) as [keyof SettingsChange, string][]) {
    if (change[key] === undefined) continue;
    params.push(change[key]);
    sets.push(`${column} = $${params.length}`);
  }
  const { rows } = await tx.query<Row>(
    `UPDATE meetings m SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE m.id = $1 RETURNING ${MEETING_REF}`,
    params,
  );
  return toMeetingRef(rows[0]!);
}

/** The meeting as it is now inside the transaction. */
export async function readMeeting(tx: Queryable, meetingId: number): Promise<MeetingRef> {
  const { rows } = await tx.query<Row>(`SELECT ${MEETING_REF} FROM meetings m WHERE m.id = $1`, [meetingId]);
  return toMeetingRef(rows[0]!);
}

function toMeetingWithCaller(row: Row | undefined): MeetingWithCaller | null {
  if (!row) return null;
  return { meeting: toMeetingRef(row), caller: row.p_email == null ? null : toParticipant(row, 'p_') };
}

/**
 * Locks the live meeting (by its internal id) for the rest of the transaction and reads the
 * caller's row; `null` once it is deleted. State changes lock the meeting row before any
 * participant row, so concurrent changes of one meeting never deadlock.
 */
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

/** Status polling, the hottest path: the meeting's state and the caller's row, nothing else. */
export async function findCallerStatus(db: Queryable, roomId: string, email: string): Promise<CallerStatus | null> {
  const { rows } = await db.query<Row>(
    `SELECT m.id, m.state, m.event_seq::float8 AS event_seq, ${CALLER} ${MEETING_WITH_CALLER}`,
    [roomId, email],
    'find-caller-status',
  );
  const row = rows[0];
  return row ? toCallerStatus(row) : null;
}

function toCallerStatus(row: Row): CallerStatus {
  return {
    meetingId: row.id as number,
    meetingState: row.state as MeetingRef['state'],
    eventSeq: row.event_seq as number,
    caller: row.p_email == null ? null : toParticipant(row, 'p_'),
  };
}

/**
 * `findCallerStatus` for many (meeting, caller) pairs in one statement: one index lookup of
 * each meeting and of each caller's row; results in the order of `keys`.
 */
export async function findCallerStatuses(db: Queryable, keys: readonly CallerStatusKey[]): Promise<(CallerStatus | null)[]> {
  const { rows } = await db.query<Row>(
    `SELECT k.i::int4 AS i, m.id, m.state, m.event_seq::float8 AS event_seq, ${CALLER}
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(room_id, email, i)
     JOIN meetings m ON m.room_id = k.room_id AND m.deleted_at IS NULL
     LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.email = k.email`,
    [keys.map((k) => k.roomId), keys.map((k) => k.email)],
    'find-caller-statuses',
  );
  const found: (CallerStatus | null)[] = keys.map(() => null);
  for (const row of rows) found[(row.i as number) - 1] = toCallerStatus(row);
  return found;
}

/**
 * Status polls, coalesced (see `coalesced-reads.ts`). One statement in flight: on the bench
 * (2 cores, 50 and 200 pollers) one slot gave batches large enough to answer ~1.5× the
 * one-query-per-request bound, two slots ~1.0×, four ~0.8×. A status read takes no locks, so a
 * slot is never held up by a writer; a slow statement delays the polls queued behind it only.
 * On PGlite each poll reads on its own (see `coalesces`).
 */
export function createCallerStatusReader(db: Database): CallerStatusReader {
  if (!coalesces(db)) return { read: (k) => findCallerStatus(db, k.roomId, k.email) };
  return createCoalescedReader({
    readMany: (keys) => findCallerStatuses(db, keys),
    maxInFlight: CALLER_STATUS_READS_IN_FLIGHT,
    maxBatch: CALLER_STATUS_MAX_BATCH,
  });
}

/**
 * Coalescing saves round trips to a PostgreSQL server. PGlite runs in this process on one
 * connection: there is no round trip to save, and batching only delayed reads (embedded bench:
 * 1,002 req/s reading one by one, 709 coalesced).
 */
const coalesces = (db: Database) => db.kind !== 'pglite';

const CALLER_STATUS_READS_IN_FLIGHT = 1;
const CALLER_STATUS_MAX_BATCH = 256;

/**
 * `listOwnedMeetings` for several (owner, page) pairs in one statement: each key's count and
 * page come from the owner index as for a single list; results in the order of `keys`.
 */
export async function listOwnedMeetingsMany(db: Queryable, keys: readonly OwnedMeetingsKey[]): Promise<OwnedMeetingsPage[]> {
  const { rows } = await db.query<Row>(
    `SELECT k.i::int4 AS i, t.total, page.*
     FROM unnest($1::text[], $2::int4[], $3::int8[]) WITH ORDINALITY AS k(owner, lim, off, i)
     CROSS JOIN LATERAL (SELECT count(*)::int AS total FROM meetings WHERE creator_id = k.owner AND deleted_at IS NULL) t
     LEFT JOIN LATERAL (
       SELECT ${meetingSummaryColumns('m')}, row_number() OVER (ORDER BY m.created_at DESC, m.id DESC)::int4 AS n
       FROM meetings m
       WHERE m.creator_id = k.owner AND m.deleted_at IS NULL
       ORDER BY m.created_at DESC, m.id DESC
       LIMIT k.lim OFFSET k.off
     ) page ON true
     ORDER BY k.i, page.n`,
    [keys.map((k) => k.owner), keys.map((k) => k.limit), keys.map((k) => k.offset)],
    'list-owned-meetings-many',
  );
  const pages: OwnedMeetingsPage[] = keys.map(() => ({ total: 0, meetings: [] }));
  for (const row of rows) {
    const page = pages[(row.i as number) - 1]!;
    page.total = row.total as number;
    if (row.room_id != null) page.meetings.push(toMeetingSummary(row));
  }
  return pages;
}

/** Meeting lists, coalesced like status polls (`createCallerStatusReader`). */
export function createOwnedMeetingsReader(db: Database): OwnedMeetingsReader {
  if (!coalesces(db)) return { read: (k) => listOwnedMeetings(db, k.owner, k.limit, k.offset) };
  return createCoalescedReader({
    readMany: (keys) => listOwnedMeetingsMany(db, keys),
    maxInFlight: 1,
    maxBatch: OWNED_MEETINGS_MAX_BATCH,
    // The same page asked for several times in one batch (an owner's tabs, a dashboard) is read once.
    keyOf: (k) => `${k.limit}:${k.offset}:${k.owner}`,
  });
}

/** Up to 100 rows per page (LIST_MAX_LIMIT): at most ~3,200 rows per statement. */
const OWNED_MEETINGS_MAX_BATCH = 32;

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

/**
 * The owner's live meetings, newest first, with counts; `total` ignores paging. One round trip,
 * one index range: the counts are columns of the meeting row (kept by triggers, migration 007),
 * and only the columns a summary shows are read (no attendees, no password hash).
 */
export async function listOwnedMeetings(db: Queryable, owner: string, limit: number, offset: number): Promise<OwnedMeetingsPage> {
  const { rows } = await db.query<Row>(
    `SELECT t.total, page.*
     FROM (SELECT count(*)::int AS total FROM meetings WHERE creator_id = $1 AND deleted_at IS NULL) t
     LEFT JOIN LATERAL (
       SELECT ${meetingSummaryColumns('m')}
       FROM meetings m
       WHERE m.creator_id = $1 AND m.deleted_at IS NULL
       ORDER BY m.created_at DESC, m.id DESC
       LIMIT $2 OFFSET $3
     ) page ON true`,
    [owner, limit, offset],
    'list-owned-meetings',
  );
  const total = (rows[0]?.total as number | undefined) ?? 0;
  const meetings = rows.filter((row) => row.room_id != null).map(toMeetingSummary);
  return { total, meetings };
}

/** `lockLiveMeeting` by the meeting row's id (a token's `mid`). */
export async function lockLiveMeetingById(tx: Queryable, meetingId: number): Promise<LiveMeeting | null> {
  const { rows } = await tx.query<Row>(
    `SELECT ${MEETING_REF}, m.password_hash FROM meetings m WHERE m.id = $1 AND m.deleted_at IS NULL FOR UPDATE`,
    [meetingId],
  );
  const row = rows[0];
  return row ? { ...toMeetingRef(row), passwordHash: (row.password_hash as string | null) ?? null } : null;
}
