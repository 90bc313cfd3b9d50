import type {
  AdmitPolicy,
  EventMeeting,
  MeetingEventType,
  MeetingState,
  ParticipantRole,
  ParticipantStatus,
  ParticipantStatusResponse,
} from 'meeting-types';
import type { MeetingWithCaller } from '../domain/records';
import { errors } from '../domain/errors';
import { parseMeetingId } from '../domain/meeting-id';
import { mayManageWaitingRoom, mayReceiveToken } from '../domain/meeting-state';
import { tokenFor } from '../domain/participation';
import type { TokenSigner } from '../domain/token-signer';
import { participantFromView } from '../domain/views';
import type { StoredMeetingEvent } from './db/events-repo';

/** What opening a stream reads (the storage behind it is `db/`'s; see `events/index.ts`). */
export interface StreamReads {
  /** The meeting and the caller's participant row, as of the meeting's last event seq. */
  meetingWithCaller(roomId: string, caller: string): Promise<MeetingWithCaller | null>;
  /** The subject's participant status just after event `atSeq`, and the seq of their last event up to it. */
  subjectStatusAt(meetingId: number, subject: string, atSeq: number): Promise<{ status: string | null; seq: number }>;
}

/** One event the viewer may see; `payload` set only where it differs from the event's own (their room token added). */
export interface VisibleEvent {
  event: StoredMeetingEvent;
  /** Its position in the batch handed to `select`. */
  at: number;
  payload?: object;
}

/** What a subscriber is, as far as seeing events goes; follows the subscriber's own events. */
export interface Viewer {
  email: string;
  status: ParticipantStatus | null;
  /** Their role (who manages the waiting room under `admit_policy: hosts`); `null` without a row. */
  role?: ParticipantRole | null;
  isOwner?: boolean;
  /** The meeting's admit policy; follows `meeting.*` events. */
  admitPolicy?: AdmitPolicy;
}

const SEEN_BY_ADMITTED = new Set<MeetingEventType>([
  'participant.admitted',
  'participant.left',
  'participant.removed',
  'participant.role_changed',
  'participant.connected',
  'participant.disconnected',
]);
const SEEN_BY_MANAGERS = new Set<MeetingEventType>(['participant.waiting', 'participant.rejected']);

/**
 * the live-events extension: everyone sees `meeting.*` and their own `participant.*`; admitted participants
 * also see others' admitted/left/removed/role_changed; those who may manage the
 * waiting room also see everyone's waiting/rejected.
 */
export function mayView(viewer: Viewer, event: Pick<StoredMeetingEvent, 'type' | 'subject'>): boolean {
  if (event.type.startsWith('meeting.')) return true;
  if (event.subject === viewer.email) return true;
  if (viewer.status === 'admitted' && SEEN_BY_ADMITTED.has(event.type)) return true;
  if (!SEEN_BY_MANAGERS.has(event.type)) return false;
  const actor = { status: viewer.status, role: viewer.role ?? (viewer.status === null ? null : 'attendee'), isOwner: viewer.isOwner ?? false };
  return mayManageWaitingRoom(actor, viewer.admitPolicy ?? 'any_admitted');
}

/** The stream closes after the subscriber's removal or ban, or the meeting's deletion. */
export function endsStream(viewer: Viewer, event: StoredMeetingEvent): boolean {
  if (event.type === 'meeting.deleted') return true;
  if (event.subject !== viewer.email) return false;
  if (event.type === 'participant.removed') return true;
  const participant = (event.payload as { participant?: { banned?: boolean } }).participant;
  return event.type === 'participant.rejected' && participant?.banned === true;
}

/**
 * The meeting ended: everyone admitted or waiting left it (in one statement, without an event
 * of their own), so the viewer sees from now on what someone who left sees, until their own
 * next event (a join in the next session) says otherwise.
 */
export function endViewerSession(viewer: Viewer): void {
  if (viewer.status === 'admitted' || viewer.status === 'waiting') viewer.status = 'left';
  if (viewer.role !== undefined && viewer.role !== null && viewer.role !== 'host') viewer.role = 'attendee';
}

export interface StreamStart {
  meetingId: number;
  roomId: string;
  /** Events after this seq are sent. */
  afterSeq: number;
  /**
   * What of `events[from, to)` the viewer sees, in order; `end` once the stream must close after
   * them. A batch may be selected in consecutive parts (the viewer follows the events it passes),
   * each part once, in order, before the next batch.
   */
  select(events: readonly StoredMeetingEvent[], from?: number, to?: number): { visible: VisibleEvent[]; end: boolean };
  /** Where `events` may be cut so that no frame after the cut carries the viewer's room token. */
  tokenCut(events: readonly StoredMeetingEvent[]): number;
}

