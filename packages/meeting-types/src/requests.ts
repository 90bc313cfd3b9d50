import { Type, type Static } from 'typebox';
import { Nullable, NullableStringEnum, StringEnum } from './common';
import { ADMIT_POLICIES, AdmitPolicySchema, HOST_LEAVE_POLICIES, HostLeavePolicySchema } from './states';

/** Meeting ids: 1–255 characters of `[A-Za-z0-9_-]`. */
export const MEETING_ID_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
export const MEETING_ID_MAX_LENGTH = 255;
/** Auto-generated ids: 12 characters of `[a-z0-9]`. */
export const GENERATED_MEETING_ID_LENGTH = 12;
export const MAX_ATTENDEES = 100;
export const MAX_EMAIL_LENGTH = 255;
export const MAX_DISPLAY_NAME_LENGTH = 255;
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Path parameters of every `/{meeting_id}` route. The id is validated by the
 * service (→ `INVALID_MEETING_ID`), not by this schema, so the error code is the contract's.
 */
export const MeetingIdParamsSchema = Type.Object({ meeting_id: Type.String() });
export type MeetingIdParams = Static<typeof MeetingIdParamsSchema>;

export const MIN_MAX_PARTICIPANTS = 2;
export const MAX_MAX_PARTICIPANTS = 1000;

/** A capacity: admitted participants, host included. */
const MaxParticipantsSchema = Type.Integer({ minimum: MIN_MAX_PARTICIPANTS, maximum: MAX_MAX_PARTICIPANTS });

/** The meeting settings of the meeting-controls extension as request fields; on create `null` means "not given" (the default). */
function createSettingsFields() {
  return {
    /** Default `true`. Off: non-guest attendees who join are admitted at once (up to `max_participants`). */
    waiting_room_enabled: Type.Optional(Nullable(Type.Boolean())),
    /** Default `any_admitted`. */
    admit_policy: Type.Optional(NullableStringEnum(ADMIT_POLICIES)),
    /** Default `end_meeting`. */
    host_leave_policy: Type.Optional(NullableStringEnum(HOST_LEAVE_POLICIES)),
    /** Default `false`. Locked: only people already admitted (or the owner) can join. */
    locked: Type.Optional(Nullable(Type.Boolean())),
    /** Default `null` (no cap): 2–1000 admitted participants, host included. */
    max_participants: Type.Optional(Nullable(MaxParticipantsSchema)),
    /** Default `false`: whether guests may knock. */
    allow_guests: Type.Optional(Nullable(Type.Boolean())),
    /** Default `false`: non-hosts may knock (enter `waiting`) before the host starts the meeting. */
    early_knock: Type.Optional(Nullable(Type.Boolean())),
    /** Default `false`: one person shares their screen at a time; `true` lets several share at once. */
    multiple_screen_shares: Type.Optional(Nullable(Type.Boolean())),
  };
}

/**
 * Body of `PATCH /api/v1/meetings/{id}`: any subset of the settings. Unknown
 * fields are refused. `max_participants: null` removes the cap; `password: null`
 * (or `""`) removes the password.
 */
export const UpdateMeetingRequestSchema = Type.Object(
  {
    waiting_room_enabled: Type.Optional(Type.Boolean()),
    admit_policy: Type.Optional(AdmitPolicySchema),
    host_leave_policy: Type.Optional(HostLeavePolicySchema),
    locked: Type.Optional(Type.Boolean()),
    max_participants: Type.Optional(Nullable(MaxParticipantsSchema)),
    allow_guests: Type.Optional(Type.Boolean()),
    early_knock: Type.Optional(Type.Boolean()),
    multiple_screen_shares: Type.Optional(Type.Boolean()),
    /** Set (hashed with Argon2id) or remove (`null` or `""`); never returned. */
    password: Type.Optional(Nullable(Type.String({ maxLength: MAX_PASSWORD_LENGTH }))),
  },
  { title: 'UpdateMeetingRequest', additionalProperties: false },
);
export type UpdateMeetingRequest = Static<typeof UpdateMeetingRequestSchema>;

/**
 * Body of `POST /api/v1/meetings`. Optional fields may also be `null` (= not given):
 * clients built on videocall-rs's types serialize an empty `Option` as `null`.
 */
