import { ENFORCED_EVENT_TYPES } from 'meeting-types';
import { participantEvent } from '../domain/events';
import { statusesAllowing } from '../domain/meeting-state';
import type { OneStatementTransitions } from '../domain/ports';
import type { JoinView, MeetingRef, ParticipantRecord, RowEvent, WrittenRow } from '../domain/records';
import type { Database, Queryable } from './database';
import { EVENTS_CHANNEL, INLINE_MAX_BYTES } from '../events/db/events-repo';
import { attendeeUpsert, joinKeepsPlace, transitionSet } from './participants-repo';
import { meetingRefColumns, participantColumns, toMeetingRef, toParticipant, type Row } from './rows';

/**
 * The hot lifecycle transitions as one statement each (`OneStatementTransitions` in the domain's
 * ports): no BEGIN, no COMMIT, no connection held between statements while the API works.
 *
 * Each statement is a chain of CTEs: `locked` locks the meeting row (`FOR UPDATE`, so a racing
 * command of the same meeting waits, as it waits for a locked transaction) and checks, on the row
 * as last committed, that the meeting is as the use case read it; `w` writes the participant row,
 * its guard checking the row's status as last committed (an UPDATE, and an upsert's conflict arm,
 * re-read the newest version of the row they change); then the event about `w`'s row is appended
 * as `appendEvents` appends it (the per-meeting counter bumped under the lock, the row inserted,
 * the NOTIFY sent on commit). Whatever differs, nothing is written and `null` comes back.
 */
// A `Database`, never a transaction's connection: each statement must be a transaction of its
// own, for its mark as counted (see APPEND_AND_ANSWER) lasts until its transaction ends.
export function createOneStatementTransitions(db: Database): OneStatementTransitions {
  return {
    findForJoin: (roomId, email) => findForJoin(db, roomId, email),
    joinAttendee: (seen, email, displayName, waitingBelow, event, countMatters, emit) =>
      joinAttendee(db, seen, email, displayName, waitingBelow, event, countMatters, emit),
    decide: (seen, target, event, ban, emit) => decide(db, seen, target, event, ban, emit),
  };
}

const PARTICIPANT = participantColumns('p');

/**
 * `participantEvent`'s payload as SQL over the participant row `alias`: the domain's own view
 * applied to a record whose fields are the SQL expressions of its columns, so the payload keeps
 * the view's fields and names (a `null` field stays JSON `null`).
 */
function participantPayloadSql(alias: string): string {
  const epoch = (column: string) => `floor(extract(epoch from ${alias}.${column}))::float8`;
  const columns: Record<keyof ParticipantRecord, string> = {
    email: `${alias}.email`,
    displayName: `${alias}.display_name`,
    status: `${alias}.status`,
    isHost: `${alias}.is_host`,
    role: `${alias}.role`,
    banned: `${alias}.banned`,
    joinedAt: epoch('joined_at'),
    admittedAt: epoch('admitted_at'),
    connected: `COALESCE(${alias}.connected, false)`,
  };
  const toJson = (value: unknown): string => {
    if (value === null) return 'NULL';
    if (typeof value === 'string') return value;
    const entries = Object.entries(value as Record<string, unknown>).map(([key, v]) => `'${key}', ${toJson(v)}`);
    return `jsonb_build_object(${entries.join(', ')})`;
  };
  return toJson(participantEvent('participant.admitted', null, columns as unknown as ParticipantRecord).payload);
}

const PAYLOAD = participantPayloadSql('p');

/** The meeting row `m` as the decision read it: state and every setting (`$from`… in that order). */
const SETTINGS_GUARD = (from: number) => `m.state = $${from}::text
       AND (m.waiting_room_enabled, m.admit_policy, m.host_leave_policy, m.locked, m.max_participants, m.allow_guests, m.early_knock)
           IS NOT DISTINCT FROM ($${from + 1}::boolean, $${from + 2}::text, $${from + 3}::text, $${from + 4}::boolean, $${from + 5}::int, $${from + 6}::boolean, $${from + 7}::boolean)`;

function settingsParams(m: MeetingRef): unknown[] {
  const s = m.settings;
  return [m.state, s.waitingRoomEnabled, s.admitPolicy, s.hostLeavePolicy, s.locked, s.maxParticipants, s.allowGuests, s.earlyKnock];
}

