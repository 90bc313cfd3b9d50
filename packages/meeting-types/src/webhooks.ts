import { Type, type Static } from 'typebox';
import { Nullable, StringEnum, UnixSeconds } from './common';
import { MEETING_EVENT_TYPES } from './events';

/**
 * Event types an endpoint may subscribe to: the meeting log's, and the presence events
 * (`participant.connected` / `participant.disconnected`) that join it.
 */
export const WEBHOOK_EVENT_TYPES: readonly string[] = [...MEETING_EVENT_TYPES, 'participant.connected', 'participant.disconnected'].filter(
  (t, i, all) => all.indexOf(t) === i,
);

/** Prefix of an endpoint secret; what follows is standard base64 of 24 random bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

const EventsField = Type.Array(Type.String({ maxLength: 64 }), {
  maxItems: 64,
  description: 'Event types delivered (absent or null: every type)',
});

export const CreateWebhookRequestSchema = Type.Object(
  {
    /** `https://` (or `http://` and private addresses with WEBHOOK_ALLOW_PRIVATE=true). */
    url: Type.String(),
    events: Type.Optional(Nullable(EventsField)),
    description: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  },
  { title: 'CreateWebhookRequest' },
);
export type CreateWebhookRequest = Static<typeof CreateWebhookRequestSchema>;

export const UpdateWebhookRequestSchema = Type.Object(
  {
    url: Type.Optional(Type.String()),
    events: Type.Optional(Nullable(EventsField)),
    disabled: Type.Optional(Type.Boolean()),
  },
  { title: 'UpdateWebhookRequest' },
);
export type UpdateWebhookRequest = Static<typeof UpdateWebhookRequestSchema>;

export const WebhookIdParamsSchema = Type.Object({ webhook_id: Type.String({ maxLength: 64 }) });
export type WebhookIdParams = Static<typeof WebhookIdParamsSchema>;
export const WebhookDeliveryParamsSchema = Type.Object({
  webhook_id: Type.String({ maxLength: 64 }),
  delivery_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});
export type WebhookDeliveryParams = Static<typeof WebhookDeliveryParamsSchema>;

/** An endpoint as listed: never its secret. */
export const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    /** Null: every event type. */
    events: Nullable(Type.Array(Type.String())),
    description: Nullable(Type.String()),
    disabled: Type.Boolean(),
    created_at: UnixSeconds,
  },
  { title: 'Webhook' },
);
export type Webhook = Static<typeof WebhookSchema>;

/** The answer of `POST /webhooks`: the only time the secret is shown. */
export const CreatedWebhookSchema = Type.Object(
  { ...WebhookSchema.properties, secret: Type.String({ description: '`whsec_` + base64 of 24 random bytes; shown only here' }) },
  { title: 'CreatedWebhook' },
);
export type CreatedWebhook = Static<typeof CreatedWebhookSchema>;

export const WebhookListSchema = Type.Object({ webhooks: Type.Array(WebhookSchema) }, { title: 'WebhookList' });
export type WebhookList = Static<typeof WebhookListSchema>;

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

/** One event to one endpoint, and how its delivery went. */
export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.Integer(),
    /** The `webhook-id` header: the meeting instance and `seq`, the same on every attempt. */
    webhook_id: Type.String(),
    event_type: Type.String(),
    meeting_id: Type.String(),
    seq: Type.Integer(),
    /** `pending` (not yet answered 2xx), `delivered`, or `failed` (gave up). */
    status: StringEnum(WEBHOOK_DELIVERY_STATUSES),
    attempts: Type.Integer(),
    /** HTTP status of the last attempt; null when none answered. */
    last_status_code: Nullable(Type.Integer()),
    /** Why the last attempt failed without an HTTP answer (timeout, refused address…). */
    last_error: Nullable(Type.String()),
    last_duration_ms: Nullable(Type.Integer()),
    last_attempt_at: Nullable(UnixSeconds),
    /** When the next attempt is due; null once delivered or failed. */
    next_attempt_at: Nullable(UnixSeconds),
    delivered_at: Nullable(UnixSeconds),
    created_at: UnixSeconds,
  },
  { title: 'WebhookDelivery' },
);
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;

export const WEBHOOK_DELIVERIES_MAX_LIMIT = 500;
export const WebhookDeliveriesQuerySchema = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Deliveries with a greater id' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: WEBHOOK_DELIVERIES_MAX_LIMIT, default: 100 })),
  },
  { title: 'WebhookDeliveriesQuery' },
);
export type WebhookDeliveriesQuery = Static<typeof WebhookDeliveriesQuerySchema>;

export const WebhookDeliveryListSchema = Type.Object(
  {
    deliveries: Type.Array(WebhookDeliverySchema),
    /** Cursor of the next page; null at the end. */
    next_after: Nullable(Type.Integer()),
  },
  { title: 'WebhookDeliveryList' },
);
export type WebhookDeliveryList = Static<typeof WebhookDeliveryListSchema>;

export const AUDIT_MAX_LIMIT = 500;
export const AuditQuerySchema = Type.Object(
  {
    /** The `next_after` of the previous page. */
    after: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_MAX_LIMIT, default: 100 })),
  },
  { title: 'AuditQuery' },
);
export type AuditQuery = Static<typeof AuditQuerySchema>;

/** An event as the stream carries it, plus when, by whom, and in which creation of the meeting id. */
export const AuditEventSchema = Type.Object(
  {
    seq: Type.Integer(),
    type: Type.String(),
    meeting_id: Type.String(),
    occurred_at: UnixSeconds,
    actor: Nullable(Type.String()),
    /** 1 for the first creation of this meeting id, 2 for the next, … */
    instance: Type.Integer({ minimum: 1 }),
  },
  { title: 'AuditEvent', additionalProperties: true },
);
export type AuditEvent = Static<typeof AuditEventSchema>;

export const AuditPageSchema = Type.Object(
  {
    events: Type.Array(AuditEventSchema),
    /** Cursor of the next page; null at the end. */
    next_after: Nullable(Type.String()),
  },
  { title: 'AuditPage' },
);
export type AuditPage = Static<typeof AuditPageSchema>;

/** The answer of a DELETE of this family: `{message}`. */
export const WebhookDeletedSchema = Type.Object({ message: Type.String() }, { title: 'WebhookDeleted' });
export type WebhookDeleted = Static<typeof WebhookDeletedSchema>;
