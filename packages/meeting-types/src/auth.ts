import { Type, type Static } from 'typebox';
import { Nullable, StringEnum } from './common';
import { MAX_EMAIL_LENGTH } from './requests';

/** `iss` of every session JWT (the same issuer as room tokens; the audience and key differ). */
export const SESSION_ISSUER = 'videocall-meeting-backend';
/** `aud` of every session JWT: only the Meeting API accepts sessions. */
export const SESSION_AUDIENCE = 'meeting-api';
/** The only accepted signing algorithm for sessions. */
export const SESSION_ALGORITHM = 'HS256';
export const DEFAULT_SESSION_TTL_SECS = 604_800;
/** Guest display names: 1–100 characters. */
export const MAX_GUEST_NAME_LENGTH = 100;
/** Guest identities: `guest-` and 16 lowercase hex digits (defined with the permission rules). */
export { GUEST_IDENTITY_PATTERN } from './permissions';

/** How a stored session was created. */
export const SESSION_KINDS = ['oidc', 'dev', 'guest', 'link'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];
/** How the current caller was identified (`/session`'s `kind`). */
export const CALLER_KINDS = ['oidc', 'dev', 'guest', 'link', 'app', 'email-cookie', 'trusted-header'] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/** Claims of a session JWT (HS256 with the session key, never the room-token key). */
export const SessionClaimsSchema = Type.Object(
  {
    /** The identity: an email, or `guest-<16 hex>` for guests. Used wherever the contract says "email". */
    sub: Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH }),
    /** Display name, or null. */
    name: Nullable(Type.String()),
    /** Session id: the `sessions` row, revoked by logout. */
    sid: Type.String({ minLength: 1, maxLength: 64 }),
    /** How the session was created. */
    kind: StringEnum(SESSION_KINDS),
    /** Issued at, Unix seconds. */
    iat: Type.Integer(),
    /** Expiry, Unix seconds (`iat + SESSION_TTL_SECS`). */
    exp: Type.Integer(),
    /** Always `videocall-meeting-backend`. */
    iss: Type.Literal(SESSION_ISSUER),
    /** Always `meeting-api`. */
    aud: Type.Literal(SESSION_AUDIENCE),
    /** `link` sessions only: the join link they came from (revoking it revokes them). */
    lid: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** `link` sessions only: the one meeting id they may name. */
    room: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    /** `link` sessions only: the meeting instance of the link. */
    mid: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { title: 'SessionClaims' },
);
export type SessionClaims = Static<typeof SessionClaimsSchema>;

/** `GET /session`: who the caller is and until when. */
export const SessionResponseSchema = Type.Object(
  {
    /** The caller's identity (`guest-…` for guests). */
    email: Type.String(),
    name: Nullable(Type.String()),
    kind: StringEnum(CALLER_KINDS),
    /** Session expiry (Unix seconds); null for the email cookie and a trusted header. */
    expires_at: Nullable(Type.Integer({ description: 'Unix timestamp, seconds' })),
  },
  { title: 'SessionResponse' },
);
export type SessionResponse = Static<typeof SessionResponseSchema>;

/** `POST /login/dev` and `POST /api/v1/guest-session`: the session, plus its JWT for Bearer clients. */
export const SessionTokenResponseSchema = Type.Object(
  {
    email: Type.String(),
    name: Nullable(Type.String()),
    kind: StringEnum(CALLER_KINDS),
    expires_at: Nullable(Type.Integer({ description: 'Unix timestamp, seconds' })),
    /** The session JWT (also set as the session cookie). */
    session_token: Type.String(),
  },
  { title: 'SessionTokenResponse' },
);
export type SessionTokenResponse = Static<typeof SessionTokenResponseSchema>;

/** `GET /profile`. */
export const ProfileResponseSchema = Type.Object({ email: Type.String(), name: Nullable(Type.String()) }, { title: 'ProfileResponse' });
export type ProfileResponse = Static<typeof ProfileResponseSchema>;

/** `POST /logout` and `GET /logout`. */
export const LogoutResponseSchema = Type.Object({ message: Type.String() }, { title: 'LogoutResponse' });
export type LogoutResponse = Static<typeof LogoutResponseSchema>;

/** Body of `POST /login/dev` (JSON, or a form post from the `/login` page). */
export const DevLoginRequestSchema = Type.Object(
  {
    /** Must look like an email (`local@domain`). */
    email: Type.String({ minLength: 3, maxLength: MAX_EMAIL_LENGTH }),
    display_name: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    /** Form posts only: where to go afterwards (checked like `/login?returnTo`). */
    returnTo: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { title: 'DevLoginRequest', additionalProperties: false },
);
export type DevLoginRequest = Static<typeof DevLoginRequestSchema>;

/** Body of `POST /api/v1/guest-session`. */
export const GuestSessionRequestSchema = Type.Object(
  { display_name: Type.String({ minLength: 1, maxLength: MAX_GUEST_NAME_LENGTH }) },
  { title: 'GuestSessionRequest' },
);
export type GuestSessionRequest = Static<typeof GuestSessionRequestSchema>;

/** `GET /login?returnTo=`. */
export const LoginQuerySchema = Type.Object({ returnTo: Type.Optional(Type.String({ maxLength: 2048 })) });
export type LoginQuery = Static<typeof LoginQuerySchema>;

/** `GET /login/callback`: what the provider sends back (validated by the OIDC exchange, not here). */
export const LoginCallbackQuerySchema = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  iss: Type.Optional(Type.String({ maxLength: 2048 })),
  error: Type.Optional(Type.String({ maxLength: 512 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
});
export type LoginCallbackQuery = Static<typeof LoginCallbackQuerySchema>;

