import { MeetingApiError } from 'meeting-client';

/** What each error code means to a person using the app. */
export const MESSAGES: Record<string, string> = {
  UNAUTHORIZED: 'You are signed out. Please sign in again.',
  INVALID_MEETING_ID: 'That meeting id is not valid: use 1–255 letters, digits, "-" or "_".',
  TOO_MANY_ATTENDEES: 'Too many attendees: a meeting can list at most 100.',
  MEETING_EXISTS: 'A meeting with that id already exists. Pick another id, or leave it empty for a generated one.',
  MEETING_NOT_FOUND: 'There is no meeting with that id. Check the link, or ask the host for a new one.',
  NOT_OWNER: 'Only the person who created this meeting can do that.',
  MEETING_NOT_ACTIVE: 'This meeting has not started yet (or has ended). Try again once the host has joined.',
  INVALID_PASSWORD: 'That password is not right.',
  NOT_HOST: 'Only the host can do that.',
  PARTICIPANT_NOT_FOUND: 'That person is no longer in the waiting room or the meeting.',
  NOT_IN_MEETING: 'You are not part of this meeting.',
  INVALID_REQUEST: 'Something in the form is not valid.',
  PAYLOAD_TOO_LARGE: 'That is too much text.',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable. Please try again in a moment.',
  INTERNAL_ERROR: 'Something went wrong on the server. Please try again.',
  NETWORK_ERROR: 'Cannot reach the server. Check your connection and try again.',
  BAD_RESPONSE: 'The server sent an unexpected answer. Please try again.',
  RATE_LIMITED: 'Too many attempts. Please wait a moment and try again.',
  CSRF_REJECTED: 'This request was blocked for your safety. Reload the page and try again.',
  GUESTS_NOT_ALLOWED: 'This meeting does not accept guests. Please sign in.',
  GUESTS_CANNOT_CREATE: 'Guests cannot start meetings. Please sign in.',
  PARTICIPANT_BANNED: 'You have been banned from this meeting.',
  MEETING_LOCKED: 'This meeting is locked: nobody new can join right now.',
  CANNOT_REMOVE_HOST: 'The host cannot be removed.',
  MEETING_FULL: 'The meeting is full.',
  LOGIN_FAILED: 'Sign-in failed. Please try again.',
  LOGIN_EXPIRED: 'The sign-in took too long. Please try again.',
  EMAIL_NOT_VERIFIED: 'Your email address is not verified with your identity provider.',
  TOKEN_REVOKED: 'Your access to this call was withdrawn.',
  NOT_ADMIN: 'Only an administrator can manage API keys.',
  APPS_CANNOT_JOIN: 'An app cannot join a meeting itself; it invites people with join links.',
  NOT_ALLOWED_FOR_LINK: 'Your join link only lets you into its own meeting.',
  INVALID_LINK: 'This join link has expired or was revoked. Ask whoever sent it for a new one.',
  INVALID_WEBHOOK_URL: 'That webhook address is not allowed: it must be https:// and reach a public address.',
  INVALID_TOKEN: 'Your access to the call expired. Rejoin to continue.',
  TOO_MANY_CONNECTIONS: 'The call server is full. Please try again later.',
  TOO_MANY_IDENTITY_CONNECTIONS: 'You are connected to calls from too many tabs or devices. Close one and try again.',
  WAITING_ROOM_FULL: 'The waiting room is full. Please try again in a little while.',
  MEETING_QUOTA_EXCEEDED: 'You have reached the most meetings one person may keep. Delete meetings you no longer need, then try again.',
  MISDIRECTED_REQUEST: 'This server does not answer at this address. Open the address your administrator gave you.',
  REQUEST_TIMEOUT: 'The request took too long. Check your connection and try again.',
  HEADERS_TOO_LARGE: 'Your browser sent too much data (often too many cookies). Clear this site’s cookies and try again.',
  UNSUPPORTED_MEDIA_TYPE: 'The app sent something the server does not accept. Reload the page and try again.',
  METHOD_NOT_ALLOWED: 'The app asked the server for something it does not do. Reload the page and try again.',
  NOT_FOUND: 'This server does not offer that yet.',
  MISSING_TOKEN: 'Your access to the call is missing. Rejoin to continue.',
  TOKEN_REQUIRED: 'Your access to the call is missing. Rejoin to continue.',
};

/** An error (usually a {@link MeetingApiError}) as a sentence for the person using the app. */
export function humanMessage(err: unknown): string {
  if (err instanceof MeetingApiError) {
    const known = MESSAGES[err.code];
    // Validation messages from the server are specific; keep them after our sentence.
    if (err.code === 'INVALID_REQUEST' && err.message) return `${known} (${err.message})`;
    return known ?? err.message ?? 'Something went wrong.';
  }
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong.';
}
