import type { ApiError } from './errors';
import { errors } from './errors';
import { parseMeetingId } from './meeting-id';
import type { Actor } from './meeting-state';
import type { MeetingStore, MeetingTx } from './ports';
import type { LiveMeeting, MeetingRef, NewMeetingEvent, ParticipantRecord } from './records';

/** Where in which meeting instance's log a token is minted (its `mid` and `esq` claims). */
export interface LogPosition {
  meetingId: number;
  seq: number;
}

/** Appends and returns the log position after it (unchanged when there is nothing to append). */
export async function appendAndPosition(tx: MeetingTx, meetingId: number, seqBefore: number, events: readonly NewMeetingEvent[]): Promise<LogPosition> {
  const seqs = await tx.appendEvents(meetingId, events);
  return { meetingId, seq: seqs.length > 0 ? seqs[seqs.length - 1]! : seqBefore };
}

export function actorOf(meeting: { creatorId: string }, caller: string, row: ParticipantRecord | null): Actor {
  return { status: row?.status ?? null, role: row?.role ?? null, isOwner: meeting.creatorId === caller };
}

/** Who may run a command on a meeting, and the error everyone else gets. */
export interface Permission {
  allows(actor: Actor, meeting: MeetingRef): boolean;
  refusal(roomId: string): ApiError;
}

/** What a command sees once the meeting row is locked and the caller authorized. */
export interface Locked {
  tx: MeetingTx;
  roomId: string;
  meeting: LiveMeeting;
  /** The caller's own row as read under the lock (`null` when the command needs no permission). */
  me: ParticipantRecord | null;
}

/**
 * What a command did: the events to append, and its answer, given directly or read after the
 * append (`reply`, with the log position reached, for a token or a row read back).
 */
export type Outcome<T> =
  | { events: readonly NewMeetingEvent[]; result: T }
  | { events: readonly NewMeetingEvent[]; reply: (at: LogPosition) => T | Promise<T> };

/**
 * Runs one command on a meeting, the way every locked command runs: the id is parsed once,
 * `prepare` (slow work such as hashing) runs before the transaction so no lock is held meanwhile,
 * then, in one transaction, the meeting row is locked (404 when there is none), the caller's row
 * read and `permission` checked, `command` writes, and its events are appended. The row lock
 * makes every check hold until the commit, so racing commands of one meeting see each other.
 * `permission` null: anyone may (the command checks what it needs), and no caller row is read.
 */
export async function runLocked<T, P = undefined>(
  store: MeetingStore,
  caller: string,
  rawId: string,
  permission: Permission | null,
  command: (locked: Locked, prepared: P) => Promise<Outcome<T>>,
  prepare?: () => Promise<P>,
): Promise<T> {
  const roomId = parseMeetingId(rawId);
  const prepared = prepare === undefined ? (undefined as P) : await prepare();
  return store.inTransaction(async (tx) => {
    const meeting = await tx.lockLiveMeeting(roomId);
    if (!meeting) throw errors.meetingNotFound(roomId);
    let me: ParticipantRecord | null = null;
    if (permission !== null) {
      me = await tx.findParticipant(meeting.id, caller);
      if (!permission.allows(actorOf(meeting, caller, me), meeting)) throw permission.refusal(roomId);
    }
    const outcome = await command({ tx, roomId, meeting, me }, prepared);
    if ('result' in outcome) {
      await tx.appendEvents(meeting.id, outcome.events);
      return outcome.result;
    }
    return outcome.reply(await appendAndPosition(tx, meeting.id, meeting.eventSeq, outcome.events));
  });
}
