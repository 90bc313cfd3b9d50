import type { Queryable } from './database';

/** Live (not deleted) meetings per state, for the metrics scrape. States with no meeting are absent. */
export async function countMeetingsByState(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM meetings WHERE deleted_at IS NULL GROUP BY state',
    [],
    'stats_meetings_by_state',
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** People in the waiting room of live meetings, for the metrics scrape. */
export async function countWaitingParticipants(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM meeting_participants p
       JOIN meetings m ON m.id = p.meeting_id
      WHERE p.status = 'waiting' AND m.deleted_at IS NULL`,
    [],
    'stats_waiting_participants',
  );
  return Number(rows[0]?.n ?? 0);
}
