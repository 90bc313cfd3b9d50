import type { Static } from 'typebox';
import { StringEnum } from './common';

export const MEETING_STATES = ['idle', 'active', 'ended'] as const;
/** `idle`: created, host not joined; `active`: host joined; `ended`: host left or nobody admitted remains. */
export const MeetingStateSchema = StringEnum(MEETING_STATES, { description: 'Meeting lifecycle state' });
export type MeetingState = Static<typeof MeetingStateSchema>;

export const PARTICIPANT_STATUSES = ['waiting', 'admitted', 'rejected', 'left'] as const;
/** `waiting`: in the waiting room; `admitted`: may enter (token available); `rejected`; `left`. */
export const ParticipantStatusSchema = StringEnum(PARTICIPANT_STATUSES, { description: 'Participant status' });
export type ParticipantStatus = Static<typeof ParticipantStatusSchema>;
