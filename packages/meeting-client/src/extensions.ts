/**
 * Shapes from the extensions that `meeting-types` does not carry yet (the controls, the meeting-controls extension,
 * land in parallel); sign-in and events are re-exported from `meeting-types`. Each type here is replaced by
 * the `meeting-types` export of the same name once it exists on main; nothing here
 * re-declares a shape that `meeting-types` already has.
 */
import type { MeetingInfoResponse, ParticipantStatusResponse } from 'meeting-types';

/** the meeting-controls extension settings, as returned in MeetingInfoResponse when the controls have landed. */
export interface MeetingSettings {
  waiting_room_enabled: boolean;
  admit_policy: 'any_admitted' | 'hosts';
  host_leave_policy: 'end_meeting' | 'transfer';
  locked: boolean;
  max_participants: number | null;
  allow_guests: boolean;
  /** Non-hosts may wait (`waiting`) before the host starts the meeting. */
  early_knock: boolean;
  /** Several people may share their screens at once (off: one at a time). */
  multiple_screen_shares: boolean;
}

/** `PATCH /api/v1/meetings/{id}`: any subset of the settings, plus the password (null removes it). */
export type UpdateMeetingRequest = Partial<MeetingSettings> & { password?: string | null };

export type ParticipantRole = 'host' | 'cohost' | 'attendee';

/** A participant row with the the meeting-controls extension additions, which are absent until the controls land. */
export type Participant = Omit<ParticipantStatusResponse, 'status'> & {
  role?: ParticipantRole;
  banned?: boolean;
  status: ParticipantStatusResponse['status'] | 'removed';
};

/** Meeting info with the the meeting-controls extension settings when the server has them. */
export type MeetingInfo = Omit<MeetingInfoResponse, 'your_status'> &
  Partial<MeetingSettings> & { your_status: Participant | null };

/** Sign-in (the sign-in extension) is in meeting-types. */
export type { SessionResponse as SessionInfo, SessionTokenResponse as SessionGrant } from 'meeting-types';

/** Events (the live-events extension) are in meeting-types. */
export { MEETING_EVENT_TYPES, type MeetingEvent, type MeetingEventType } from 'meeting-types';