export const CreateMeetingRequestSchema = Type.Object(
  {
    /** Auto-generated (12 chars) when omitted. Validity is checked by the service. */
    meeting_id: Type.Optional(Nullable(Type.String())),
    /** Pre-registered attendee emails, at most 100 (checked by the service → `TOO_MANY_ATTENDEES`). */
    attendees: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: MAX_EMAIL_LENGTH })))),
    /** Hashed with Argon2id; `""` means no password. Never echoed. */
    password: Type.Optional(Nullable(Type.String({ maxLength: MAX_PASSWORD_LENGTH }))),
    ...createSettingsFields(),
    /** API keys only: the identity that owns the meeting (default: the key's own `app:<id>`). */
    owner: Type.Optional(Nullable(Type.String({ maxLength: MAX_EMAIL_LENGTH }))),
  },
  { title: 'CreateMeetingRequest' },
);
export type CreateMeetingRequest = Static<typeof CreateMeetingRequestSchema>;

/** Body of `POST /api/v1/meetings/{id}/join` (the body itself is optional). */
export const JoinMeetingRequestSchema = Type.Object(
  {
    /** Kept from earlier joins when omitted. */
    display_name: Type.Optional(Nullable(Type.String({ maxLength: MAX_DISPLAY_NAME_LENGTH }))),
    /** Required from non-hosts when the meeting has a password. */
    password: Type.Optional(Nullable(Type.String({ maxLength: MAX_PASSWORD_LENGTH }))),
  },
  { title: 'JoinMeetingRequest' },
);
export type JoinMeetingRequest = Static<typeof JoinMeetingRequestSchema>;

/** Body of `POST /admit` and `POST /reject`. */
export const AdmitRequestSchema = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH }) },
  { title: 'AdmitRequest' },
);
export type AdmitRequest = Static<typeof AdmitRequestSchema>;

/** Body of `POST /reject` and `POST /remove`: `ban: true` also bans the identity from this meeting. */
export const RemoveRequestSchema = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH }),
    ban: Type.Optional(Nullable(Type.Boolean())),
  },
  { title: 'RemoveRequest' },
);
export type RemoveRequest = Static<typeof RemoveRequestSchema>;

/** Body of `POST /unban` and `POST /transfer-host`. */
export const TargetRequestSchema = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH }) },
  { title: 'TargetRequest' },
);
export type TargetRequest = Static<typeof TargetRequestSchema>;

/** Body of `POST /role`: the host role itself moves only with `transfer-host`. */
export const SetRoleRequestSchema = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH }),
    role: StringEnum(['cohost', 'attendee'] as const),
  },
  { title: 'SetRoleRequest' },
);
export type SetRoleRequest = Static<typeof SetRoleRequestSchema>;

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;

/** Query of `GET /api/v1/meetings`. Out-of-range values are clamped, never an error. */
export const ListMeetingsQuerySchema = Type.Object(
  {
    /** Clamped to 1–100; default 20. */
    limit: Type.Optional(Type.Integer()),
    /** Negative values become 0; default 0. */
    offset: Type.Optional(Type.Integer()),
  },
  { title: 'ListMeetingsQuery' },
);
export type ListMeetingsQuery = Static<typeof ListMeetingsQuerySchema>;

/** `GET /meetings/{id}/status?wait=<0–60>`: hold the answer while the caller is waiting (the live-events extension). */
export const StatusQuerySchema = Type.Object(
  { wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 60, description: 'Seconds to hold the answer while the caller is waiting' })) },
  { additionalProperties: true },
);
export type StatusQuery = Static<typeof StatusQuerySchema>;

/** `GET /meetings/{id}/events?after=<seq>`: resume after this seq (the `Last-Event-ID` header wins). */
export const EventsQuerySchema = Type.Object(
  { after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Replay the events after this seq' })) },
  { additionalProperties: true },
);
export type EventsQuery = Static<typeof EventsQuerySchema>;
export const PARTICIPANT_LIST_MAX_LIMIT = 1000;

/** Query of `GET /meetings/{id}/waiting` and `/participants`. Without `limit` the whole list (bounded by the waiting-room cap). Out-of-range values are clamped, never an error. */
export const ParticipantListQuerySchema = Type.Object(
  {
    /** Clamped to 1–1000; default: everyone. */
    limit: Type.Optional(Type.Integer()),
    /** Negative values become 0; default 0. */
    offset: Type.Optional(Type.Integer()),
  },
  { title: 'ParticipantListQuery' },
);
export type ParticipantListQuery = Static<typeof ParticipantListQuerySchema>;
