import type { WaitingRoomReader } from '../domain/ports';
import type { ParticipantRecord, WaitingRoomKey, WaitingRoomRead } from '../domain/records';
import { createCoalescedReader } from './coalesced-reads';
import type { Database, Queryable } from './database';
import { meetingRefColumns, participantColumns, toMeetingRef, toParticipant, type Row } from './rows';

/**
 * The host's view of a waiting room in ONE statement: the live meeting, the caller's own row
 * (for the authorization) and a page of the people waiting. Under load on PostgreSQL the reads
 * of many callers share statements, as status polls do (`coalesced-reads.ts`).
 *
 * Each instance keeps the pages it read, with the meeting's `waiting_version` they were read
 * at. The triggers that keep the meeting's counts bump that version with every change of a row
 * that is or was waiting, so the statement itself tells, in the same snapshot as the meeting
 * and the caller, whether the kept page is still the page: only when it is not does it read
 * the page again. A busy host polling a room of 100 people then costs one row, not 100.
 *
 * The domain decides from the meeting and the caller's row whether the caller may see the page
 * (a refused caller's page is discarded).
 */
const MEETING_REF = meetingRefColumns('m');
const CALLER = participantColumns('p', 'p_');
const WAITING = participantColumns('w', 'w_');

/** A page as read: of which meeting (ids are never reused), at which version. */
interface KeptPage {
  meetingId: number;
  version: number;
  waiting: readonly ParticipantRecord[];
}

/** Pages kept per instance (least recently used dropped first); a page is at most 100 people. */
const KEPT_PAGES_MAX = 256;

/**
 * The pages one instance keeps, and the one statement for many (meeting, caller, page) keys
 * that reads through them; results in the order of `keys`.
 */
function createWaitingRoomPages(): (db: Queryable, keys: readonly WaitingRoomKey[]) => Promise<(WaitingRoomRead | null)[]> {
  const kept = new Map<string, KeptPage>();
  const pageKey = (k: WaitingRoomKey) => `${k.roomId}\n${k.page.limit}\n${k.page.offset}`;

  const keep = (key: string, page: KeptPage): void => {
    const had = kept.get(key);
    // Only a newer read replaces a page (reads of one key may answer out of order).
    if (had && (had.meetingId > page.meetingId || (had.meetingId === page.meetingId && had.version >= page.version))) return;
    kept.delete(key);
    kept.set(key, page);
    if (kept.size > KEPT_PAGES_MAX) kept.delete(kept.keys().next().value!);
  };

  async function readMany(db: Queryable, keys: readonly WaitingRoomKey[]): Promise<(WaitingRoomRead | null)[]> {
    // The pages this statement may answer from, fixed now: the answer is checked against these.
    const known = keys.map((k) => kept.get(pageKey(k)));
    const { rows } = await db.query<Row>(
      `SELECT k.i::int4 AS i, ${MEETING_REF}, m.waiting_version::float8 AS waiting_version, ${CALLER},
         kept.holds AS kept_page_holds, ${WAITING}
       FROM unnest($1::text[], $2::text[], $3::int4[], $4::int8[], $5::int4[], $6::int8[])
         WITH ORDINALITY AS k(room_id, email, lim, off, known_id, known_version, i)
       JOIN meetings m ON m.room_id = k.room_id AND m.deleted_at IS NULL
       CROSS JOIN LATERAL (
         SELECT k.known_id IS NOT NULL AND m.id = k.known_id AND m.waiting_version = k.known_version AS holds
       ) kept
       LEFT JOIN meeting_participants p ON p.meeting_id = m.id AND p.email = k.email
       LEFT JOIN LATERAL (
         SELECT w.* FROM meeting_participants w
         WHERE w.meeting_id = m.id AND w.status = 'waiting' AND NOT kept.holds
         ORDER BY w.joined_at, w.email
         LIMIT k.lim OFFSET k.off
       ) w ON true
       ORDER BY k.i, w.joined_at, w.email`,
      [
        keys.map((k) => k.roomId),
        keys.map((k) => k.email),
        keys.map((k) => k.page.limit),
        keys.map((k) => k.page.offset),
        known.map((p) => p?.meetingId ?? null),
        known.map((p) => p?.version ?? null),
      ],
      'read-waiting-rooms',
    );
    const found: (WaitingRoomRead | null)[] = keys.map(() => null);
    const fresh: (KeptPage | undefined)[] = keys.map(() => undefined);
    for (const row of rows) {
      const at = (row.i as number) - 1;
      let read = found[at];
      if (!read) {
        const meeting = toMeetingRef(row);
        const holds = row.kept_page_holds === true && known[at] !== undefined;
        const page: KeptPage = holds ? known[at]! : { meetingId: meeting.id, version: row.waiting_version as number, waiting: [] };
        if (!holds) fresh[at] = page;
        read = { meeting, caller: row.p_email == null ? null : toParticipant(row, 'p_'), waiting: page.waiting as ParticipantRecord[] };
        found[at] = read;
      }
      if (row.w_email != null) read.waiting.push(toParticipant(row, 'w_'));
    }
    for (const [at, page] of fresh.entries()) if (page) keep(pageKey(keys[at]!), page);
    return found;
  }

  return readMany;
}

/**
 * Waiting-room lists, coalesced like status polls (one statement in flight; see
 * `createCallerStatusReader`). On PGlite (one in-process connection) each read goes alone.
 * Either way through this instance's kept pages.
 */
export function createWaitingRoomReader(db: Database): WaitingRoomReader {
  const readMany = createWaitingRoomPages();
  if (db.kind === 'pglite') return { read: async (k) => (await readMany(db, [k]))[0] ?? null };
  return createCoalescedReader({ readMany: (keys) => readMany(db, keys), maxInFlight: 1, maxBatch: WAITING_ROOMS_MAX_BATCH });
}

/** A page holds up to 100 people (PARTICIPANT_LIST_MAX_LIMIT), an unpaged list the whole room: keep batches small. */
const WAITING_ROOMS_MAX_BATCH = 32;
