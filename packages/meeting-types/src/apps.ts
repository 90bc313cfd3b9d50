import { Type, type Static } from 'typebox';
import { Nullable, StringEnum, UnixSeconds } from './common';
import { MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH } from './requests';

/** Every API key secret starts with this: a Bearer credential with it is a key, anything else a session. */
export const API_KEY_PREFIX = 'mk_';
/** The identity an API key calls as: `app:<key id>`. Reserved: no person or link can hold it. */
export const APP_IDENTITY_PREFIX = 'app:';
export const MAX_API_KEY_NAME_LENGTH = 100;

/** Body of `POST /api/v1/api-keys`. */
export const CreateApiKeyRequestSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: MAX_API_KEY_NAME_LENGTH }) },
  { title: 'CreateApiKeyRequest', additionalProperties: false },
);
export type CreateApiKeyRequest = Static<typeof CreateApiKeyRequestSchema>;

const apiKeyFields = {
  /** The key id; the key calls the API as `app:<id>`. */
  id: Type.String(),
  name: Type.String(),
  created_at: UnixSeconds,
  /** Roughly current (updated at most once a minute); null until first used. */
  last_used_at: Nullable(UnixSeconds),
};

/** A key as listed: never its secret. */
export const ApiKeySchema = Type.Object(apiKeyFields, { title: 'ApiKey' });
export type ApiKey = Static<typeof ApiKeySchema>;

/** `POST /api/v1/api-keys`: the only answer that ever carries the secret. */
export const CreatedApiKeySchema = Type.Object(
  {
    ...apiKeyFields,
    /** `mk_` followed by 43 base64url characters (256 random bits). Shown once; only a hash is stored. */
    secret: Type.String(),
  },
  { title: 'CreatedApiKey' },
);
export type CreatedApiKey = Static<typeof CreatedApiKeySchema>;

export const ApiKeyListSchema = Type.Object({ keys: Type.Array(ApiKeySchema) }, { title: 'ApiKeyList' });
export type ApiKeyList = Static<typeof ApiKeyListSchema>;

export const ApiKeyIdParamsSchema = Type.Object({ key_id: Type.String({ maxLength: 64 }) });
export type ApiKeyIdParams = Static<typeof ApiKeyIdParamsSchema>;

/** `{ message }`: every DELETE of keys and join links. */
export const MessageResponseSchema = Type.Object({ message: Type.String() }, { title: 'MessageResponse' });
export type MessageResponse = Static<typeof MessageResponseSchema>;

export const JOIN_LINK_ROLES = ['host', 'cohost', 'attendee'] as const;
export type JoinLinkRole = (typeof JOIN_LINK_ROLES)[number];
export const JOIN_LINK_DEFAULT_TTL_SECS = 3600;
export const JOIN_LINK_MIN_TTL_SECS = 60;
export const JOIN_LINK_MAX_TTL_SECS = 604_800;

/** Body of `POST /api/v1/meetings/{id}/join-links`. */
export const CreateJoinLinkRequestSchema = Type.Object(
  {
    /** Who the person is in the meeting; `guest-…` and `app:…` are reserved. Checked by the service. */
    identity: Type.String({ maxLength: MAX_EMAIL_LENGTH }),
    display_name: Type.String({ minLength: 1, maxLength: MAX_DISPLAY_NAME_LENGTH }),
    /** Default `attendee`. A co-host may mint `cohost` and `attendee` links only. */
    role: Type.Optional(StringEnum(JOIN_LINK_ROLES)),
    /** Default false: the person waits to be admitted (unless the role is host or co-host). */
    skip_waiting_room: Type.Optional(Type.Boolean()),
    /** Default 3600; 60 to 604800. */
    expires_in_secs: Type.Optional(Type.Integer({ minimum: JOIN_LINK_MIN_TTL_SECS, maximum: JOIN_LINK_MAX_TTL_SECS })),
  },
  { title: 'CreateJoinLinkRequest', additionalProperties: false },
);
export type CreateJoinLinkRequest = Static<typeof CreateJoinLinkRequestSchema>;

export const JoinLinkSchema = Type.Object(
  {
    id: Type.String(),
    /** `<PUBLIC_URL>/j/<token>`: opening it signs the person in and lands them in the meeting. */
    url: Type.String(),
    /** The signed credential itself (for `POST /api/v1/join-links/redeem`). */
    token: Type.String(),
    expires_at: UnixSeconds,
  },
  { title: 'JoinLink' },
);
export type JoinLink = Static<typeof JoinLinkSchema>;

export const JoinLinkParamsSchema = Type.Object({ meeting_id: Type.String(), link_id: Type.String({ maxLength: 64 }) });
export type JoinLinkParams = Static<typeof JoinLinkParamsSchema>;

/** Body of `POST /api/v1/join-links/redeem`. */
export const RedeemJoinLinkRequestSchema = Type.Object({ token: Type.String() }, { title: 'RedeemJoinLinkRequest' });
export type RedeemJoinLinkRequest = Static<typeof RedeemJoinLinkRequestSchema>;

/** Claims of a join-link token (HS256 with a key derived from the session key; audience `join-link`). */
export const JOIN_LINK_AUDIENCE = 'join-link';
export const JoinLinkClaimsSchema = Type.Object(
  {
    /** The link id (its row says who, which role, and whether it was revoked). */
    lid: Type.String({ minLength: 1, maxLength: 64 }),
    /** The meeting id. */
    room: Type.String({ minLength: 1, maxLength: 255 }),
    /** The meeting instance: a deleted and re-created id refuses the link. */
    mid: Type.Integer({ minimum: 1 }),
    iat: Type.Integer(),
    exp: Type.Integer(),
    iss: Type.String(),
    aud: Type.Literal(JOIN_LINK_AUDIENCE),
  },
  { title: 'JoinLinkClaims' },
);
export type JoinLinkClaims = Static<typeof JoinLinkClaimsSchema>;
