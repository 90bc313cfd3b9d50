import type { Database, Queryable } from '../../db/database';
import type { Row } from '../../db/rows';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryRecord, EndpointRecord, NewEndpoint, WebhookStore } from '../domain';

/** PostgreSQL channel the fan-out trigger notifies (on commit) when it queued deliveries. */
export const DELIVERIES_CHANNEL = 'webhook_deliveries';

const ENDPOINT_COLUMNS = `id, owner, key_id, url, events, description, disabled, floor(extract(epoch from created_at))::float8 AS created_at`;

function toEndpoint(row: Row): EndpointRecord {
  return {
    id: row.id as string,
    owner: row.owner as string,
    keyId: (row.key_id as string | null) ?? null,
    url: row.url as string,
    events: (row.events as string[] | null) ?? null,
    description: (row.description as string | null) ?? null,
    disabled: row.disabled as boolean,
    createdAt: row.created_at as number,
  };
}

const epoch = (column: string, as = column) => `floor(extract(epoch from ${column}))::float8 AS ${as}`;
const DELIVERY_COLUMNS = `d.id::float8 AS id, d.endpoint_id, d.meeting_id, d.seq::float8 AS seq, d.event_type, d.data->>'meeting_id' AS room_id,
  d.status, d.attempts, d.last_status_code, d.last_error, d.last_duration_ms,
  ${epoch('d.last_attempt_at', 'last_attempt_at')}, ${epoch('d.next_attempt_at', 'next_attempt_at')},
  ${epoch('d.delivered_at', 'delivered_at')}, ${epoch('d.created_at', 'created_at')}`;

function toDelivery(row: Row): DeliveryRecord {
  return {
    id: row.id as number,
    endpointId: row.endpoint_id as string,
    meetingInstance: row.meeting_id as number,
    seq: row.seq as number,
    eventType: row.event_type as string,
    roomId: row.room_id as string,
    status: row.status as DeliveryRecord['status'],
    attempts: row.attempts as number,
    lastStatusCode: (row.last_status_code as number | null) ?? null,
    lastError: (row.last_error as string | null) ?? null,
    lastDurationMs: (row.last_duration_ms as number | null) ?? null,
    lastAttemptAt: (row.last_attempt_at as number | null) ?? null,
    nextAttemptAt: (row.next_attempt_at as number | null) ?? null,
    deliveredAt: (row.delivered_at as number | null) ?? null,
    createdAt: row.created_at as number,
  };
}

