import { Type, type Static, type TSchema } from 'typebox';
import { Nullable, StringEnum, UnixSeconds } from './common';
import type { EnforcedDecisionType } from './media-protocol';
import { MeetingInfoResponseSchema, ParticipantStatusResponseSchema } from './responses';

/** Every event type of the meeting log (the live-events extension), in the order the table lists them. */
export const MEETING_EVENT_TYPES = [
  'meeting.activated',
  'meeting.updated',
  'meeting.ended',
  'meeting.deleted',
  'participant.waiting',
  'participant.admitted',
  'participant.rejected',
  'participant.left',
  'participant.removed',
  'participant.role_changed',
  'participant.connected',
  'participant.disconnected',
] as const;
export const MeetingEventTypeSchema = StringEnum(MEETING_EVENT_TYPES, { description: 'Meeting event type' });
export type MeetingEventType = Static<typeof MeetingEventTypeSchema>;

export const MEETING_LEVEL_EVENT_TYPES = ['meeting.activated', 'meeting.updated', 'meeting.ended', 'meeting.deleted'] as const;
export type MeetingLevelEventType = (typeof MEETING_LEVEL_EVENT_TYPES)[number];
export type ParticipantEventType = Exclude<MeetingEventType, MeetingLevelEventType>;

/** The meeting as events carry it: MeetingInfoResponse without `your_status`. */
export const EventMeetingSchema = Type.Omit(MeetingInfoResponseSchema, ['your_status'], { title: 'EventMeeting' });
export type EventMeeting = Static<typeof EventMeetingSchema>;

const eventBase = <T extends string>(type: T) => ({
  /** Position in this meeting's log: strictly increasing, no gaps; the SSE `id`. */
  seq: Type.Integer({ minimum: 1 }),
  type: Type.Literal(type),
  meeting_id: Type.String(),
  occurred_at: UnixSeconds,
  /** Identity of whoever caused the change; `null` when the service did. */
  actor: Nullable(Type.String()),
  /** Why the service made the change when `actor` is null (`disconnected`: auto-leave after a lost connection). */
  reason: Type.Optional(Type.String()),
});

function meetingEvent<T extends MeetingLevelEventType, P extends Record<string, TSchema>>(type: T, payload: P) {
  return Type.Object({ ...eventBase(type), ...payload }, { title: `MeetingEvent:${type}` });
}

export const MeetingActivatedEventSchema = meetingEvent('meeting.activated', { meeting: EventMeetingSchema });
export const MeetingUpdatedEventSchema = meetingEvent('meeting.updated', { meeting: EventMeetingSchema });
export const MeetingEndedEventSchema = meetingEvent('meeting.ended', { meeting: EventMeetingSchema });
export const MeetingDeletedEventSchema = meetingEvent('meeting.deleted', {});

/**
 * `participant` is the ParticipantStatusResponse with `room_token: null`, except on the
 * subject's own stream, where its own `participant.admitted` carries a fresh room token.
 */
function participantEvent<T extends ParticipantEventType>(type: T) {
  return Type.Object({ ...eventBase(type), participant: ParticipantStatusResponseSchema }, { title: `MeetingEvent:${type}` });
}

export const ParticipantWaitingEventSchema = participantEvent('participant.waiting');
export const ParticipantAdmittedEventSchema = participantEvent('participant.admitted');
export const ParticipantRejectedEventSchema = participantEvent('participant.rejected');
export const ParticipantLeftEventSchema = participantEvent('participant.left');
export const ParticipantRemovedEventSchema = participantEvent('participant.removed');
export const ParticipantRoleChangedEventSchema = participantEvent('participant.role_changed');
/** The participant's first media connection opened (on any Media Server). */
export const ParticipantConnectedEventSchema = participantEvent('participant.connected');
/** The participant's last media connection closed, or its Media Server stopped answering. */
export const ParticipantDisconnectedEventSchema = participantEvent('participant.disconnected');

/** One event of `GET /api/v1/meetings/{id}/events` (the SSE `data:` line). */
export const MeetingEventSchema = Type.Union(
  [
    MeetingActivatedEventSchema,
    MeetingUpdatedEventSchema,
    MeetingEndedEventSchema,
    MeetingDeletedEventSchema,
    ParticipantWaitingEventSchema,
    ParticipantAdmittedEventSchema,
    ParticipantRejectedEventSchema,
    ParticipantLeftEventSchema,
    ParticipantRemovedEventSchema,
    ParticipantRoleChangedEventSchema,
    ParticipantConnectedEventSchema,
    ParticipantDisconnectedEventSchema,
  ],
  { title: 'MeetingEvent' },
);
export type MeetingEvent = Static<typeof MeetingEventSchema>;

/**
 * The body of a webhook delivery (Standard Webhooks): `type` is the event's type, `timestamp`
 * when it was sent (Unix seconds), `data` the event exactly as the event stream carries it.
 */
export const WebhookPayloadSchema = Type.Object(
  {
    type: MeetingEventTypeSchema,
    timestamp: UnixSeconds,
    data: MeetingEventSchema,
  },
  { title: 'WebhookPayload' },
);
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;

/** What an event carries beside `seq, type, meeting_id, occurred_at, actor`. */
export type MeetingEventPayload =
  | { meeting: EventMeeting }
  | { participant: Static<typeof ParticipantStatusResponseSchema> }
  | Record<string, never>;

/** Seconds between keep-alive comments on an event stream. */
export const EVENT_STREAM_KEEPALIVE_SECS = 15;
/** Events are kept at least this long after their meeting ends or is deleted. */
export const EVENT_RETENTION_SECS = 24 * 60 * 60;

/** The events the Media Server enforces on live connections (the live-events extension). */
export const ENFORCED_EVENT_TYPES = [
  'meeting.ended',
  'meeting.deleted',
  'participant.left',
  'participant.removed',
  'participant.rejected',
] as const satisfies readonly (MeetingEventType & EnforcedDecisionType)[];

/**
 * One decision on the internal feed `GET /internal/v1/decisions` (Meeting API → Media Servers):
 * tokens of meeting instance `mid` whose `esq` is below `seq` are revoked, for `subject` only
 * (participant decisions) or for everyone (meeting ended or deleted).
 */
export const EnforcedDecisionSchema = Type.Object(
  {
    mid: Type.Integer(),
    room: Type.String(),
    seq: Type.Integer(),
    type: StringEnum(ENFORCED_EVENT_TYPES),
    subject: Nullable(Type.String()),
    banned: Type.Boolean(),
  },
  { title: 'EnforcedDecision' },
);
export type EnforcedDecision = Static<typeof EnforcedDecisionSchema>;

/** First message of every feed connection: what still matters, and for how long to hold it. */
export const DecisionSnapshotSchema = Type.Object(
  {
    /** Hold each decision this long: older tokens have expired anyway (token TTL + leeway + margin). */
    hold_secs: Type.Integer(),
    decisions: Type.Array(EnforcedDecisionSchema),
  },
  { title: 'DecisionSnapshot' },
);
export type DecisionSnapshot = Static<typeof DecisionSnapshotSchema>;
