import type { AdmitPolicy, HostLeavePolicy, MeetingEventType, MeetingState, ParticipantEventType, ParticipantRole, ParticipantStatus } from 'meeting-types';

/**
 * Meetings and participants as the domain sees them. `db/` maps its rows to these
 * (`db/rows.ts`) and the ports (`ports.ts`) speak them; timestamps are Unix seconds.
 */

/** The meeting settings of the meeting-controls extension. */
export interface MeetingSettingsRecord {
  waitingRoomEnabled: boolean;
  admitPolicy: AdmitPolicy;
  hostLeavePolicy: HostLeavePolicy;
  locked: boolean;
  maxParticipants: number | null;
  allowGuests: boolean;
  earlyKnock: boolean;
}

/** A meeting as the domain sees it; timestamps in Unix seconds. */
export interface MeetingRecord {
  id: number;
  roomId: string;
  creatorId: string;
  state: MeetingState;
  passwordHash: string | null;
  attendees: string[];
  hostDisplayName: string | null;
  createdAt: number;
  startedAt: number;
  endedAt: number | null;
  settings: MeetingSettingsRecord;
}

/** The few meeting fields the hot paths need (no attendees JSON, no password hash). */
export interface MeetingRef {
  id: number;
  roomId: string;
  creatorId: string;
  state: MeetingState;
  hostDisplayName: string | null;
  hasPassword: boolean;
  settings: MeetingSettingsRecord;
  /** Last seq of the meeting's event log (0 before the first event). */
  eventSeq: number;
}

/** A live (not deleted) meeting with its password hash, as a join or a locked command reads it. */
export type LiveMeeting = MeetingRef & { passwordHash: string | null };

/** What an attendee's join decides on, read in one statement without a lock. */
export interface JoinView {
  meeting: LiveMeeting;
  caller: ParticipantRecord | null;
  /** Admitted participants (the meeting row's counter). */
  admittedCount: number;
}

/** The one `participant.*` event a one-statement transition appends about the row it wrote (its payload is that row). */
export interface RowEvent {
  type: ParticipantEventType;
  actor: string | null;
}

/** A row written by a one-statement transition, with the log position reached. */
export interface WrittenRow {
  participant: ParticipantRecord;
  meetingId: number;
  seq: number;
}

export interface ParticipantRecord {
  email: string;
  displayName: string | null;
  status: ParticipantStatus;
  isHost: boolean;
  role: ParticipantRole;
  banned: boolean;
  joinedAt: number;
  admittedAt: number | null;
  /** At least one live media connection now. */
  connected: boolean;
}

/** A meeting as the owner's list shows it. */
export interface MeetingSummaryRecord {
  roomId: string;
  creatorId: string;
  state: MeetingState;
  hasPassword: boolean;
  createdAt: number;
  startedAt: number;
  endedAt: number | null;
  settings: MeetingSettingsRecord;
  /** Admitted and waiting participants: the meeting row's counters (migration 007). */
  participantCount: number;
  waitingCount: number;
}

/** The live meeting and the caller's own participant row (null when they never joined). */
export interface MeetingWithCaller {
  meeting: MeetingRef;
  caller: ParticipantRecord | null;
}

/** What a status poll reads: the meeting's state and the caller's row, nothing else. */
export interface CallerStatus {
  meetingId: number;
  meetingState: MeetingState;
  /** The log position this read reflects (a room token minted from it carries it). */
  eventSeq: number;
  caller: ParticipantRecord | null;
}

export interface CallerStatusKey {
  roomId: string;
  email: string;
}

export interface OwnedMeetingsKey {
  owner: string;
  limit: number;
  offset: number;
}

export interface OwnedMeetingsPage {
  total: number;
  meetings: MeetingSummaryRecord[];
}

/** A page of a list: `limit` null means everyone from `offset` on. */
export interface Page {
  limit: number | null;
  offset: number;
}

export interface WaitingRoomKey {
  roomId: string;
  email: string;
  page: Page;
}

/** The host's view of a waiting room: the meeting, the caller's own row and a page of those waiting. */
export interface WaitingRoomRead extends MeetingWithCaller {
  waiting: ParticipantRecord[];
}

export interface NewMeeting {
  roomId: string;
  creatorId: string;
  passwordHash: string | null;
  attendees: string[];
  settings: MeetingSettingsRecord;
  /** The API key that created it (null: a person did). */
  createdByKeyId?: string | null;
}

/** A change of settings; `passwordHash: null` removes the password, `undefined` leaves it. */
export type SettingsChange = Partial<MeetingSettingsRecord> & { passwordHash?: string | null };

/** A meeting created by its first join, with its host admitted. */
export interface HostAdmission {
  meetingId: number;
  host: ParticipantRecord;
}

export interface PasswordAttempts {
  /** Attempts in the current one-minute window, this one included. */
  attempts: number;
  /** Seconds until the window ends (at least 1). */
  retryAfterSecs: number;
}

/** An event to append; `seq` and `occurred_at` come from the database. */
export interface NewMeetingEvent {
  type: MeetingEventType;
  /** Identity that caused the change, or null for the service. */
  actor: string | null;
  /** The participant a `participant.*` event is about. */
  subject?: string | null;
  /** What the event carries beside `seq, type, meeting_id, occurred_at, actor`. */
  payload: Record<string, unknown>;
}
