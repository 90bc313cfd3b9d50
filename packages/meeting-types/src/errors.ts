import { Type, type Static } from 'typebox';

/** Every error code either service can return, with the HTTP status it is sent with. */
export const ERROR_STATUS = {
  UNAUTHORIZED: 401,
  INVALID_MEETING_ID: 400,
  TOO_MANY_ATTENDEES: 400,
  MEETING_EXISTS: 409,
  MEETING_NOT_FOUND: 404,
  NOT_OWNER: 403,
  MEETING_NOT_ACTIVE: 400,
  INVALID_PASSWORD: 403,
  NOT_HOST: 403,
  PARTICIPANT_NOT_FOUND: 404,
  NOT_IN_MEETING: 404,
  INVALID_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  // Sign-in and cross-site safety (the sign-in extension)
  CSRF_REJECTED: 403,
  GUESTS_NOT_ALLOWED: 403,
  GUESTS_CANNOT_CREATE: 403,
  EMAIL_NOT_VERIFIED: 403,
  // Meeting controls (the meeting-controls extension)
  PARTICIPANT_BANNED: 403,
  MEETING_LOCKED: 403,
  CANNOT_REMOVE_HOST: 403,
  MEETING_FULL: 409,
  RATE_LIMITED: 429,
  LOGIN_FAILED: 400,
  LOGIN_EXPIRED: 400,
  WAITING_ROOM_FULL: 409,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  // Exposure: a Host this deployment does not serve, an owner's meeting quota
  MISDIRECTED_REQUEST: 421,
  MEETING_QUOTA_EXCEEDED: 403,
  // Media Server
  MISSING_TOKEN: 400,
  INVALID_TOKEN: 401,
  TOKEN_REQUIRED: 410,
  TOO_MANY_CONNECTIONS: 503,
  TOO_MANY_IDENTITY_CONNECTIONS: 429,
  // Live events (the live-events extension)
  TOKEN_REVOKED: 403,
  // API keys and join links
  NOT_ADMIN: 403,
  APPS_CANNOT_JOIN: 403,
  NOT_ALLOWED_FOR_LINK: 403,
  INVALID_LINK: 401,
  INVALID_WEBHOOK_URL: 400,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/** Error payload carried in `result` of a failed response. */
export const APIErrorSchema = Type.Object(
  {
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: ERROR_CODES }),
    message: Type.String(),
    /** Only on 500 `INTERNAL_ERROR`; never a secret or a stack trace. */
    engineering_error: Type.Optional(Type.String()),
  },
  { title: 'APIError' },
);
export type APIError = Static<typeof APIErrorSchema>;

/** The envelope of every failed response. */
export const ErrorResponseSchema = Type.Object({
  success: Type.Literal(false),
  result: APIErrorSchema,
});
export type ErrorResponse = Static<typeof ErrorResponseSchema>;
