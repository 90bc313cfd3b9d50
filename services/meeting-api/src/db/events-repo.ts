import type { MeetingEventType } from 'meeting-types';
import type { Queryable } from './database';
import type { Row } from './rows';

/** PostgreSQL channel woken (on commit) by every append; the payload is `<meeting id>:<last seq>`. */
export const EVENTS_CHANNEL = 'meeting_events';

/** An event to append; `seq` and `occurred_at` come from the database. */
export interface NewMeetingEvent {
  type: MeetingEventType;
  /** Identity that caused the change, or null for the service. */
  actor: string | null;
  /** The participant a `participant.*` event is about. */
  subject?: string | null;
  /** What the event carries beside `seq, type, meeting_id, occurred_at, actor`. */
  payload: Record<string, unknown>;
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
  const { rows: result } = await tx.query<{ last: string | number | null }>(
    `WITH bump AS (
       UPDATE meetings SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq
     ), ins AS (
       INSERT INTO meeting_events (meeting_id, seq, type, actor, subject, payload)
       SELECT $1, bump.event_seq - $2 + x.ord, x.ev->>'type', x.ev->>'actor', x.ev->>'subject', x.ev->'payload'
       FROM bump, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS x(ev, ord)
       RETURNING seq
     )
     SELECT max(seq) AS last, pg_notify('${EVENTS_CHANNEL}', $1::text || ':' || max(seq)::text) FROM ins`,
    [meetingId, events.length, JSON.stringify(rows)],
    'append-events',
  );
  const last = result[0]?.last;
  if (last == null) throw new Error(`appendEvents: meeting ${meetingId} does not exist`);
  const first = Number(last) - events.length + 1;
  return events.map((_, i) => first + i);
}

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

/** The meeting's last assigned seq (0 before its first event). */
export async function lastSeq(db: Queryable, meetingId: number): Promise<number> {
  const { rows } = await db.query<{ event_seq: string | number }>(`SELECT event_seq FROM meetings WHERE id = $1`, [meetingId], 'last-event-seq');
  return rows[0] ? Number(rows[0].event_seq) : 0;
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
