import type { JoinLinkRole, ParticipantRole } from 'meeting-types';
import type { Queryable } from '../../db/database';
import type { OwnedMeetingsPage } from '../../domain/records';
import { meetingSummaryColumns, participantColumns, toMeetingSummary, toParticipant, type ParticipantRecord, type Row } from '../../db/rows';

/** SQL for `api_keys`, `join_links`, and the meetings and sessions they reach. Times are Unix seconds here. */

export interface ApiKeyRecord {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

const KEY_COLUMNS = `id, name, extract(epoch FROM created_at)::bigint AS created_at, extract(epoch FROM last_used_at)::bigint AS last_used_at`;

function toKey(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
  };
}

export async function insertApiKey(
  db: Queryable,
  key: { id: string; name: string; secretHash: string; createdBy: string | null },
): Promise<ApiKeyRecord> {
  const { rows } = await db.query<Row>(
    `INSERT INTO api_keys (id, name, secret_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING ${KEY_COLUMNS}`,
    [key.id, key.name, key.secretHash, key.createdBy],
  );
  return toKey(rows[0]!);
}

/** Keys not revoked, oldest first. */
export async function listApiKeys(db: Queryable): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<Row>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id`);
  return rows.map(toKey);
}

/** Idempotent: the first revocation time stays. */
export async function revokeApiKey(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
}

/** The live key whose secret hashes to `secretHash`, else null. */
export async function findLiveApiKey(db: Queryable, secretHash: string): Promise<ApiKeyRecord | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL`,
    [secretHash],
    'find-live-api-key',
  );
  return rows[0] ? toKey(rows[0]) : null;
}

/** `last_used_at` moves at most once per `throttleSecs` (one cheap guarded update). */
export async function touchApiKey(db: Queryable, id: string, throttleSecs: number): Promise<void> {
  await db.query(
    `UPDATE api_keys SET last_used_at = now()
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
    [id, throttleSecs],
    'touch-api-key',
  );
}

/** What scoping needs to know of a live meeting: its instance, owner and creating key. */
export interface MeetingScope {
  id: number;
  creatorId: string;
  createdByKeyId: string | null;
}

export async function findMeetingScope(db: Queryable, roomId: string): Promise<MeetingScope | null> {
  const { rows } = await db.query<Row>(
    'SELECT id, creator_id, created_by_key_id FROM meetings WHERE room_id = $1 AND deleted_at IS NULL',
    [roomId],
    'find-meeting-scope',
  );
  const row = rows[0];
  return row ? { id: row.id as number, creatorId: row.creator_id as string, createdByKeyId: (row.created_by_key_id as string | null) ?? null } : null;
}

/** The meetings a key created (live), newest first, as the owner's list shows them. */
export async function listKeyMeetings(db: Queryable, keyId: string, limit: number, offset: number): Promise<OwnedMeetingsPage> {
  const { rows } = await db.query<Row>(
    `SELECT t.total, page.*
     FROM (SELECT count(*)::int AS total FROM meetings WHERE created_by_key_id = $1 AND deleted_at IS NULL) t
     LEFT JOIN LATERAL (
       SELECT ${meetingSummaryColumns('m')}
       FROM meetings m
       WHERE m.created_by_key_id = $1 AND m.deleted_at IS NULL
       ORDER BY m.created_at DESC, m.id DESC
       LIMIT $2 OFFSET $3
     ) page ON true`,
    [keyId, limit, offset],
    'list-key-meetings',
  );
  const total = (rows[0]?.total as number | undefined) ?? 0;
  return { total, meetings: rows.filter((row) => row.room_id != null).map(toMeetingSummary) };
}

export interface JoinLinkRecord {
  id: string;
  meetingId: number;
  identity: string;
  displayName: string;
  role: JoinLinkRole;
  skipWaitingRoom: boolean;
  expiresAt: number;
  revoked: boolean;
}

const LINK_COLUMNS = `id, meeting_id, identity, display_name, role, skip_waiting_room,
  extract(epoch FROM expires_at)::bigint AS expires_at, revoked_at IS NOT NULL AS revoked`;

function toLink(row: Row): JoinLinkRecord {
  return {
    id: row.id as string,
    meetingId: row.meeting_id as number,
    identity: row.identity as string,
    displayName: row.display_name as string,
    role: row.role as JoinLinkRole,
    skipWaitingRoom: row.skip_waiting_room as boolean,
    expiresAt: Number(row.expires_at),
    revoked: row.revoked as boolean,
  };
}

export async function insertJoinLink(
  db: Queryable,
  link: Omit<JoinLinkRecord, 'revoked'> & { createdBy: string },
): Promise<JoinLinkRecord> {
  const { rows } = await db.query<Row>(
    `INSERT INTO join_links (id, meeting_id, identity, display_name, role, skip_waiting_room, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8)) RETURNING ${LINK_COLUMNS}`,
    [link.id, link.meetingId, link.identity, link.displayName, link.role, link.skipWaitingRoom, link.createdBy, link.expiresAt],
  );
  return toLink(rows[0]!);
}

export async function findJoinLink(db: Queryable, id: string): Promise<JoinLinkRecord | null> {
  const { rows } = await db.query<Row>(`SELECT ${LINK_COLUMNS} FROM join_links WHERE id = $1`, [id], 'find-join-link');
  return rows[0] ? toLink(rows[0]) : null;
}

/** Revokes the link of that meeting instance and every session redeemed from it; false when no such link. */
export async function revokeJoinLink(tx: Queryable, meetingId: number, id: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    'UPDATE join_links SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND meeting_id = $2',
    [id, meetingId],
  );
  if (rowCount === 0) return false;
  await tx.query('UPDATE sessions SET revoked_at = now() WHERE link_id = $1 AND revoked_at IS NULL', [id]);
  return true;
}

/** Session ids redeemed from a link (to revoke them on this instance at once). */
export async function listLinkSessions(db: Queryable, linkId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM sessions WHERE link_id = $1', [linkId]);
  return rows.map((r) => r.id);
}

const PARTICIPANT = participantColumns('p');

/** Whoever holds the host role while admitted, if anyone. */
export async function findAdmittedHost(tx: Queryable, meetingId: number): Promise<ParticipantRecord | null> {
  const { rows } = await tx.query<Row>(
    `SELECT ${PARTICIPANT} FROM meeting_participants p WHERE p.meeting_id = $1 AND p.role = 'host' AND p.status = 'admitted'`,
    [meetingId],
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/** A host role still held by someone no longer admitted is given up (at most one host per meeting). */
export async function releaseIdleHostRole(tx: Queryable, meetingId: number): Promise<void> {
  await tx.query(
    `UPDATE meeting_participants SET role = 'attendee', is_host = false, updated_at = now()
     WHERE meeting_id = $1 AND role = 'host' AND status <> 'admitted'`,
    [meetingId],
  );
}

/** The meeting becomes active (a link's host arrives); true when it was not active before. */
export async function activateMeeting(tx: Queryable, meetingId: number): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE meetings SET state = 'active', started_at = now(), ended_at = NULL, updated_at = now()
     WHERE id = $1 AND state <> 'active' AND deleted_at IS NULL`,
    [meetingId],
  );
  return rowCount > 0;
}

