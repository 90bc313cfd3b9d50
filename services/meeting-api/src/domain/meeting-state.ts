import type { ErrorCode, MeetingState, ParticipantStatus } from 'meeting-types';

/**
 * The meeting and participant lifecycle as pure tables. The repositories derive
 * their `WHERE status = ANY(...)` guards and CASE expressions from these tables,
 * so the rules live here once.
 */

export type ParticipantEvent = 'join' | 'host-join' | 'admit' | 'reject' | 'leave';
export type MeetingEvent = 'host-join' | 'attendee-join' | 'end';

type Outcome<S> = { ok: true; next: S } | { ok: false; error: ErrorCode };

/** `null` = no row yet. A missing entry means the event is refused from that status. */
export const PARTICIPANT_TRANSITIONS: Record<ParticipantEvent, Partial<Record<ParticipantStatus | 'none', ParticipantStatus>>> = {
  // An admitted attendee who joins again stays admitted (a page reload must not throw anyone out).
  join: { none: 'waiting', waiting: 'waiting', admitted: 'admitted', rejected: 'waiting', left: 'waiting' },
  'host-join': { none: 'admitted', waiting: 'admitted', admitted: 'admitted', rejected: 'admitted', left: 'admitted' },
  admit: { waiting: 'admitted' },
  reject: { waiting: 'rejected' },
  leave: { admitted: 'left', waiting: 'left' },
};

const PARTICIPANT_REFUSAL: Record<ParticipantEvent, ErrorCode> = {
  join: 'INVALID_REQUEST',
  'host-join': 'INVALID_REQUEST',
  admit: 'PARTICIPANT_NOT_FOUND',
  reject: 'PARTICIPANT_NOT_FOUND',
  leave: 'NOT_IN_MEETING',
};

export function participantTransition(current: ParticipantStatus | null, event: ParticipantEvent): Outcome<ParticipantStatus> {
  const next = PARTICIPANT_TRANSITIONS[event][current ?? 'none'];
  return next === undefined ? { ok: false, error: PARTICIPANT_REFUSAL[event] } : { ok: true, next };
}

/** The existing statuses from which `event` is allowed (for SQL guards). */
export function statusesAllowing(event: ParticipantEvent): ParticipantStatus[] {
  return (Object.keys(PARTICIPANT_TRANSITIONS[event]) as (ParticipantStatus | 'none')[]).filter(
    (status): status is ParticipantStatus => status !== 'none',
  );
}

export const MEETING_TRANSITIONS: Record<MeetingEvent, Partial<Record<MeetingState, MeetingState>>> = {
  // The host joining an idle or ended meeting (re)activates it; joining an active one is idempotent.
  'host-join': { idle: 'active', active: 'active', ended: 'active' },
  // Attendees can only enter a meeting whose host is there.
  'attendee-join': { active: 'active' },
  end: { active: 'ended' },
};

const MEETING_REFUSAL: Record<MeetingEvent, ErrorCode> = {
  'host-join': 'INVALID_REQUEST',
  'attendee-join': 'MEETING_NOT_ACTIVE',
  end: 'MEETING_NOT_ACTIVE',
};

export function meetingTransition(current: MeetingState, event: MeetingEvent): Outcome<MeetingState> {
  const next = MEETING_TRANSITIONS[event][current];
  return next === undefined ? { ok: false, error: MEETING_REFUSAL[event] } : { ok: true, next };
}

/** The meeting ends when the host leaves, or when nobody admitted remains. */
export function meetingEndsAfterLeave(leaverIsHost: boolean, admittedRemaining: number): boolean {
  return leaverIsHost || admittedRemaining === 0;
}

/** A room token is minted only for an admitted participant of an active meeting. */
export function mayReceiveToken(status: ParticipantStatus, meetingState: MeetingState): boolean {
  return status === 'admitted' && meetingState === 'active';
}

/** Who may list the waiting room, admit, reject and admit-all: any admitted participant. */
export function mayManageWaitingRoom(callerStatus: ParticipantStatus | null): boolean {
  return callerStatus === 'admitted';
}
