import { ENFORCED_EVENT_TYPES, type MeetingEventType } from 'meeting-types';
import type { Queryable } from '../../db/database';
import { findMeetingWithCaller } from '../../db/meetings-repo';
import type { Row } from '../../db/rows';
import type { NewMeetingEvent } from '../../domain/records';
import type { StreamReads } from '../stream';

/**
 * PostgreSQL channel woken (on commit) by every append; the payload is
 * `<meeting id>:<first seq>:<last seq>:<1 when the batch holds a decision the Media Servers enforce, else 0>`,
 * then, when the batch is small, `:<occurred_at>:<the appended events as JSON>` so listeners that are
 * up to date need not read them back (NOTIFY payloads stop at 8000 bytes; larger batches are read).
 */
export const EVENTS_CHANNEL = 'meeting_events';
export const INLINE_MAX_BYTES = 7000;

/** A notification parsed: which events committed, and the events themselves when they fit. */
export interface EventsNotification {
  meetingId: number;
  first: number;
  last: number;
  hasDecision: boolean;
  /**
   * The events themselves when they came with it, else `undefined`; parsed only when asked for
   * (every instance is told of every meeting's events, and most have nobody following that meeting).
   */
  events(): StoredMeetingEvent[] | undefined;
}

export function parseEventsNotification(payload: string): EventsNotification | undefined {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < 5; i++) {
    const at = payload.indexOf(':', from);
    if (at < 0) break;
    parts.push(payload.slice(from, at));
    from = at + 1;
  }
  const rest = payload.slice(from);
  const [idText, firstText, lastText, flag, occurredText] = parts.length >= 5 ? parts : [...parts, rest];
  const meetingId = Number(idText);
  const first = Number(firstText);
  const last = Number(lastText);
  if (!Number.isInteger(meetingId) || !Number.isInteger(first) || !Number.isInteger(last) || last < first) return undefined;
  const events = (): StoredMeetingEvent[] | undefined => {
    if (parts.length < 5) return undefined;
    try {
      const rows = JSON.parse(rest) as Array<{ type: MeetingEventType; actor: string | null; subject: string | null; payload: Record<string, unknown> }>;
      const occurredAt = Number(occurredText);
      if (!Array.isArray(rows) || rows.length !== last - first + 1 || !Number.isInteger(occurredAt)) return undefined;
      return rows.map((r, i) => ({ meetingId, seq: first + i, type: r.type, actor: r.actor, subject: r.subject, payload: r.payload, occurredAt }));
    } catch {
      return undefined; // read them from the table instead
    }
  };
  return { meetingId, first, last, hasDecision: flag !== '0', events };
}

export interface StoredMeetingEvent {
  meetingId: number;
  seq: number;
  type: MeetingEventType;
  actor: string | null;
  subject: string | null;
  payload: Record<string, unknown>;
  occurredAt: number;
}

/**
 * Appends `events` to meeting `meetingId`'s log inside the caller's transaction
 * `tx`, in order, and returns their `seq`s. The per-meeting counter is bumped
 * under the meeting row's lock, so seqs have no gaps and follow commit order
 * across instances; the NOTIFY is delivered only if the transaction commits.
 *
 * To avoid deadlocks, callers lock the meeting row (`lockLiveMeeting…`)
 * before touching participant rows in the same transaction.
 */
export async function appendEvents(tx: Queryable, meetingId: number, events: readonly NewMeetingEvent[]): Promise<number[]> {
  if (events.length === 0) return [];
  const rows = events.map((e) => ({ type: e.type, actor: e.actor, subject: e.subject ?? null, payload: e.payload }));
  const json = JSON.stringify(rows);
  const { rows: result } = await tx.query<{ last: string | number | null }>(
    `WITH bump AS (
       UPDATE meetings SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq
     ), ins AS (
       INSERT INTO meeting_events (meeting_id, seq, type, actor, subject, payload)
       SELECT $1, bump.event_seq - $2 + x.ord, x.ev->>'type', x.ev->>'actor', x.ev->>'subject', x.ev->'payload'
       FROM bump, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS x(ev, ord)
       RETURNING seq
     )
     SELECT max(seq) AS last, pg_notify('${EVENTS_CHANNEL}',
       $1::text || ':' || min(seq)::text || ':' || max(seq)::text || ':' || $4::text
       || CASE WHEN $5::text IS NULL THEN '' ELSE ':' || floor(extract(epoch from now()))::bigint::text || ':' || $5::text END
     ) FROM ins`,
    [meetingId, events.length, json, events.some((e) => ENFORCED.has(e.type)) ? '1' : '0', Buffer.byteLength(json) <= INLINE_MAX_BYTES ? json : null],
    'append-events',
  );
  const last = result[0]?.last;
  if (last == null) throw new Error(`appendEvents: meeting ${meetingId} does not exist`);
  tx.eventsAppended?.(events.length);
  const first = Number(last) - events.length + 1;
  return events.map((_, i) => first + i);
}

const ENFORCED = new Set<string>(ENFORCED_EVENT_TYPES);

function toEvent(row: Row): StoredMeetingEvent {
  return {
    meetingId: row.meeting_id as number,
    seq: Number(row.seq),
    type: row.type as MeetingEventType,
    actor: (row.actor as string | null) ?? null,
    subject: (row.subject as string | null) ?? null,
    payload: row.payload as Record<string, unknown>,
    occurredAt: row.occurred_at as number,
  };
}

