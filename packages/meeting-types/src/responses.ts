import { Type, type Static } from 'typebox';
import { Nullable, UnixSeconds } from './common';
import { AdmitPolicySchema, HostLeavePolicySchema, MeetingStateSchema, ParticipantRoleSchema, ParticipantStatusSchema } from './states';

/** The meeting settings (the meeting-controls extension) as every meeting response carries them. */
const settingsFields = {
  waiting_room_enabled: Type.Boolean(),
  admit_policy: AdmitPolicySchema,
  host_leave_policy: HostLeavePolicySchema,
  locked: Type.Boolean(),
  /** `null`: no cap. */
  max_participants: Nullable(Type.Integer()),
  allow_guests: Type.Boolean(),
  /** Non-hosts joining an idle or ended meeting wait for the host instead of `MEETING_NOT_ACTIVE`. */
  early_knock: Type.Boolean(),
  /** Several people may share their screens at once (off: one at a time; the call app keeps to it). */
  multiple_screen_shares: Type.Boolean(),
};

export const MeetingSettingsSchema = Type.Object(settingsFields, { title: 'MeetingSettings' });
export type MeetingSettings = Static<typeof MeetingSettingsSchema>;

/** The canonical participant shape, used by join, status, admit, reject, leave, waiting and participants. */
export const ParticipantStatusResponseSchema = Type.Object(
  {
    email: Type.String(),
    /** `null` when the participant never gave one. */
    display_name: Nullable(Type.String()),
    status: ParticipantStatusSchema,
    /** True exactly when `role` is `host`. */
    is_host: Type.Boolean(),
    role: ParticipantRoleSchema,
    /** Banned from this meeting: joining again is refused with `PARTICIPANT_BANNED`. */
    banned: Type.Boolean(),
    joined_at: UnixSeconds,
    admitted_at: Nullable(UnixSeconds),
    /** Only to its owner (join as host, or status while admitted in an active meeting); `null` elsewhere. */
    room_token: Nullable(Type.String()),
    /** At least one live media connection now, as the Media Servers report it. */
    connected: Type.Boolean(),
  },
  { title: 'ParticipantStatusResponse' },
);
export type ParticipantStatusResponse = Static<typeof ParticipantStatusResponseSchema>;

export const CreateMeetingResponseSchema = Type.Object(
  {
    meeting_id: Type.String(),
    host: Type.String(),
    created_at: UnixSeconds,
    state: MeetingStateSchema,
    attendees: Type.Array(Type.String()),
    has_password: Type.Boolean(),
    ...settingsFields,
  },
  { title: 'CreateMeetingResponse' },
);
export type CreateMeetingResponse = Static<typeof CreateMeetingResponseSchema>;

export const MeetingInfoResponseSchema = Type.Object(
  {
    meeting_id: Type.String(),
    state: MeetingStateSchema,
    host: Type.String(),
    host_display_name: Nullable(Type.String()),
    has_password: Type.Boolean(),
    ...settingsFields,
    /** The caller's own row (token always `null`), or `null` if they never joined. */
    your_status: Type.Union([ParticipantStatusResponseSchema, Type.Null()]),
  },
  { title: 'MeetingInfoResponse' },
);
export type MeetingInfoResponse = Static<typeof MeetingInfoResponseSchema>;

export const MeetingSummarySchema = Type.Object(
  {
    meeting_id: Type.String(),
    host: Type.String(),
    state: MeetingStateSchema,
    has_password: Type.Boolean(),
    created_at: UnixSeconds,
    /** Admitted participants, host included. */
    participant_count: Type.Integer(),
    started_at: UnixSeconds,
    ended_at: Nullable(UnixSeconds),
    waiting_count: Type.Integer(),
    ...settingsFields,
  },
  { title: 'MeetingSummary' },
);
export type MeetingSummary = Static<typeof MeetingSummarySchema>;

export const ListMeetingsResponseSchema = Type.Object(
  {
    meetings: Type.Array(MeetingSummarySchema),
    /** All of the caller's non-deleted meetings, ignoring paging. */
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  },
  { title: 'ListMeetingsResponse' },
);
export type ListMeetingsResponse = Static<typeof ListMeetingsResponseSchema>;

export const DeleteMeetingResponseSchema = Type.Object(
  { message: Type.String() },
  { title: 'DeleteMeetingResponse' },
);
export type DeleteMeetingResponse = Static<typeof DeleteMeetingResponseSchema>;

export const WaitingRoomResponseSchema = Type.Object(
  { meeting_id: Type.String(), waiting: Type.Array(ParticipantStatusResponseSchema) },
  { title: 'WaitingRoomResponse' },
);
export type WaitingRoomResponse = Static<typeof WaitingRoomResponseSchema>;

export const AdmitAllResponseSchema = Type.Object(
  { admitted_count: Type.Integer(), admitted: Type.Array(ParticipantStatusResponseSchema) },
  { title: 'AdmitAllResponse' },
);
export type AdmitAllResponse = Static<typeof AdmitAllResponseSchema>;

/** `GET /participants`: a bare array of admitted participants. */
export const ParticipantListResponseSchema = Type.Array(ParticipantStatusResponseSchema);
export type ParticipantListResponse = Static<typeof ParticipantListResponseSchema>;

/** `GET /healthz` and `GET /readyz`. */
export const HealthResponseSchema = Type.Object({ status: Type.String() });
export type HealthResponse = Static<typeof HealthResponseSchema>;

/** `GET /api/v1/client-config` (no authentication): what a browser client needs to know. */
export const ClientConfigResponseSchema = Type.Object(
  {
    /** WebSocket origin of the Media Server, e.g. `ws://127.0.0.1:8080`; clients open `${media_server_url}/lobby?token=…`. */
    media_server_url: Type.String(),
    /** `EMBED_ORIGINS`: the origins that may frame the meeting pages (the frame posts its events only to these). */
    embed_origins: Type.Optional(Type.Array(Type.String())),
  },
  { title: 'ClientConfigResponse' },
);
export type ClientConfigResponse = Static<typeof ClientConfigResponseSchema>;
