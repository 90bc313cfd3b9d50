import type { MeetingLevelEventType, ParticipantEventType } from 'meeting-types';
import type { MeetingRef, NewMeetingEvent, ParticipantRecord } from './records';
import { eventMeetingView, participantView } from './views';

/** A `meeting.*` event; `meeting.deleted` carries nothing beside the common fields. */
export function meetingEvent(type: MeetingLevelEventType, actor: string | null, meeting: MeetingRef): NewMeetingEvent {
  return { type, actor, subject: null, payload: type === 'meeting.deleted' ? {} : { meeting: eventMeetingView(meeting) } };
}

/** A `participant.*` event: the participant as everyone may see it (never a room token). */
export function participantEvent(type: ParticipantEventType, actor: string | null, participant: ParticipantRecord): NewMeetingEvent {
  return { type, actor, subject: participant.email, payload: { participant: participantView(participant) } };
}
