/**
 * The Meeting API operations this client calls, keyed by their `operationId` in `/openapi.json`,
 * so that this client and any client generated from the document use the same names. A test
 * compares this table with the served document; `npm run lint:openapi` type-checks the client's
 * request and response types against a client generated from it.
 */
export const MEETING_API_OPERATIONS = {
  // Meetings
  listMeetings: { method: 'GET', path: '/api/v1/meetings' },
  createMeeting: { method: 'POST', path: '/api/v1/meetings' },
  getMeeting: { method: 'GET', path: '/api/v1/meetings/{meeting_id}' },
  updateMeeting: { method: 'PATCH', path: '/api/v1/meetings/{meeting_id}' },
  deleteMeeting: { method: 'DELETE', path: '/api/v1/meetings/{meeting_id}' },
  endMeeting: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/end' },
  // Joining and the waiting room
  joinMeeting: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/join' },
  getMyStatus: { method: 'GET', path: '/api/v1/meetings/{meeting_id}/status' },
  leaveMeeting: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/leave' },
  listParticipants: { method: 'GET', path: '/api/v1/meetings/{meeting_id}/participants' },
  getWaitingRoom: { method: 'GET', path: '/api/v1/meetings/{meeting_id}/waiting' },
  admitParticipant: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/admit' },
  rejectParticipant: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/reject' },
  admitAll: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/admit-all' },
  // Meeting controls
  removeParticipant: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/remove' },
  unbanParticipant: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/unban' },
  setParticipantRole: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/role' },
  transferHost: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/transfer-host' },
  // Live events
  streamMeetingEvents: { method: 'GET', path: '/api/v1/meetings/{meeting_id}/events' },
  // Sign-in
  getSession: { method: 'GET', path: '/session' },
  devLogin: { method: 'POST', path: '/login/dev' },
  createGuestSession: { method: 'POST', path: '/api/v1/guest-session' },
  getProfile: { method: 'GET', path: '/profile' },
  logout: { method: 'POST', path: '/logout' },
  // Apps: API keys and join links
  createApiKey: { method: 'POST', path: '/api/v1/api-keys' },
  listApiKeys: { method: 'GET', path: '/api/v1/api-keys' },
  revokeApiKey: { method: 'DELETE', path: '/api/v1/api-keys/{key_id}' },
  createJoinLink: { method: 'POST', path: '/api/v1/meetings/{meeting_id}/join-links' },
  revokeJoinLink: { method: 'DELETE', path: '/api/v1/meetings/{meeting_id}/join-links/{link_id}' },
  redeemJoinLink: { method: 'POST', path: '/api/v1/join-links/redeem' },
  // Operations
  getClientConfig: { method: 'GET', path: '/api/v1/client-config' },
} as const satisfies Record<string, { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string }>;

export type MeetingApiOperationId = keyof typeof MEETING_API_OPERATIONS;

/** `/api/v1/meetings/{meeting_id}/join` with `{ meeting_id: 'a b' }` → `/api/v1/meetings/a%20b/join`. */
export function operationPath(operationId: MeetingApiOperationId, params: Record<string, string> = {}): string {
  return MEETING_API_OPERATIONS[operationId].path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${operationId}: the path parameter ${name} is missing`);
    return encodeURIComponent(value);
  });
}
