import type { AuditPage } from 'meeting-types';
import { errors } from '../domain/errors';
import { parseMeetingId } from '../domain/meeting-id';

/** Who reads an audit trail. */
export interface AuditReaderIdentity {
  identity: string;
  admin: boolean;
  /** Set when the caller is an API key. */
  keyId: string | null;
}

export interface AuditInstance {
  /** meetings.id of that creation. */
  meetingId: number;
  /** 1 for the first creation of the meeting id, 2 for the next, … */
  instance: number;
}

export interface AuditRecord {
  instance: number;
  seq: number;
  type: string;
  actor: string | null;
  payload: Record<string, unknown>;
  occurredAt: number;
}

export interface AuditReader {
  /**
   * The creations of `roomId` this reader may see: admins all of them; a key those it created;
   * anyone else those in which they were the owner, a host or a co-host.
   */
  readableInstances(roomId: string, reader: AuditReaderIdentity): Promise<AuditInstance[]>;
  /** Events of these instances after the cursor, ordered by instance then seq. */
  listEvents(instances: AuditInstance[], after: { instance: number; seq: number }, limit: number): Promise<AuditRecord[]>;
}

/** The cursor is `<instance>.<seq>` of the last event of the previous page. */
function parseCursor(raw: string | undefined): { instance: number; seq: number } {
  if (raw === undefined || raw === '') return { instance: 0, seq: 0 };
  const match = /^(\d{1,9})\.(\d{1,15})$/.exec(raw);
  if (!match) throw errors.invalidRequest('after must be the next_after of a previous page');
  return { instance: Number(match[1]), seq: Number(match[2]) };
}

/** The meeting's events across every creation of its id, as the stream shows them plus actor, time and instance. */
export async function readAudit(
  reader: AuditReader,
  who: AuditReaderIdentity,
  rawId: string,
  query: { after?: string; limit?: number },
): Promise<AuditPage> {
  const roomId = parseMeetingId(rawId);
  const after = parseCursor(query.after);
  const limit = query.limit ?? 100;
  const instances = await reader.readableInstances(roomId, who);
  if (instances.length === 0) throw errors.meetingNotFound(roomId);
  const rows = await reader.listEvents(instances, after, limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    events: page.map((e) => ({
      seq: e.seq,
      type: e.type,
      meeting_id: roomId,
      occurred_at: e.occurredAt,
      actor: e.actor,
      ...e.payload,
      instance: e.instance,
    })),
    next_after: rows.length > limit && last ? `${last.instance}.${last.seq}` : null,
  };
}
