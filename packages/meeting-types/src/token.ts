import { Type, type Static } from 'typebox';
import { MEETING_ID_MAX_LENGTH, MAX_EMAIL_LENGTH } from './requests';

/** `iss` of every room access token. */
export const ROOM_TOKEN_ISSUER = 'videocall-meeting-backend';
/** The only accepted signing algorithm. */
export const ROOM_TOKEN_ALGORITHM = 'HS256';
/** Clock leeway the Media Server allows on `exp`, in seconds. */
export const ROOM_TOKEN_MAX_LEEWAY_SECS = 60;
export const DEFAULT_TOKEN_TTL_SECS = 600;

/**
 * Claims of the room access token (JWT, HS256, key = bytes of `JWT_SECRET`).
 * Names match videocall-rs, so its media server accepts our tokens and ours accepts theirs.
 */
export const RoomAccessTokenClaimsSchema = Type.Object(
  {
    /** Participant identity: their email. */
    sub: Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH }),
    /** The meeting id the token grants access to. */
    room: Type.String({ pattern: `^[A-Za-z0-9_-]{1,${MEETING_ID_MAX_LENGTH}}$` }),
    /** Always `true`: the token grants joining the room. */
    room_join: Type.Literal(true),
    /** Whether the bearer is the meeting's host. */
    is_host: Type.Boolean(),
    /** Name to show; falls back to the email. */
    display_name: Type.String(),
    /** Issued at, Unix seconds. */
    iat: Type.Integer(),
    /** Expiry, Unix seconds (`iat + TOKEN_TTL_SECS`); gates the connection only. */
    exp: Type.Integer(),
    /** Always `videocall-meeting-backend`. */
    iss: Type.Literal(ROOM_TOKEN_ISSUER),
    /**
     * Meeting instance: the same meeting id deleted and created again is a new instance,
     * and tokens of the old one do not open it. Unknown to videocall-rs verifiers (ignored there).
     */
    mid: Type.Optional(Type.Integer({ minimum: 1 })),
    /**
     * The meeting log position (`seq`) this token reflects: a decision recorded at a later
     * position (left, rejected, removed, meeting ended or deleted) revokes it (the live-events extension).
     */
    esq: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { title: 'RoomAccessTokenClaims' },
);
export type RoomAccessTokenClaims = Static<typeof RoomAccessTokenClaimsSchema>;
