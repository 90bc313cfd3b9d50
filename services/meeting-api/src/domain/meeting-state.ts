import type { ErrorCode, HostLeavePolicy, MeetingState, ParticipantRole, ParticipantStatus } from 'meeting-types';

/**
 * The meeting and participant lifecycle as pure tables. The repositories derive
 * their `WHERE status = ANY(...)` guards and CASE expressions from these tables,
 * so the rules live here once.
 */

export type ParticipantEvent =
  | 'join'
  | 'direct-join'
  | 'early-knock'
  | 'host-join'
  | 'admit'
  | 'reject'
  | 'leave'
  | 'remove'
  | 'end-for-all';
export type MeetingEvent = 'host-join' | 'attendee-join' | 'early-knock' | 'end' | 'end-for-all';

type Outcome<S> = { ok: true; next: S } | { ok: false; error: ErrorCode };

/** `null` = no row yet. A missing entry means the event is refused from that status. */
export const PARTICIPANT_TRANSITIONS: Record<ParticipantEvent, Partial<Record<ParticipantStatus | 'none', ParticipantStatus>>> = {
  // An admitted attendee who joins again stays admitted (a page reload must not throw anyone out).
  join: { none: 'waiting', waiting: 'waiting', admitted: 'admitted', rejected: 'waiting', left: 'waiting', removed: 'waiting' },
  // Waiting room off (and room left under `max_participants`): admitted at once.
  'direct-join': { none: 'admitted', waiting: 'admitted', admitted: 'admitted', rejected: 'admitted', left: 'admitted', removed: 'admitted' },
  // `early_knock` on, meeting idle or ended: everyone but the owner waits for the host (nobody stays admitted).
  'early-knock': { none: 'waiting', waiting: 'waiting', admitted: 'waiting', rejected: 'waiting', left: 'waiting', removed: 'waiting' },
  'host-join': { none: 'admitted', waiting: 'admitted', admitted: 'admitted', rejected: 'admitted', left: 'admitted', removed: 'admitted' },
  admit: { waiting: 'admitted' },
  reject: { waiting: 'rejected' },
  leave: { admitted: 'left', waiting: 'left' },
  remove: { admitted: 'removed', waiting: 'removed' },
  // `POST /end`: everyone still in the meeting or its waiting room is out.
  'end-for-all': { admitted: 'left', waiting: 'left' },
};

const PARTICIPANT_REFUSAL: Record<ParticipantEvent, ErrorCode> = {
  join: 'INVALID_REQUEST',
  'direct-join': 'INVALID_REQUEST',
  'early-knock': 'INVALID_REQUEST',
  'host-join': 'INVALID_REQUEST',
  admit: 'PARTICIPANT_NOT_FOUND',
  reject: 'PARTICIPANT_NOT_FOUND',
  leave: 'NOT_IN_MEETING',
  remove: 'PARTICIPANT_NOT_FOUND',
  'end-for-all': 'NOT_IN_MEETING',
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
  // `early_knock` on: attendees may knock before the host starts it (the meeting does not change).
  'early-knock': { idle: 'idle', ended: 'ended' },
  end: { active: 'ended' },
  // `POST /end` is idempotent: an ended meeting stays ended, an idle one was never started.
  'end-for-all': { active: 'ended', ended: 'ended', idle: 'idle' },
};

const MEETING_REFUSAL: Record<MeetingEvent, ErrorCode> = {
  'host-join': 'INVALID_REQUEST',
  'attendee-join': 'MEETING_NOT_ACTIVE',
  'early-knock': 'MEETING_NOT_ACTIVE',
  end: 'MEETING_NOT_ACTIVE',
  'end-for-all': 'MEETING_NOT_ACTIVE',
};

export function meetingTransition(current: MeetingState, event: MeetingEvent): Outcome<MeetingState> {
  const next = MEETING_TRANSITIONS[event][current];
  return next === undefined ? { ok: false, error: MEETING_REFUSAL[event] } : { ok: true, next };
}

