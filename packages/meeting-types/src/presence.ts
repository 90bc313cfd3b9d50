import { Type, type Static } from 'typebox';
import { MAX_EMAIL_LENGTH } from './requests';

/**
 * Presence reports (Media Server → Meeting API, `POST /internal/v1/presence`), authenticated
 * like the decision feed. Each Media Server instance says when a token holder's first
 * connection to a meeting opens and when their last one closes there, in order; every report
 * renews the instance's lease. An instance whose lease runs out has its connections counted
 * as gone.
 */
export const PresenceKeySchema = Type.Object(
  {
    /** The meeting instance of the token (`mid`). */
    mid: Type.Integer({ minimum: 1 }),
    /** The token's subject (the participant's identity). */
    sub: Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH }),
  },
  { title: 'PresenceKey', additionalProperties: false },
);
export type PresenceKey = Static<typeof PresenceKeySchema>;

export const PresenceChangeSchema = Type.Object(
  {
    mid: Type.Integer({ minimum: 1 }),
    sub: Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH }),
    /** true: first connection on this instance opened; false: the last one closed. */
    connected: Type.Boolean(),
  },
  { title: 'PresenceChange', additionalProperties: false },
);
export type PresenceChange = Static<typeof PresenceChangeSchema>;

/** Shortest and longest lease a Media Server may ask for. */
export const PRESENCE_LEASE_MIN_SECS = 1;
export const PRESENCE_LEASE_MAX_SECS = 25;
/** Most entries one report carries (a larger instance sends several). */
export const PRESENCE_REPORT_MAX_ENTRIES = 100_000;

export const PresenceReportSchema = Type.Object(
  {
    /** The reporting instance (random per process). */
    instance: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    /** Its connections count as gone if no report follows within this many seconds. */
    lease_secs: Type.Integer({ minimum: PRESENCE_LEASE_MIN_SECS, maximum: PRESENCE_LEASE_MAX_SECS }),
    /** Transitions since the previous report, in the order they happened. */
    changes: Type.Array(PresenceChangeSchema, { maxItems: PRESENCE_REPORT_MAX_ENTRIES }),
    /** Present: everyone connected to this instance now (after `changes`); the rest of its earlier reports is dropped. */
    present: Type.Optional(Type.Array(PresenceKeySchema, { maxItems: PRESENCE_REPORT_MAX_ENTRIES })),
    /** The instance is stopping: forget it (its connections are gone). */
    leaving: Type.Optional(Type.Boolean()),
  },
  { title: 'PresenceReport', additionalProperties: false },
);
export type PresenceReport = Static<typeof PresenceReportSchema>;

export const PresenceReportResponseSchema = Type.Object(
  {
    /** The API did not know this instance (first report, or its lease had run out): send `present` next time. */
    resync: Type.Boolean(),
  },
  { title: 'PresenceReportResponse' },
);
export type PresenceReportResponse = Static<typeof PresenceReportResponseSchema>;