/**
 * After `locked` (the meeting, `$1` its id) and `w` (the written row with its `payload`): the
 * meeting row updated once (the event counter bumped when `$type` is not null, and the counts
 * and waiting version moved by `w`'s change from `before`, its status before as SQL over `w`),
 * the statement marked as counted (the count triggers skip it: `015_counted_statements.sql`), the event
 * `$type` by `$actor` about `w`'s row appended (`$enforced` the NOTIFY's decision flag), and the
 * answer: `w`'s row, the counter before, and the seq appended.
 */
const APPEND_AND_ANSWER = (type: number, enforced: number, actor: number, before: string) => `,
     change AS (
       SELECT (w.status = 'admitted')::int - COALESCE((${before} = 'admitted')::int, 0) AS admitted,
         (w.status = 'waiting')::int - COALESCE((${before} = 'waiting')::int, 0) AS waiting,
         w.status = 'waiting' OR COALESCE(${before} = 'waiting', false) AS touched_waiting
       FROM w
     ), bump AS (
       UPDATE meetings m
       SET event_seq = m.event_seq + ($${type}::text IS NOT NULL)::int,
         participant_count = m.participant_count + c.admitted, waiting_count = m.waiting_count + c.waiting,
         waiting_version = m.waiting_version + c.touched_waiting::int
       FROM change c
       WHERE m.id = $1 AND ($${type}::text IS NOT NULL OR c.admitted <> 0 OR c.waiting <> 0 OR c.touched_waiting)
       RETURNING m.event_seq, set_config('meeting.counted_statement', statement_timestamp()::text, true) AS counted
     ), ins AS (
       INSERT INTO meeting_events (meeting_id, seq, type, actor, subject, payload)
       SELECT $1, bump.event_seq, $${type}::text, $${actor}::text, w.email, w.payload FROM bump, w
       WHERE $${type}::text IS NOT NULL
       RETURNING seq, jsonb_build_array(jsonb_build_object('type', type, 'actor', actor, 'subject', subject, 'payload', payload))::text AS inline
     ), notified AS (
       SELECT pg_notify('${EVENTS_CHANNEL}',
         $1::text || ':' || seq::text || ':' || seq::text || ':' || $${enforced}::text
         || CASE WHEN octet_length(inline) <= ${INLINE_MAX_BYTES} THEN ':' || floor(extract(epoch from now()))::bigint::text || ':' || inline ELSE '' END
       ) FROM ins
     )
     SELECT w.*, (SELECT event_seq::float8 FROM locked) AS seq_before, (SELECT seq::float8 FROM ins) AS seq,
       (SELECT count(*) FROM notified) AS notified
     FROM w`;

const ENFORCED = new Set<string>(ENFORCED_EVENT_TYPES);
const enforcedFlag = (emit: RowEvent | null) => (emit !== null && ENFORCED.has(emit.type) ? '1' : '0');

/** The statement's answer; an event it appended (a `seq`) is reported to the database's counter as `appendEvents` reports its own. */
function toWritten(db: Queryable, meetingId: number, row: Row | undefined): WrittenRow | null {
  if (!row) return null;
  if (row.seq !== null && row.seq !== undefined) db.eventsAppended?.(1);
  return { participant: toParticipant(row), meetingId, seq: (row.seq as number | null) ?? (row.seq_before as number) };
}