/** The webhook store on one database (either driver). */
export function createWebhookStore(db: Queryable): WebhookStore {
  return {
    async insertEndpoint(e: NewEndpoint) {
      const { rows } = await db.query<Row>(
        `INSERT INTO webhook_endpoints (id, owner, key_id, url, events, description, secret)
         VALUES ($1, $2, $3, $4, $5::text[], $6, $7) RETURNING ${ENDPOINT_COLUMNS}`,
        [e.id, e.owner, e.keyId, e.url, e.events, e.description, e.secret],
      );
      return toEndpoint(rows[0]!);
    },

    async listEndpoints(keyId) {
      const { rows } = await db.query<Row>(
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE ($1::text IS NULL OR key_id = $1) ORDER BY created_at, id`,
        [keyId],
      );
      return rows.map(toEndpoint);
    },

    async findEndpoint(id, keyId) {
      const { rows } = await db.query<Row>(
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND ($2::text IS NULL OR key_id = $2)`,
        [id, keyId],
      );
      return rows[0] ? toEndpoint(rows[0]) : null;
    },

    async updateEndpoint(id, keyId, change) {
      const { rows } = await db.query<Row>(
        `UPDATE webhook_endpoints SET
           url = CASE WHEN $3 THEN $4 ELSE url END,
           events = CASE WHEN $5 THEN $6::text[] ELSE events END,
           disabled = COALESCE($7, disabled),
           updated_at = now()
         WHERE id = $1 AND ($2::text IS NULL OR key_id = $2)
         RETURNING ${ENDPOINT_COLUMNS}`,
        [id, keyId, change.url !== undefined, change.url ?? null, change.events !== undefined, change.events ?? null, change.disabled ?? null],
      );
      return rows[0] ? toEndpoint(rows[0]) : null;
    },

    async deleteEndpoint(id, keyId) {
      const { rowCount } = await db.query(`DELETE FROM webhook_endpoints WHERE id = $1 AND ($2::text IS NULL OR key_id = $2)`, [id, keyId]);
      return rowCount > 0;
    },

    async listDeliveries(endpointId, after, limit) {
      const { rows } = await db.query<Row>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.endpoint_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3`,
        [endpointId, after, limit],
      );
      return rows.map(toDelivery);
    },

    async retryDelivery(endpointId, deliveryId) {
      // Pending again and due now; the give-up clock starts over. `attempts` keeps counting, so an
      // attempt still in flight cannot record its outcome over the new one. An attempt in flight
      // (pending, its lease running) is left alone: clearing its lease would let another claim
      // send the same event again while the first is still on its way.
      const { rows } = await db.query<Row>(
        `UPDATE webhook_deliveries d SET status = 'pending',
           next_attempt_at = CASE WHEN ${IN_FLIGHT} THEN d.next_attempt_at ELSE now() END,
           locked_until = CASE WHEN ${IN_FLIGHT} THEN d.locked_until END,
           first_attempt_at = CASE WHEN ${IN_FLIGHT} THEN d.first_attempt_at END,
           delivered_at = NULL
         WHERE d.id = $1 AND d.endpoint_id = $2
         RETURNING ${DELIVERY_COLUMNS}`,
        [deliveryId, endpointId],
      );
      return rows[0] ? toDelivery(rows[0]) : null;
    },
  };
}

/** The row is an attempt in flight: pending, with a lease that has not run out. */
const IN_FLIGHT = `d.status = 'pending' AND d.locked_until IS NOT NULL AND d.locked_until > now()`;

/**
 * Claims due deliveries for this instance: each the earliest pending event of its meeting for
 * its endpoint (so a meeting's events go out one after the other, in order), at most
 * `perEndpoint` per endpoint minus what this instance already has in flight there, `limit` in
 * all. `FOR UPDATE SKIP LOCKED` plus the lease (`locked_until`) keep two instances from claiming
 * the same attempt; a lease that runs out (its instance died) makes the row claimable again.
 *
 * Only the head of each (endpoint, meeting) queue can be due, so the heads are found one index
 * step per queue (a loose index scan over the pending index), never by looking at every pending
 * row (24 ms a claim at 3,700 pending, which held delivery at a few dozen a second). Each endpoint
 * with pending work walks its queues in meeting order from just after `after[endpoint]` (the
 * last meeting this instance claimed there) and stops as soon as it has as many due heads as it
 * has room for: a claim costs what it takes plus the heads in flight it passes, not a walk of
 * every queue (a walk of all 200 queues of a bench, 2–5 ms, to take the one slot a finished
 * attempt freed, kept PostgreSQL a quarter busy with claims alone). Walking on from where the
 * last claim stopped serves an endpoint's meetings in turn, so a busy meeting cannot hold the
 * others back; the caller starts a walk over from the first meeting once one reaches the end.
 *
 * The chosen heads are then locked each by its primary key (a lateral lookup: no statistics can
 * turn it into a scan of the pending rows) and checked again as they are now, and updated by
 * their place in the table (`ctid`, theirs while this statement holds their lock: joined by
 * `id`, an outbox analysed while nearly empty was planned as a walk of the whole table).
 */
export async function claimDeliveries(
  db: Pick<Database, 'transaction'>,
  opts: { limit: number; perEndpoint: number; inFlight: Record<string, number>; after: Record<string, number>; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  const rows = await db.transaction(async (tx) => {
    // The claim must walk the pending index whatever the statistics say. The outbox is
    // analysed while it is nearly empty (or nearly all delivered) and fills in a burst faster
    // than autovacuum notices: planned as empty, each step of the walk became a scan of the
    // whole table (200 ms a claim at 6,000 rows, and delivery fell to 80 a second).
    await tx.query('SET LOCAL enable_seqscan = off');
    return (await tx.query<Row>(
      `WITH RECURSIVE endpoints AS (
         (SELECT endpoint_id FROM webhook_deliveries WHERE status = 'pending' ORDER BY endpoint_id LIMIT 1)
         UNION ALL
         SELECT n.endpoint_id FROM endpoints e
         CROSS JOIN LATERAL (
           SELECT endpoint_id FROM webhook_deliveries
           WHERE status = 'pending' AND endpoint_id > e.endpoint_id
           ORDER BY endpoint_id LIMIT 1
         ) n
       ), room AS (
         SELECT endpoint_id, $2::int - COALESCE(($3::jsonb ->> endpoint_id)::int, 0) AS free,
           COALESCE(($4::jsonb ->> endpoint_id)::int, 0) AS after
         FROM endpoints
       ), chosen AS (
         SELECT c.id FROM room r
         CROSS JOIN LATERAL (
           WITH RECURSIVE heads AS (
             (SELECT id, meeting_id, next_attempt_at, locked_until FROM webhook_deliveries
              WHERE status = 'pending' AND endpoint_id = r.endpoint_id AND meeting_id > r.after
              ORDER BY meeting_id, seq LIMIT 1)
             UNION ALL
             SELECT n.id, n.meeting_id, n.next_attempt_at, n.locked_until FROM heads h
             CROSS JOIN LATERAL (
               SELECT id, meeting_id, next_attempt_at, locked_until FROM webhook_deliveries
               WHERE status = 'pending' AND endpoint_id = r.endpoint_id AND meeting_id > h.meeting_id
               ORDER BY meeting_id, seq LIMIT 1
             ) n
           )
           SELECT id, next_attempt_at FROM heads
           WHERE next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
           LIMIT r.free
         ) c
         WHERE r.free > 0
         ORDER BY c.next_attempt_at, c.id
         LIMIT $1
       ), locked AS (
         -- Each chosen head is locked by its primary key, and checked again as it is now: another
         -- instance may have claimed or answered it since this statement's snapshot.
         SELECT l.ctid FROM chosen c
         CROSS JOIN LATERAL (
           SELECT d.ctid FROM webhook_deliveries d
           WHERE d.id = c.id AND d.status = 'pending' AND d.next_attempt_at <= now()
             AND (d.locked_until IS NULL OR d.locked_until <= now())
           FOR UPDATE SKIP LOCKED
         ) l
       )
       UPDATE webhook_deliveries d
       SET locked_until = now() + make_interval(secs => $5::float8), attempts = d.attempts + 1,
           first_attempt_at = COALESCE(d.first_attempt_at, now()), last_attempt_at = now()
       FROM locked, webhook_endpoints w
       WHERE d.ctid = locked.ctid AND w.id = d.endpoint_id
       RETURNING d.id::float8 AS id, d.endpoint_id, d.meeting_id, d.seq::float8 AS seq, d.event_type, d.data,
         floor(extract(epoch from d.occurred_at))::float8 AS occurred_at, d.attempts,
         extract(epoch from d.first_attempt_at)::float8 * 1000 AS first_attempt_ms, w.url, w.secret, w.disabled`,
      [opts.limit, opts.perEndpoint, JSON.stringify(opts.inFlight), JSON.stringify(opts.after), opts.leaseMs / 1000],
      'webhook-claim',
    )).rows;
  });
  return rows.map((row) => ({
    id: row.id as number,
    endpointId: row.endpoint_id as string,
    meetingInstance: row.meeting_id as number,
    seq: row.seq as number,
    eventType: row.event_type as string,
    data: row.data as Record<string, unknown>,
    occurredAt: row.occurred_at as number,
    attempt: row.attempts as number,
    firstAttemptMs: row.first_attempt_ms as number,
    url: row.url as string,
    secret: row.secret as string,
    disabled: row.disabled as boolean,
  }));
}

/** One attempt's outcome, to be recorded. */
export interface OutcomeRecord {
  claimed: Pick<ClaimedDelivery, 'id' | 'attempt'>;
  outcome: DeliveryOutcome;
}

/**
 * Records how attempts went, each only if this instance still holds it (`attempts` unchanged:
 * nobody re-claimed it after a lease ran out), in one statement; answers, per record, whether
 * it was taken. Each row is found by its primary key (a lateral lookup, whatever the outbox's
 * statistics say) and updated by its place in the table, as the claim does. A row changed by
 * another transaction that commits while this statement runs (a manual retry of an attempt in
 * flight) is not taken: its outcome counts as not recorded and the attempt is sent again after
 * its lease, as for an instance that stopped mid-attempt (at least once, never lost).
 */
export async function recordOutcomes(db: Queryable, records: readonly OutcomeRecord[]): Promise<boolean[]> {
  const { rows } = await db.query<{ id: number; attempts: number }>(
    `WITH o AS (
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::float8[], $5::int[], $6::text[], $7::int[])
         AS o(id, attempt, status, retry_secs, status_code, error, duration_ms)
     ), held AS (
       SELECT d.ctid, o.* FROM o
       CROSS JOIN LATERAL (SELECT ctid FROM webhook_deliveries WHERE id = o.id AND attempts = o.attempt FOR UPDATE) d
     )
     UPDATE webhook_deliveries d SET
       status = h.status, locked_until = NULL,
       next_attempt_at = CASE WHEN h.status = 'pending' THEN now() + make_interval(secs => h.retry_secs) ELSE d.next_attempt_at END,
       delivered_at = CASE WHEN h.status = 'delivered' THEN now() ELSE d.delivered_at END,
       last_status_code = h.status_code, last_error = h.error, last_duration_ms = h.duration_ms
     FROM held h
     WHERE d.ctid = h.ctid AND d.attempts = h.attempt
     RETURNING d.id::float8 AS id, d.attempts`,
    [
      records.map((r) => r.claimed.id),
      records.map((r) => r.claimed.attempt),
      records.map((r) => r.outcome.status),
      records.map((r) => (r.outcome.retryInMs ?? 0) / 1000),
      records.map((r) => r.outcome.statusCode),
      records.map((r) => r.outcome.error?.slice(0, 512) ?? null),
      records.map((r) => r.outcome.durationMs),
    ],
    'webhook-outcomes',
  );
  // By id and attempt: one batch can hold a late outcome of an attempt and that of the attempt
  // that claimed the same row again after its lease ran out; only the latter is taken.
  const taken = new Set(rows.map((r) => `${r.id}:${r.attempts}`));
  return records.map((r) => taken.has(`${r.claimed.id}:${r.claimed.attempt}`));
}

/** Deliveries still to be answered, and the commit time of the oldest (for the lag gauge). */
export async function pendingStats(db: Queryable): Promise<{ pending: number; oldestSecs: number }> {
  const { rows } = await db.query<{ pending: number; oldest: number | null }>(
    `SELECT count(*)::float8 AS pending, extract(epoch from now() - min(occurred_at))::float8 AS oldest
     FROM webhook_deliveries WHERE status = 'pending'`,
  );
  return { pending: rows[0]?.pending ?? 0, oldestSecs: rows[0]?.oldest ?? 0 };
}

/** Drops answered and abandoned deliveries older than `olderThanSecs`; returns how many. */
export async function deleteOldDeliveries(db: Queryable, olderThanSecs: number, batch = 10_000): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_deliveries WHERE id IN (
       SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND created_at < now() - make_interval(secs => $1) LIMIT $2
     )`,
    [olderThanSecs, batch],
  );
  return rowCount;
}
