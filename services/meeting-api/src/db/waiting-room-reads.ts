import type { WaitingRoomReader } from '../domain/ports';
import type { WaitingRoomKey, WaitingRoomRead } from '../domain/records';
import { createCoalescedReader } from './coalesced-reads';
import type { Database, Queryable } from './database';
import { meetingRefColumns, participantColumns, toMeetingRef, toParticipant, type Row } from './rows';

/**
 * The host's view of a waiting room in ONE statement: the live meeting, the caller's own row
 * (for the authorization) and a page of the people waiting. Under load on PostgreSQL the reads
 * of many callers share statements, as status polls do (`coalesced-reads.ts`).
 *
 * The page is read with the meeting in the same snapshot; the domain decides from the meeting
 * and the caller's row whether the caller may see it (a refused caller's page is discarded).
 */
const MEETING_REF = meetingRefColumns('m');
const CALLER = participantColumns('p', 'p_');
const WAITING = participantColumns('w', 'w_');

/** One statement for many (meeting, caller, page) keys; results in the order of `keys`. */
export async function readWaitingRooms(db: Queryable, keys: readonly WaitingRoomKey[]): Promise<(WaitingRoomRead | null)[]> {
  const { rows } = await db.query<Row>(
    `SELECT k.i::int4 AS i, ${MEETING_REF}, ${CALLER}, ${WAITING}
     FROM unnest($1::text[], $2::text[], $3::int4[], $4::int8[]) WITH ORDINALITY AS k(room_id, email, lim, off, i)
     JOIN meetings m ON m.room_id = k.room_id AND m.deleted_at IS NULL
     LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.email = k.email
     LEFT JOIN LATERAL (
       SELECT w.* FROM meeting_participants w
       WHERE w.meeting_id = m.id AND w.status = 'waiting'
       ORDER BY w.joined_at, w.email
       LIMIT k.lim OFFSET k.off
     ) w ON true
     ORDER BY k.i, w.joined_at, w.email`,
    [keys.map((k) => k.roomId), keys.map((k) => k.email), keys.map((k) => k.page.limit), keys.map((k) => k.page.offset)],
    'read-waiting-rooms',
  );
  const found: (WaitingRoomRead | null)[] = keys.map(() => null);
  for (const row of rows) {
    const at = (row.i as number) - 1;
    let read = found[at];
    if (!read) {
      read = { meeting: toMeetingRef(row), caller: row.p_email == null ? null : toParticipant(row, 'p_'), waiting: [] };
      found[at] = read;
    }
    if (row.w_email != null) read.waiting.push(toParticipant(row, 'w_'));
  }
  return found;
}

/**
 * Waiting-room lists, coalesced like status polls (one statement in flight; see
 * `createCallerStatusReader`). On PGlite (one in-process connection) each read goes alone.
 */
export function createWaitingRoomReader(db: Database): WaitingRoomReader {
  if (db.kind === 'pglite') return { read: async (k) => (await readWaitingRooms(db, [k]))[0] ?? null };
  return createCoalescedReader({ readMany: (keys) => readWaitingRooms(db, keys), maxInFlight: 1, maxBatch: WAITING_ROOMS_MAX_BATCH });
}

/** A page holds up to 100 people (PARTICIPANT_LIST_MAX_LIMIT), an unpaged list the whole room: keep batches small. */
const WAITING_ROOMS_MAX_BATCH = 32;