/** Admits `email` at once with `role` (a link's host or co-host); a banned row is never admitted (null). */
export async function admitWithRole(
  tx: Queryable,
  meetingId: number,
  email: string,
  displayName: string,
  role: ParticipantRole,
): Promise<ParticipantRecord | null> {
  const { rows } = await tx.query<Row>(
    `INSERT INTO meeting_participants AS p (meeting_id, email, display_name, status, is_host, role, admitted_at)
     VALUES ($1, $2, $3, 'admitted', $4::text = 'host', $4::text, now())
     ON CONFLICT (meeting_id, email) DO UPDATE SET
       status = 'admitted',
       role = $4::text,
       is_host = $4::text = 'host',
       display_name = EXCLUDED.display_name,
       joined_at = CASE WHEN p.status = 'admitted' THEN p.joined_at ELSE now() END,
       admitted_at = CASE WHEN p.status = 'admitted' THEN p.admitted_at ELSE now() END,
       left_at = NULL,
       updated_at = now()
     WHERE NOT p.banned
     RETURNING ${PARTICIPANT}`,
    [meetingId, email, displayName, role],
  );
  return rows[0] ? toParticipant(rows[0]) : null;
}

/** The `ApiKeyStore` the domain asks for, on this database. */
export function createApiKeyStore(db: Queryable) {
  return {
    insert: (key: { id: string; name: string; secretHash: string; createdBy: string | null }) => insertApiKey(db, key),
    list: () => listApiKeys(db),
    revoke: (id: string) => revokeApiKey(db, id),
    findLive: (secretHash: string) => findLiveApiKey(db, secretHash),
    touch: (id: string, throttleSecs: number) => touchApiKey(db, id, throttleSecs),
  };
}