/**
 * Checks who may subscribe (owner or anyone with a participant row) and where the
 * stream starts: after `resumeAfter` (Last-Event-ID / ?after=) or after "now".
 */
export async function openEventStream(
  deps: { reads: StreamReads; signer: TokenSigner },
  caller: string,
  rawId: string,
  resumeAfter: number | undefined,
): Promise<StreamStart> {
  const roomId = parseMeetingId(rawId);
  const snap = await deps.reads.meetingWithCaller(roomId, caller);
  if (!snap) throw errors.meetingNotFound(roomId);
  if (!snap.caller && snap.meeting.creatorId !== caller) throw errors.notInMeeting(roomId);
  // A banned person learns nothing more about the meeting.
  if (snap.caller?.banned === true && snap.meeting.creatorId !== caller) throw errors.participantBanned(roomId);
  const snapSeq = snap.meeting.eventSeq;
  if (resumeAfter !== undefined && resumeAfter > snapSeq) {
    throw errors.invalidRequest(`Last-Event-ID / after ${resumeAfter} is ahead of this meeting's log (last event ${snapSeq})`);
  }
  const afterSeq = resumeAfter ?? snapSeq;
  const meetingId = snap.meeting.id;

  // The viewer's status as of the resume point, then it follows their own events.
  // (On a resume, role and admit policy are taken as they are now; status as it was then.)
  const viewer: Viewer = {
    email: caller,
    status: snap.caller?.status ?? null,
    role: snap.caller?.role ?? null,
    isOwner: snap.meeting.creatorId === caller,
    admitPolicy: snap.meeting.settings.admitPolicy,
  };
  let ownLastSeq = 0;
  if (resumeAfter !== undefined && resumeAfter < snapSeq) {
    viewer.status = (await deps.reads.subjectStatusAt(meetingId, caller, resumeAfter)).status as ParticipantStatus | null;
    ownLastSeq = (await deps.reads.subjectStatusAt(meetingId, caller, snapSeq)).seq;
  }
  // A token is minted for the subscriber's own admission only while it is still true:
  // for a replayed one, if nothing about them changed since and the meeting is active now.
  const mayMintReplayed = snap.caller !== null && mayReceiveToken(snap.caller.status, snap.meeting.state);
  let liveMeetingState: MeetingState = snap.meeting.state;

  const select = (events: readonly StoredMeetingEvent[], from = 0, to = events.length) => {
    const visible: VisibleEvent[] = [];
    let end = false;
    for (let at = from; at < to; at++) {
      const event = events[at]!;
      if (event.seq > snapSeq) {
        if (event.type === 'meeting.activated') liveMeetingState = 'active';
        if (event.type === 'meeting.ended') liveMeetingState = 'ended';
      }
      const participant = (event.payload as { participant?: ParticipantStatusResponse }).participant;
      if (event.subject === caller && participant) {
        viewer.status = participant.status;
        viewer.role = participant.role;
      }
      if (event.type === 'meeting.ended') endViewerSession(viewer);
      const meeting = (event.payload as { meeting?: EventMeeting }).meeting;
      if (meeting?.admit_policy !== undefined) viewer.admitPolicy = meeting.admit_policy;
      if (!mayView(viewer, event)) continue;
      let payload: object | undefined;
      if (event.type === 'participant.admitted' && event.subject === caller && participant) {
        const live = event.seq > snapSeq;
        const mint = live ? liveMeetingState === 'active' : mayMintReplayed && event.seq === ownLastSeq;
        if (mint) {
          const token = tokenFor(deps.signer, roomId, participantFromView(participant), { meetingId, seq: live ? event.seq : snapSeq });
          payload = { ...(event.payload as object), participant: { ...participant, room_token: token } };
        }
      }
      visible.push(payload === undefined ? { event, at } : { event, at, payload });
      if (endsStream(viewer, event)) {
        end = true;
        break;
      }
    }
    return { visible, end };
  };
  // Only the viewer's own admission is ever given a token (in `select`).
  const tokenCut = (events: readonly StoredMeetingEvent[]) => events.findLastIndex((e) => e.subject === caller && e.type === 'participant.admitted') + 1;
  return { meetingId, roomId, afterSeq, select, tokenCut };
}
