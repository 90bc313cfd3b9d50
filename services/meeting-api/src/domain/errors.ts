import { ERROR_STATUS, MAX_ATTENDEES, type ErrorCode } from 'meeting-types';

/** The one typed error of the service; the HTTP edge maps it to the envelope. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Sent as `Retry-After` (seconds) with 429 and 503 answers. */
    readonly retryAfterSecs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = ERROR_STATUS[code];
  }
}

/**
 * A write clashed with a unique key. The storage edge turns SQLSTATE 23505 into this, so the
 * domain decides what a clash means without knowing SQL.
 */
export class ConflictError extends Error {
  constructor(cause?: unknown) {
    super('unique key conflict', { cause });
    this.name = 'ConflictError';
  }
}

export const errors = {
  unauthorized: () => new ApiError('UNAUTHORIZED', 'Authentication required. Please provide email cookie.'),
  invalidMeetingId: (why: string) => new ApiError('INVALID_MEETING_ID', `Invalid meeting ID: ${why}`),
  tooManyAttendees: (count: number) =>
    new ApiError('TOO_MANY_ATTENDEES', `Too many attendees: ${count} provided, maximum is ${MAX_ATTENDEES}`),
  meetingExists: (id: string) => new ApiError('MEETING_EXISTS', `Meeting with ID '${id}' already exists`),
  meetingNotFound: (id: string) => new ApiError('MEETING_NOT_FOUND', `Meeting '${id}' not found`),
  notOwner: (id: string) => new ApiError('NOT_OWNER', `Only the owner of meeting '${id}' can delete it`),
  meetingNotActive: (id: string) => new ApiError('MEETING_NOT_ACTIVE', `Meeting '${id}' is not active. Host must join first.`),
  invalidPassword: (id: string) => new ApiError('INVALID_PASSWORD', `Invalid or missing password for meeting '${id}'`),
  notHost: (id: string) =>
    new ApiError('NOT_HOST', `Only admitted participants of meeting '${id}' can manage its waiting room`),
  participantNotFound: (email: string, id: string) =>
    new ApiError('PARTICIPANT_NOT_FOUND', `Participant '${email}' is not in the waiting room of meeting '${id}'`),
  notInMeeting: (id: string) => new ApiError('NOT_IN_MEETING', `You are not a participant of meeting '${id}'`),
  invalidRequest: (message: string) => new ApiError('INVALID_REQUEST', message),
  notManager: (id: string, who: string) => new ApiError('NOT_HOST', `Only ${who} of meeting '${id}' can do this`),
  participantBanned: (id: string) => new ApiError('PARTICIPANT_BANNED', `You are banned from meeting '${id}'`),
  meetingLocked: (id: string) => new ApiError('MEETING_LOCKED', `Meeting '${id}' is locked: nobody new can join`),
  meetingFull: (id: string, max: number | null) =>
    new ApiError('MEETING_FULL', `Meeting '${id}' is full (${max ?? 'no'} participants at most)`),
  cannotRemoveHost: (id: string) => new ApiError('CANNOT_REMOVE_HOST', `The host of meeting '${id}' cannot be removed`),
  guestsNotAllowed: (what: string) => new ApiError('GUESTS_NOT_ALLOWED', what),
  notAdmitted: (email: string, id: string) =>
    new ApiError('PARTICIPANT_NOT_FOUND', `Participant '${email}' is not admitted to meeting '${id}'`),
  notPresent: (email: string, id: string) =>
    new ApiError('PARTICIPANT_NOT_FOUND', `Participant '${email}' is neither admitted to nor waiting in meeting '${id}'`),
  unknownParticipant: (email: string, id: string) =>
    new ApiError('PARTICIPANT_NOT_FOUND', `Participant '${email}' never joined meeting '${id}'`),
  tooManyStreams: (limit: number, scope: string) =>
    new ApiError('RATE_LIMITED', `Too many open event streams ${scope} (at most ${limit}); close one and retry`, 1),
  rateLimited: (what: string, retryAfterSecs: number) =>
    new ApiError('RATE_LIMITED', `Too many ${what}; retry in ${retryAfterSecs} s`, retryAfterSecs),
  waitingRoomFull: (id: string, cap: number) =>
    new ApiError('WAITING_ROOM_FULL', `The waiting room of meeting '${id}' is full (${cap} people); try again later`),
  tooManyWaits: (limit: number) =>
    new ApiError('RATE_LIMITED', `Too many waiting status requests of yours at once (at most ${limit}, LONG_POLLS_PER_CALLER); let one end and retry`, 1),
  meetingQuotaExceeded: (limit: number) =>
    new ApiError('MEETING_QUOTA_EXCEEDED', `You own ${limit} meetings, the most allowed (MAX_MEETINGS_PER_OWNER); delete one to create another`),
  misdirected: () =>
    new ApiError('MISDIRECTED_REQUEST', 'This server does not answer for the host this request names (see PUBLIC_URL and ALLOWED_HOSTS)'),
  operatorTokenRequired: (what: string) =>
    new ApiError('UNAUTHORIZED', `${what} needs Authorization: Bearer <METRICS_TOKEN>`),
  passwordChecksBusy: () =>
    new ApiError('SERVICE_UNAVAILABLE', 'Too many password checks in progress; retry shortly', 1),
  serviceUnavailable: () =>
    new ApiError('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable. Please retry shortly.'),
};
