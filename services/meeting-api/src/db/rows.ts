import type { AdmitPolicy, HostLeavePolicy, MeetingState, ParticipantRole, ParticipantStatus } from 'meeting-types';
import type { MeetingRecord, MeetingRef, MeetingSettingsRecord, MeetingSummaryRecord, ParticipantRecord } from '../domain/records';

/** The records live in the domain; the row mappers below produce them. */
export type { MeetingRecord, MeetingRef, MeetingSummaryRecord, ParticipantRecord };

const settingsColumns = (alias: string) =>
  ['waiting_room_enabled', 'admit_policy', 'host_leave_policy', 'locked', 'max_participants', 'allow_guests', 'early_knock', 'multiple_screen_shares'].map(
    (column) => `${alias}.${column}`,
  );

function toSettings(row: Row): MeetingSettingsRecord {
  return {
    waitingRoomEnabled: row.waiting_room_enabled as boolean,
    admitPolicy: row.admit_policy as AdmitPolicy,
    hostLeavePolicy: row.host_leave_policy as HostLeavePolicy,
    locked: row.locked as boolean,
    maxParticipants: (row.max_participants as number | null) ?? null,
    allowGuests: row.allow_guests as boolean,
    earlyKnock: row.early_knock as boolean,
    multipleScreenShares: row.multiple_screen_shares as boolean,
  };
}

const epoch = (column: string, as: string) => `floor(extract(epoch from ${column}))::float8 AS ${as}`;

export function meetingColumns(alias: string): string {
  return [
    `${alias}.id`,
    `${alias}.room_id`,
    `${alias}.creator_id`,
    `${alias}.state`,
    `${alias}.password_hash`,
    `${alias}.attendees`,
    `${alias}.host_display_name`,
    epoch(`${alias}.created_at`, 'created_at'),
    epoch(`${alias}.started_at`, 'started_at'),
    epoch(`${alias}.ended_at`, 'ended_at'),
    ...settingsColumns(alias),
  ].join(', ');
}

export function meetingRefColumns(alias: string): string {
  return [
    `${alias}.id`,
    `${alias}.room_id`,
    `${alias}.creator_id`,
    `${alias}.state`,
    `${alias}.host_display_name`,
    `${alias}.password_hash IS NOT NULL AS has_password`,
    ...settingsColumns(alias),
    `${alias}.event_seq::float8 AS event_seq`,
  ].join(', ');
}

export function meetingSummaryColumns(alias: string): string {
  return [
    `${alias}.room_id`,
    `${alias}.creator_id`,
    `${alias}.state`,
    `${alias}.password_hash IS NOT NULL AS has_password`,
    epoch(`${alias}.created_at`, 'created_at'),
    epoch(`${alias}.started_at`, 'started_at'),
    epoch(`${alias}.ended_at`, 'ended_at'),
    ...settingsColumns(alias),
    `${alias}.participant_count`,
    `${alias}.waiting_count`,
  ].join(', ');
}

export function participantColumns(alias: string, prefix = ''): string {
  return [
    `${alias}.email AS ${prefix}email`,
    `${alias}.display_name AS ${prefix}display_name`,
    `${alias}.status AS ${prefix}status`,
    `${alias}.is_host AS ${prefix}is_host`,
    `${alias}.role AS ${prefix}role`,
    `${alias}.banned AS ${prefix}banned`,
    epoch(`${alias}.joined_at`, `${prefix}joined_at`),
    epoch(`${alias}.admitted_at`, `${prefix}admitted_at`),
    `${alias}.connected AS ${prefix}connected`,
  ].join(', ');
}

export type Row = Record<string, unknown>;

export function toMeeting(row: Row): MeetingRecord {
  return {
    id: row.id as number,
    roomId: row.room_id as string,
    creatorId: row.creator_id as string,
    state: row.state as MeetingState,
    passwordHash: (row.password_hash as string | null) ?? null,
    attendees: (row.attendees as string[] | null) ?? [],
    hostDisplayName: (row.host_display_name as string | null) ?? null,
    createdAt: row.created_at as number,
    startedAt: row.started_at as number,
    endedAt: (row.ended_at as number | null) ?? null,
    settings: toSettings(row),
  };
}

export function toMeetingSummary(row: Row): MeetingSummaryRecord {
  return {
    roomId: row.room_id as string,
    creatorId: row.creator_id as string,
    state: row.state as MeetingState,
    hasPassword: row.has_password as boolean,
    createdAt: row.created_at as number,
    startedAt: row.started_at as number,
    endedAt: (row.ended_at as number | null) ?? null,
    settings: toSettings(row),
    participantCount: row.participant_count as number,
    waitingCount: row.waiting_count as number,
  };
}

export function toMeetingRef(row: Row): MeetingRef {
  return {
    id: row.id as number,
    roomId: row.room_id as string,
    creatorId: row.creator_id as string,
    state: row.state as MeetingState,
    hostDisplayName: (row.host_display_name as string | null) ?? null,
    hasPassword: row.has_password as boolean,
    settings: toSettings(row),
    eventSeq: row.event_seq as number,
  };
}

/** Maps a participant row; `prefix` for rows joined onto a meeting row. Null when the row is absent. */
export function toParticipant(row: Row, prefix = ''): ParticipantRecord {
  return {
    email: row[`${prefix}email`] as string,
    displayName: (row[`${prefix}display_name`] as string | null) ?? null,
    status: row[`${prefix}status`] as ParticipantStatus,
    isHost: row[`${prefix}is_host`] as boolean,
    role: row[`${prefix}role`] as ParticipantRole,
    banned: row[`${prefix}banned`] as boolean,
    joinedAt: row[`${prefix}joined_at`] as number,
    admittedAt: (row[`${prefix}admitted_at`] as number | null) ?? null,
    connected: (row[`${prefix}connected`] as boolean | null) ?? false,
  };
}