/**
 * The meeting ends when the host leaves under `end_meeting` (the videocall-rs meeting API's rule),
 * or when nobody admitted remains.
 */
export function meetingEndsAfterLeave(leaverIsHost: boolean, admittedRemaining: number, policy: HostLeavePolicy = 'end_meeting'): boolean {
  return (leaverIsHost && policy === 'end_meeting') || admittedRemaining === 0;
}

/** A room token is minted only for an admitted participant of an active meeting. */
export function mayReceiveToken(status: ParticipantStatus, meetingState: MeetingState): boolean {
  return status === 'admitted' && meetingState === 'active';
}

/**
 * Who may do what (waiting room, settings, removal, roles): pure rules shared with the web
 * app, which shows only the controls they allow.
 */
export {
  mayAssignRoles,
  mayControlMeeting,
  mayHoldRole,
  mayManageWaitingRoom,
  mayRemoveParticipants,
  type Actor,
} from 'meeting-types/permissions';

/**
 * What an attendee's join does, settings considered, in the order a client
 * would want to learn it: not active, banned, locked (unless already admitted),
 * then admission at once (waiting room off, not a guest, room left) or the
 * waiting room. (Whether a guest may knock at all is `guests.ts`'s rule.)
 */
export type JoinDecision = { ok: true; event: 'join' | 'direct-join' | 'early-knock' } | { ok: false; error: ErrorCode };

export interface JoinContext {
  meetingState: MeetingState;
  current: ParticipantStatus | null;
  banned: boolean;
  locked: boolean;
  waitingRoomEnabled: boolean;
  isGuest: boolean;
  admittedCount: number;
  maxParticipants: number | null;
  /** The `early_knock` setting (absent: off). */
  earlyKnock?: boolean;
}

export function decideAttendeeJoin(c: JoinContext): JoinDecision {
  const meeting = meetingTransition(c.meetingState, 'attendee-join');
  if (!meeting.ok) {
    // Knocking before the host: waiting whatever the waiting-room setting; bans and the lock still apply.
    if (!c.earlyKnock || !meetingTransition(c.meetingState, 'early-knock').ok) return meeting;
    if (c.banned) return { ok: false, error: 'PARTICIPANT_BANNED' };
    if (c.locked) return { ok: false, error: 'MEETING_LOCKED' };
    return { ok: true, event: 'early-knock' };
  }
  if (c.banned) return { ok: false, error: 'PARTICIPANT_BANNED' };
  if (c.current === 'admitted') return { ok: true, event: 'join' };
  if (c.locked) return { ok: false, error: 'MEETING_LOCKED' };
  const direct = !c.waitingRoomEnabled && !c.isGuest && hasRoomFor(c.admittedCount, c.maxParticipants, 1);
  return { ok: true, event: direct ? 'direct-join' : 'join' };
}

/** Whether `more` people can be admitted beside `admitted` under the cap. */
export function hasRoomFor(admitted: number, maxParticipants: number | null, more: number): boolean {
  return maxParticipants === null || admitted + more <= maxParticipants;
}

/** How many of the waiting can be admitted now (admit-all admits the earliest up to the cap). */
export function admissibleCount(admitted: number, maxParticipants: number | null, waiting: number): number {
  return maxParticipants === null ? waiting : Math.max(0, Math.min(waiting, maxParticipants - admitted));
}

export interface SuccessorCandidate {
  email: string;
  role: ParticipantRole;
  isGuest: boolean;
  admittedAt: number;
}

/**
 * `host_leave_policy: transfer`: the co-host admitted longest ago, else the
 * attendee admitted longest ago; guests never. `null` when nobody can take it.
 */
export function chooseSuccessor(candidates: readonly SuccessorCandidate[]): string | null {
  const eligible = candidates
    .filter((c) => !c.isGuest && c.role !== 'host')
    .sort(
      (a, b) =>
        Number(b.role === 'cohost') - Number(a.role === 'cohost') || a.admittedAt - b.admittedAt || a.email.localeCompare(b.email),
    );
  return eligible[0]?.email ?? null;
}
