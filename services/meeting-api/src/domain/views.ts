import type {
  CreateMeetingResponse,
  EventMeeting,
  MeetingInfoResponse,
  MeetingSettings,
  MeetingSummary,
  ParticipantStatusResponse,
} from 'meeting-types';
import type { MeetingRecord, MeetingRef, MeetingSettingsRecord, MeetingSummaryRecord, ParticipantRecord } from './records';

/** Contract shapes from records. `roomToken` only ever for the participant themselves. */
export function participantView(p: ParticipantRecord, roomToken: string | null = null): ParticipantStatusResponse {
  return {
    email: p.email,
    display_name: p.displayName,
    status: p.status,
    is_host: p.isHost,
    role: p.role,
    banned: p.banned,
    joined_at: p.joinedAt,
    admitted_at: p.admittedAt,
    room_token: roomToken,
    connected: p.connected,
  };
}

/** The record behind a participant view (as an event's payload carries it): `participantView`'s inverse. */
export function participantFromView(p: ParticipantStatusResponse): ParticipantRecord {
  return {
    email: p.email,
    displayName: p.display_name,
    status: p.status,
    isHost: p.is_host,
    role: p.role,
    banned: p.banned,
    joinedAt: p.joined_at,
    admittedAt: p.admitted_at,
    connected: p.connected ?? false,
  };
}

export function createdMeetingView(m: MeetingRecord): CreateMeetingResponse {
  return {
    meeting_id: m.roomId,
    host: m.creatorId,
    created_at: m.createdAt,
    state: m.state,
    attendees: m.attendees,
    has_password: m.passwordHash !== null,
    ...settingsView(m.settings),
  };
}

export function meetingSummaryView(m: MeetingSummaryRecord): MeetingSummary {
  return {
    meeting_id: m.roomId,
    host: m.creatorId,
    state: m.state,
    has_password: m.hasPassword,
    created_at: m.createdAt,
    participant_count: m.participantCount,
    started_at: m.startedAt,
    ended_at: m.endedAt,
    waiting_count: m.waitingCount,
    ...settingsView(m.settings),
  };
}

export function settingsView(s: MeetingSettingsRecord): MeetingSettings {
  return {
    waiting_room_enabled: s.waitingRoomEnabled,
    admit_policy: s.admitPolicy,
    host_leave_policy: s.hostLeavePolicy,
    locked: s.locked,
    max_participants: s.maxParticipants,
    allow_guests: s.allowGuests,
    early_knock: s.earlyKnock,
    multiple_screen_shares: s.multipleScreenShares,
  };
}

/** MeetingInfoResponse; `you` is the caller's own row (never with a token). */
export function meetingInfoView(m: MeetingRef, you: ParticipantRecord | null): MeetingInfoResponse {
  return {
    meeting_id: m.roomId,
    state: m.state,
    host: m.creatorId,
    host_display_name: m.hostDisplayName,
    has_password: m.hasPassword,
    ...settingsView(m.settings),
    your_status: you ? participantView(you) : null,
  };
}

/** The meeting as `meeting.*` events carry it: MeetingInfoResponse without `your_status`. */
export function eventMeetingView(m: MeetingRef): EventMeeting {
  return {
    meeting_id: m.roomId,
    state: m.state,
    host: m.creatorId,
    host_display_name: m.hostDisplayName,
    has_password: m.hasPassword,
    ...settingsView(m.settings),
  };
}
