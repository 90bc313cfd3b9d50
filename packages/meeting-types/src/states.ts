import type { Static } from 'typebox';
import { StringEnum } from './common';

export const MEETING_STATES = ['idle', 'active', 'ended'] as const;
/** `idle`: created, host not joined; `active`: host joined; `ended`: host left or nobody admitted remains. */
export const MeetingStateSchema = StringEnum(MEETING_STATES, { description: 'Meeting lifecycle state' });
export type MeetingState = Static<typeof MeetingStateSchema>;

export const PARTICIPANT_STATUSES = ['waiting', 'admitted', 'rejected', 'left', 'removed'] as const;
/** `waiting`: in the waiting room; `admitted`: may enter (token available); `rejected`; `left`; `removed` by a host or co-host. */
export const ParticipantStatusSchema = StringEnum(PARTICIPANT_STATUSES, { description: 'Participant status' });
export type ParticipantStatus = Static<typeof ParticipantStatusSchema>;

export const PARTICIPANT_ROLES = ['host', 'cohost', 'attendee'] as const;
/** `host`: exactly one per meeting at a time; `cohost`: manages the meeting beside the host; `attendee`. */
export const ParticipantRoleSchema = StringEnum(PARTICIPANT_ROLES, { description: 'Participant role' });
export type ParticipantRole = Static<typeof ParticipantRoleSchema>;

export const ADMIT_POLICIES = ['any_admitted', 'hosts'] as const;
/** Who may list the waiting room, admit, reject and admit-all: any admitted participant, or only host and co-hosts. */
export const AdmitPolicySchema = StringEnum(ADMIT_POLICIES, { description: 'Who manages the waiting room' });
export type AdmitPolicy = Static<typeof AdmitPolicySchema>;

export const HOST_LEAVE_POLICIES = ['end_meeting', 'transfer'] as const;
/** When the host leaves: end the meeting for all, or hand the host role on (co-host admitted longest ago, else attendee). */
export const HostLeavePolicySchema = StringEnum(HOST_LEAVE_POLICIES, { description: 'What happens when the host leaves' });
export type HostLeavePolicy = Static<typeof HostLeavePolicySchema>;
