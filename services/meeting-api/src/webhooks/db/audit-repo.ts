import type { Queryable } from '../../db/database';
import type { Row } from '../../db/rows';
import type { AuditReader, AuditRecord } from '../audit';

/**
 * The audit store: every creation (instance) of a meeting id, numbered 1, 2, … in creation
 * order, limited to those `reader` may see, and their events in order.
 */
export function createAuditStore(db: Queryable): AuditReader {
  return {
    async readableInstances(roomId, reader) {
      const { rows } = await db.query<{ id: number; instance: number; readable: boolean }>(
        `WITH inst AS (
           SELECT m.id, m.creator_id, m.created_by_key_id::text AS key_id, row_number() OVER (ORDER BY m.id)::int AS instance
           FROM meetings m WHERE m.room_id = $1
         )
         SELECT i.id, i.instance, (
           $2::boolean
           OR ($3::text IS NOT NULL AND i.key_id = $3)
           OR ($3::text IS NULL AND (
             i.creator_id = $4
             OR EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting_id = i.id AND p.email = $4 AND p.role IN ('host', 'cohost'))
             OR EXISTS (SELECT 1 FROM meeting_events e WHERE e.meeting_id = i.id AND e.subject = $4
                        AND e.payload->'participant'->>'role' IN ('host', 'cohost'))
           ))
         ) AS readable
         FROM inst i ORDER BY i.id`,
        [roomId, reader.admin, reader.keyId, reader.identity],
        'audit-instances',
      );
      return rows.filter((r) => r.readable).map((r) => ({ meetingId: r.id, instance: r.instance }));
    },

    async listEvents(instances, after, limit) {
      const ids = instances.map((i) => i.meetingId);
      const numbers = instances.map((i) => i.instance);
      const { rows } = await db.query<Row>(
        `SELECT i.instance, e.meeting_id, e.seq::float8 AS seq, e.type, e.actor, e.payload,
           floor(extract(epoch from e.occurred_at))::float8 AS occurred_at
         FROM unnest($1::int[], $2::int[]) AS i(meeting_id, instance)
         JOIN meeting_events e ON e.meeting_id = i.meeting_id
         WHERE (i.instance, e.seq) > ($3::int, $4::bigint)
         ORDER BY i.instance, e.seq
         LIMIT $5`,
        [ids, numbers, after.instance, after.seq, limit],
        'audit-events',
      );
      return rows.map(
        (row): AuditRecord => ({
          instance: row.instance as number,
          seq: row.seq as number,
          type: row.type as string,
          actor: (row.actor as string | null) ?? null,
          payload: row.payload as Record<string, unknown>,
          occurredAt: row.occurred_at as number,
        }),
      );
    },
  };
}