async function findForJoin(db: Queryable, roomId: string, email: string): Promise<JoinView | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${meetingRefColumns('m')}, m.password_hash, m.participant_count, ${participantColumns('p', 'p_')}
     FROM meetings m
     LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.email = $2
     WHERE m.room_id = $1 AND m.deleted_at IS NULL`,
    [roomId, email],
    'find-for-join',
  );
  const row = rows[0];
  if (!row) return null;
  return {
    meeting: { ...toMeetingRef(row), passwordHash: (row.password_hash as string | null) ?? null },
    caller: row.p_email == null ? null : toParticipant(row, 'p_'),
    admittedCount: row.participant_count as number,
  };
}

const JOIN_SQL = new Map<string, string>();

function joinSql(event: 'join' | 'direct-join' | 'early-knock'): string {
  let sql = JOIN_SQL.get(event);
  if (sql === undefined) {
    const upsert = attendeeUpsert(event);
    sql = `WITH locked AS MATERIALIZED (
       SELECT m.id, m.event_seq FROM meetings m
       WHERE m.id = $1 AND m.deleted_at IS NULL AND m.password_hash IS NOT DISTINCT FROM $4::text
         AND ${SETTINGS_GUARD(5)}
         AND ($13::int IS NULL OR m.participant_count = $13::int)
         AND ($14::int IS NULL OR m.waiting_count < $14::int)
       FOR UPDATE
     ), w AS (
       INSERT INTO meeting_participants AS p ${upsert.columns}
       SELECT ${upsert.values('locked.id')} FROM locked
       ON CONFLICT (meeting_id, email) DO UPDATE SET ${upsert.set}
       WHERE NOT p.banned AND p.status = $15::text
       RETURNING ${PARTICIPANT}, ${PAYLOAD} AS payload, p.xmax = 0 AS inserted
     )${APPEND_AND_ANSWER(16, 17, 18, 'CASE WHEN w.inserted THEN NULL ELSE $15::text END')}`;
    JOIN_SQL.set(event, sql);
  }
  return sql;
}

async function joinAttendee(
  db: Queryable,
  seen: JoinView,
  email: string,
  displayName: string | null,
  waitingBelow: number,
  event: 'join' | 'direct-join' | 'early-knock',
  countMatters: boolean,
  emit: RowEvent | null,
): Promise<WrittenRow | null> {
  const m = seen.meeting;
  const before = seen.caller?.status ?? null;
  // The waiting-room cap bounds only those who would be new in it (as `joinAsAttendee` counts).
  const cap = attendeeUpsert(event).firstStatus === 'waiting' && (before === null || !joinKeepsPlace(event).includes(before)) ? waitingBelow : null;
  const { rows } = await db.query<Row>(
    joinSql(event),
    [
      m.id,
      email,
      displayName,
      m.passwordHash,
      ...settingsParams(m),
      countMatters ? seen.admittedCount : null,
      cap,
      // No row when the decision was made: any row now is a change (the conflict arm writes nothing).
      before,
      emit?.type ?? null,
      enforcedFlag(emit),
      emit?.actor ?? null,
    ],
    `one-statement-${event}`,
  );
  return toWritten(db, m.id, rows[0]);
}

const DECIDE_SQL = new Map<string, string>();

/** The one status a decision moves someone from: the statement counts the change from it. */
function onlyStatusAllowing(event: 'admit' | 'reject'): string {
  const from = statusesAllowing(event);
  if (from.length !== 1) throw new Error(`the one-statement ${event} counts its change from one status; the lifecycle allows it from ${from.join(', ')}`);
  return from[0]!;
}

function decideSql(event: 'admit' | 'reject'): string {
  let sql = DECIDE_SQL.get(event);
  if (sql === undefined) {
    // An admit needs room for one more under `max_participants` (`hasRoomFor` on the meeting's counter).
    const room = event === 'admit' ? 'AND (m.max_participants IS NULL OR m.participant_count + 1 <= m.max_participants)' : '';
    sql = `WITH locked AS MATERIALIZED (
       SELECT m.id, m.event_seq FROM meetings m
       WHERE m.id = $1 AND m.deleted_at IS NULL AND ${SETTINGS_GUARD(5)} ${room}
       FOR UPDATE
     ), caller AS MATERIALIZED (
       SELECT 1 FROM meeting_participants c
       WHERE c.meeting_id = (SELECT id FROM locked) AND c.email = $2::text AND c.status = $13::text AND c.role = $14::text
       FOR SHARE
     ), w AS (
       UPDATE meeting_participants p SET ${transitionSet(event, '$4::boolean')}
       WHERE p.meeting_id = (SELECT id FROM locked) AND p.email = $3::text AND p.status = ANY($15::text[])
         AND EXISTS (SELECT 1 FROM caller)
       RETURNING ${PARTICIPANT}, ${PAYLOAD} AS payload
     )${APPEND_AND_ANSWER(16, 17, 18, `'${onlyStatusAllowing(event)}'`)}`;
    DECIDE_SQL.set(event, sql);
  }
  return sql;
}

async function decide(
  db: Queryable,
  seen: { meeting: MeetingRef; caller: ParticipantRecord },
  target: string,
  event: 'admit' | 'reject',
  ban: boolean,
  emit: RowEvent,
): Promise<WrittenRow | null> {
  const m = seen.meeting;
  const { rows } = await db.query<Row>(
    decideSql(event),
    [
      m.id,
      seen.caller.email,
      target,
      ban,
      ...settingsParams(m),
      seen.caller.status,
      seen.caller.role,
      statusesAllowing(event),
      emit.type,
      enforcedFlag(emit),
      emit.actor,
    ],
    `one-statement-${event}`,
  );
  return toWritten(db, m.id, rows[0]);
}