const EVENT_COLUMNS = `e.meeting_id, e.seq, e.type, e.actor, e.subject, e.payload, floor(extract(epoch from e.occurred_at))::float8 AS occurred_at`;

/** Events of one meeting after `afterSeq`, oldest first, at most `limit`. */
export async function listEventsAfter(db: Queryable, meetingId: number, afterSeq: number, limit: number): Promise<StoredMeetingEvent[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${EVENT_COLUMNS} FROM meeting_events e WHERE e.meeting_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3`,
    [meetingId, afterSeq, limit],
    'list-events-after',
  );
  return rows.map(toEvent);
}

/**
 * Retention: drops the logs of meetings deleted, or ended, more than
 * `retentionSecs` ago (a reactivated meeting's counter keeps going, so seqs are
 * never reused). Returns how many events were dropped.
 */
export async function deleteExpiredEvents(db: Queryable, retentionSecs: number, batch = 10_000): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM meeting_events e
     WHERE (e.meeting_id, e.seq) IN (
       SELECT e2.meeting_id, e2.seq FROM meeting_events e2 JOIN meetings m ON m.id = e2.meeting_id
       WHERE (m.deleted_at IS NOT NULL AND m.deleted_at < now() - make_interval(secs => $1))
          OR (m.deleted_at IS NULL AND m.state = 'ended' AND m.ended_at < now() - make_interval(secs => $1))
       LIMIT $2
     )`,
    [retentionSecs, batch],
    'delete-expired-events',
  );
  return rowCount;
}

/** The last seq of each of these meetings (the safety net that catches a missed notification). */
export async function lastSeqs(db: Queryable, meetingIds: readonly number[]): Promise<Map<number, number>> {
  const { rows } = await db.query<{ id: number; event_seq: number }>(
    `SELECT id, event_seq::float8 AS event_seq FROM meetings WHERE id = ANY($1::int[])`,
    [meetingIds],
    'last-event-seqs',
  );
  return new Map(rows.map((r) => [r.id, r.event_seq]));
}

/** `participant.status` in the subject's last event at or before `atSeq` (null before their first). */
export async function subjectStatusAt(db: Queryable, meetingId: number, subject: string, atSeq: number): Promise<{ status: string | null; seq: number }> {
  const { rows } = await db.query<{ status: string | null; seq: number }>(
    `SELECT e.payload->'participant'->>'status' AS status, e.seq::float8 AS seq FROM meeting_events e
     WHERE e.meeting_id = $1 AND e.subject = $2 AND e.seq <= $3
     ORDER BY e.seq DESC LIMIT 1`,
    [meetingId, subject, atSeq],
    'subject-status-at',
  );
  return rows[0] ? { status: rows[0].status, seq: rows[0].seq } : { status: null, seq: 0 };
}

/** A decision the Media Server enforces, with the room id its connections know. */
export interface DecisionRecord {
  meetingId: number;
  roomId: string;
  seq: number;
  type: MeetingEventType;
  subject: string | null;
  banned: boolean;
  occurredAt: number;
}

const DECISION_COLUMNS = `e.meeting_id, m.room_id, e.seq::float8 AS seq, e.type, e.subject,
  COALESCE((e.payload->'participant'->>'banned')::boolean, false) AS banned,
  floor(extract(epoch from e.occurred_at))::float8 AS occurred_at`;

function toDecision(row: Row): DecisionRecord {
  return {
    meetingId: row.meeting_id as number,
    roomId: row.room_id as string,
    seq: row.seq as number,
    type: row.type as MeetingEventType,
    subject: (row.subject as string | null) ?? null,
    banned: row.banned as boolean,
    occurredAt: row.occurred_at as number,
  };
}

/** Decisions of one meeting in `[fromSeq, toSeq]`, in order. */
export async function listDecisionsInRange(
  db: Queryable,
  meetingId: number,
  fromSeq: number,
  toSeq: number,
  types: readonly string[],
): Promise<DecisionRecord[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${DECISION_COLUMNS} FROM meeting_events e JOIN meetings m ON m.id = e.meeting_id
     WHERE e.meeting_id = $1 AND e.seq BETWEEN $2 AND $3 AND e.type = ANY($4::text[])
     ORDER BY e.seq`,
    [meetingId, fromSeq, toSeq, types],
    'list-decisions-in-range',
  );
  return rows.map(toDecision);
}

/** Every decision of the last `sinceSecs` seconds (what still matters: older tokens have expired). */
export async function listRecentDecisions(db: Queryable, sinceSecs: number, types: readonly string[]): Promise<DecisionRecord[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${DECISION_COLUMNS} FROM meeting_events e JOIN meetings m ON m.id = e.meeting_id
     WHERE e.occurred_at > now() - make_interval(secs => $1) AND e.type = ANY($2::text[])
     ORDER BY e.meeting_id, e.seq`,
    [sinceSecs, types],
    'list-recent-decisions',
  );
  return rows.map(toDecision);
}

/** The reads that open an event stream, on `db`. */
export function createStreamReads(db: Queryable): StreamReads {
  return {
    meetingWithCaller: (roomId, caller) => findMeetingWithCaller(db, roomId, caller),
    subjectStatusAt: (meetingId, subject, atSeq) => subjectStatusAt(db, meetingId, subject, atSeq),
  };
}
