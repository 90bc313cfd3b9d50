import type {
  AdmitPolicy,
  EventMeeting,
  MeetingEventType,
  MeetingState,
  ParticipantRole,
  ParticipantStatus,
  ParticipantStatusResponse,
} from 'meeting-types';
import type { Database } from '../db/database';
import * as eventsRepo from '../db/events-repo';
import type { StoredMeetingEvent } from '../db/events-repo';
import * as meetingsRepo from '../db/meetings-repo';
import { errors } from './errors';
import { parseMeetingId } from './meeting-id';
import { mayManageWaitingRoom, mayReceiveToken } from './meeting-state';
import { tokenFor } from './participation';
import type { TokenSigner } from './token-signer';

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
  const actor = { status: viewer.status, role: viewer.role ?? (viewer.status === null ? null : 'attendee'), isOwner: viewer.isOwner ?? false };
  return mayManageWaitingRoom(actor, viewer.admitPolicy ?? 'any_admitted') && SEEN_BY_MANAGERS.has(event.type);
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
  /** Renders a batch into SSE frames; `end` once the stream must close after them. */
  render(events: StoredMeetingEvent[]): { frames: string; end: boolean };
}

/**
 * Checks who may subscribe (owner or anyone with a participant row) and where the
 * stream starts: after `resumeAfter` (Last-Event-ID / ?after=) or after "now".
 */
export async function openEventStream(
  deps: { db: Database; signer: TokenSigner },
  caller: string,
  rawId: string,
  resumeAfter: number | undefined,
): Promise<StreamStart> {
  const roomId = parseMeetingId(rawId);
  const snap = await meetingsRepo.findMeetingWithCaller(deps.db, roomId, caller);
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
    viewer.status = (await eventsRepo.subjectStatusAt(deps.db, meetingId, caller, resumeAfter)).status as ParticipantStatus | null;
    ownLastSeq = (await eventsRepo.subjectStatusAt(deps.db, meetingId, caller, snapSeq)).seq;
  }
  // A token is minted for the subscriber's own admission only while it is still true:
  // for a replayed one, if nothing about them changed since and the meeting is active now.
  const mayMintReplayed = snap.caller !== null && mayReceiveToken(snap.caller.status, snap.meeting.state);
  let liveMeetingState: MeetingState = snap.meeting.state;

  const render = (events: StoredMeetingEvent[]) => {
    let frames = '';
    let end = false;
    for (const event of events) {
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
      let payload = event.payload;
      if (event.type === 'participant.admitted' && event.subject === caller && participant) {
        const live = event.seq > snapSeq;
        const mint = live ? liveMeetingState === 'active' : mayMintReplayed && event.seq === ownLastSeq;
        if (mint) {
          const record = {
            email: participant.email,
            displayName: participant.display_name,
            status: participant.status,
            isHost: participant.is_host,
            role: participant.role,
            banned: participant.banned,
            joinedAt: participant.joined_at,
            admittedAt: participant.admitted_at,
            connected: participant.connected ?? false,
          };
          const token = tokenFor(deps.signer, roomId, record, { meetingId, seq: live ? event.seq : snapSeq });
          payload = { ...payload, participant: { ...participant, room_token: token } };
        }
      }
      frames += payload === event.payload ? sharedFrame(event, roomId) : frameOf(event, roomId, payload);
      if (endsStream(viewer, event)) {
        end = true;
        break;
      }
    }
    return { frames, end };
  };
  return { meetingId, roomId, afterSeq, render };
}

function frameOf(event: StoredMeetingEvent, roomId: string, payload: object): string {
  const data = JSON.stringify({
    seq: event.seq,
    type: event.type,
    meeting_id: roomId,
    occurred_at: event.occurredAt,
    actor: event.actor,
    ...payload,
  });
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${data}\n\n`;
}

/**
 * The frame of an event as everyone allowed to see it gets it (no token in it): rendered once
 * per event object and shared by every stream the hub hands that object to. After an admit-all
 * of 1,000 people, each of the 1,000 streams is sent the others' admissions: without this the
 * same frames were serialised up to a million times.
 */
const sharedFrames = new WeakMap<StoredMeetingEvent, { roomId: string; frame: string }>();

function sharedFrame(event: StoredMeetingEvent, roomId: string): string {
  const cached = sharedFrames.get(event);
  if (cached?.roomId === roomId) return cached.frame;
  const frame = frameOf(event, roomId, event.payload as object);
  sharedFrames.set(event, { roomId, frame });
  return frame;
}
