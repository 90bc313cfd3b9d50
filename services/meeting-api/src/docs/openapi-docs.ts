/**
 * What `/openapi.json` and the `/docs` page say besides the schemas the routes declare: a
 * summary, the error codes each route can answer (each with an example envelope), and an
 * example request and response. Kept here, in one table, so route files stay a few lines each.
 *
 * A route missing from the table is still documented: its summary is its method and path, and
 * its example is built from its response schema (`exampleFromSchema`). A test lists the
 * routes that rely on that fallback, so a new route gets a real entry.
 */
import { ERROR_STATUS, MeetingEventSchema, WebhookPayloadSchema, type ErrorCode } from 'meeting-types';

/** The areas of the API: every route names one in its schema's `tags`. */
export const TAGS = [
  { name: 'meetings', description: 'Create, list, inspect, change, end and delete meetings' },
  { name: 'participants', description: 'Join, poll your status, leave, list who is in' },
  { name: 'waiting room', description: 'Admit or reject people waiting' },
  { name: 'controls', description: 'Host and co-host controls: roles, removal, bans, handing the host role on' },
  { name: 'events', description: 'What happens in a meeting, live: the event stream, and webhooks to your backend' },
  { name: 'sign-in', description: 'OIDC and development sign-in, sessions, guests, logout' },
  { name: 'operations', description: 'Health, readiness, version, metrics and client configuration' },
  { name: 'api keys', description: 'Server credentials for your backend (admins manage them)' },
  { name: 'join links', description: 'Links that put your own users into a meeting with a role' },
  { name: 'webhooks', description: 'Webhook endpoints and their delivery log' },
  { name: 'internal', description: 'Between the services (the Media Servers\' decision feed); not for clients' },
] as const;
export type Tag = (typeof TAGS)[number]['name'];

interface OperationDocs {
  summary: string;
  description?: string;
  /** The route's area: its schema declares it in `tags` (a test checks they agree). */
  tag: Tag;
  errors: ErrorCode[];
  request?: unknown;
  /** Example of the success body (absent for answers without one, e.g. a redirect). */
  response?: unknown;
  /** Answers the route does not declare as schemas (redirects, HTML), added to the document as they are. */
  responses?: Record<string, Json>;
  /** The success answer's schema is this shared component (`#/components/schemas/…`). */
  responseSchema?: string;
}

type Json = Record<string, unknown>;

const AUTH: ErrorCode[] = ['UNAUTHORIZED'];
const ID: ErrorCode[] = ['UNAUTHORIZED', 'INVALID_MEETING_ID'];
const BODY: ErrorCode[] = ['INVALID_REQUEST', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'REQUEST_TIMEOUT'];
/** Every route can answer these (oversized headers, database down, a bug). */
const ALWAYS: ErrorCode[] = ['HEADERS_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR'];

const T = 1_735_689_600; // 2025-01-01T00:00:00Z
const TOKEN = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsInJvb20iOiJzdGFuZHVwLTIwMjQi…';
const host = { email: 'host@example.com', display_name: 'Host', status: 'admitted', is_host: true, role: 'host', banned: false, connected: true, joined_at: T, admitted_at: T, room_token: null };
const aliceWaiting = { email: 'alice@example.com', display_name: 'Alice', status: 'waiting', is_host: false, role: 'attendee', banned: false, connected: false, joined_at: T + 60, admitted_at: null, room_token: null };
/** The settings every meeting answer carries (their defaults reproduce the original contract). */
const settings = { waiting_room_enabled: true, admit_policy: 'any_admitted', host_leave_policy: 'end_meeting', locked: false, max_participants: null, allow_guests: false, early_knock: false };
const aliceAdmitted = { ...aliceWaiting, status: 'admitted', admitted_at: T + 90 };
const ok = (result: unknown) => ({ success: true, result });
const SESSION = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsImtpbmQiOiJkZXYi…';
/** The meeting as events carry it (no `your_status`). */
const eventMeeting = { meeting_id: 'standup-2024', state: 'active', host: 'host@example.com', host_display_name: 'Host', has_password: false, ...settings };
const event = (seq: number, type: string, actor: string | null, payload: Json) => ({ seq, type, meeting_id: 'standup-2024', occurred_at: T + seq * 30, actor, ...payload });

/** One example per event type, as the event stream's `data:` line and a webhook's `data` carry it. */
export const EVENT_EXAMPLES: Record<string, Json> = {
  'meeting.activated': event(1, 'meeting.activated', 'host@example.com', { meeting: eventMeeting }),
  'participant.waiting': event(2, 'participant.waiting', 'alice@example.com', { participant: aliceWaiting }),
  'participant.admitted': event(3, 'participant.admitted', 'host@example.com', { participant: aliceAdmitted }),
  'participant.role_changed': event(4, 'participant.role_changed', 'host@example.com', { participant: { ...aliceAdmitted, role: 'cohost' } }),
  'meeting.updated': event(5, 'meeting.updated', 'host@example.com', { meeting: { ...eventMeeting, locked: true } }),
  'participant.rejected': event(6, 'participant.rejected', 'host@example.com', {
    participant: { ...aliceWaiting, email: 'mallory@example.com', display_name: 'Mallory', status: 'rejected', banned: true },
  }),
  'participant.removed': event(7, 'participant.removed', 'host@example.com', { participant: { ...aliceAdmitted, status: 'removed' } }),
  'participant.left': event(8, 'participant.left', 'alice@example.com', { participant: { ...aliceAdmitted, status: 'left' } }),
  'participant.connected': event(8, 'participant.connected', null, { participant: { ...aliceAdmitted, connected: true, room_token: null } }),
  'participant.disconnected': event(9, 'participant.disconnected', null, { participant: { ...aliceAdmitted, connected: false, room_token: null } }),
  'meeting.ended': event(9, 'meeting.ended', 'host@example.com', { meeting: { ...eventMeeting, state: 'ended' } }),
  'meeting.deleted': event(10, 'meeting.deleted', 'host@example.com', {}),
};

/** The event types of the meeting log, from its schema (a type added there is documented here too). */
function eventMembers(): Array<{ type: string; schema: Json }> {
  return ((MeetingEventSchema as unknown as { anyOf: Json[] }).anyOf ?? []).map((schema) => ({
    type: String(((schema.properties as Record<string, Json>).type as Json).const),
    schema,
  }));
}

/** `participant.role_changed` → `ParticipantRoleChangedEvent`: the component name of an event type. */
export function eventComponentName(type: string): string {
  return `${type.split(/[._]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}Event`;
}

function eventExample(type: string, schema: Json): unknown {
  return EVENT_EXAMPLES[type] ?? exampleFromSchema(schema);
}

const redirect = (description: string, location: string): Json => ({
  description,
  headers: { Location: { schema: { type: 'string' }, example: location } },
});

const apiKey = { id: '3f9a1c2b7d4e5f60', name: 'clinic portal', created_at: T, last_used_at: null };
const joinLink = { id: '9c1d2e3f4a5b6c7d', url: 'https://meet.example.com/j/eyJhbGciOiJIUzI1NiJ9.eyJsaWQiOiI5YzFk…', token: 'eyJhbGciOiJIUzI1NiJ9.eyJsaWQiOiI5YzFk…', expires_at: T + 3600 };

export const OPERATION_DOCS: Record<string, OperationDocs> = {
  'POST /api/v1/api-keys': {
    summary: 'Create an API key (admins)',
    description: 'The secret (`mk_…`) is in this answer only; a SHA-256 of it is stored. The key calls the API as `Authorization: Bearer mk_…`, identity `app:<id>`.',
    tag: 'api keys',
    errors: [...AUTH, 'NOT_ADMIN', ...BODY],
    request: { name: 'clinic portal' },
    response: ok({ ...apiKey, secret: 'mk_3q2-7wLk0cX1vQy9bZr4TnA8sUe6hJm5pGdF2oKiRxY' }),
  },
  'GET /api/v1/api-keys': {
    summary: 'List API keys (admins)',
    description: 'Keys not revoked, oldest first, never with their secrets.',
    tag: 'api keys',
    errors: [...AUTH, 'NOT_ADMIN'],
    response: ok({ keys: [apiKey] }),
  },
  'DELETE /api/v1/api-keys/{key_id}': {
    summary: 'Revoke an API key (admins)',
    description: 'Idempotent. Every API instance refuses the key within a few seconds.',
    tag: 'api keys',
    errors: [...AUTH, 'NOT_ADMIN'],
    response: ok({ message: "API key '3f9a1c2b7d4e5f60' is revoked" }),
  },
  'POST /api/v1/meetings/{meeting_id}/join-links': {
    summary: 'Mint a join link for one person',
    description: 'The creating key, the owner or the host (any role); a co-host (`cohost`, `attendee`). Opening `url` signs the person in for this meeting only.',
    tag: 'join links',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', ...BODY],
    request: { identity: 'sam@clinic.example', display_name: 'Sam', role: 'attendee', skip_waiting_room: false, expires_in_secs: 3600 },
    response: ok(joinLink),
  },
  'DELETE /api/v1/meetings/{meeting_id}/join-links/{link_id}': {
    summary: 'Revoke a join link',
    description: 'The link and every session opened with it stop working (on every instance within seconds).',
    tag: 'join links',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', 'NOT_FOUND'],
    response: ok({ message: "Join link '9c1d2e3f4a5b6c7d' is revoked" }),
  },
  'POST /api/v1/join-links/redeem': {
    summary: 'Redeem a join link',
    description: 'A session (kind `link`) usable only for the link\'s meeting, also set as the session cookie. Rate-limited per client address.',
    tag: 'join links',
    errors: ['INVALID_LINK', 'RATE_LIMITED', ...BODY],
    request: { token: 'eyJhbGciOiJIUzI1NiJ9.eyJsaWQiOiI5YzFk…' },
    response: ok({ email: 'sam@clinic.example', name: 'Sam', kind: 'link', expires_at: T + 3600, session_token: SESSION }),
  },
  'GET /api/v1/meetings': {
    summary: 'List your meetings',
    description: 'Meetings you own, newest first. `limit` is clamped to 1–100 (default 20), a negative `offset` becomes 0.',
    tag: 'meetings',
    errors: [...AUTH, 'INVALID_REQUEST'],
    response: ok({
      meetings: [
        { meeting_id: 'standup-2024', host: 'host@example.com', state: 'active', has_password: false, ...settings, created_at: T, participant_count: 2, started_at: T, ended_at: null, waiting_count: 1 },
      ],
      total: 1,
      limit: 20,
      offset: 0,
    }),
  },
  'POST /api/v1/meetings': {
    summary: 'Create a meeting',
    description: 'Creates an idle meeting owned by the caller. `meeting_id` is generated (12 characters) when omitted; a password is stored as an Argon2id hash.',
    tag: 'meetings',
    errors: [...AUTH, 'INVALID_MEETING_ID', 'TOO_MANY_ATTENDEES', 'MEETING_EXISTS', ...BODY],
    request: { meeting_id: 'standup-2024', attendees: ['alice@example.com'], password: 'hunter2' },
    response: ok({ meeting_id: 'standup-2024', host: 'host@example.com', created_at: T, state: 'idle', attendees: ['alice@example.com'], has_password: true, ...settings }),
  },
  'GET /api/v1/meetings/{meeting_id}': {
    summary: 'Meeting info',
    description: 'The meeting and the caller\'s own participant row (`your_status`, token always null), or null if they never joined.',
    tag: 'meetings',
    errors: [...ID, 'MEETING_NOT_FOUND'],
    response: ok({ meeting_id: 'standup-2024', state: 'active', host: 'host@example.com', host_display_name: 'Host', has_password: false, ...settings, your_status: aliceWaiting }),
  },
  'DELETE /api/v1/meetings/{meeting_id}': {
    summary: 'Delete a meeting',
    description: 'Soft delete, owner only; the id becomes free again.',
    tag: 'meetings',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_OWNER'],
    response: ok({ message: 'Meeting deleted' }),
  },
  'POST /api/v1/meetings/{meeting_id}/join': {
    summary: 'Join (or create and start) a meeting',
    description:
      'The host joining activates the meeting and gets a room token at once; anyone else enters the waiting room. Joining an unknown id creates it with the caller as host. The body is optional.',
    tag: 'participants',
    errors: [...ID, 'MEETING_NOT_ACTIVE', 'INVALID_PASSWORD', 'RATE_LIMITED', 'WAITING_ROOM_FULL', ...BODY],
    request: { display_name: 'Alice', password: 'hunter2' },
    response: ok({ ...host, room_token: TOKEN }),
  },
  'GET /api/v1/meetings/{meeting_id}/waiting': {
    summary: 'The waiting room',
    description: 'Who is waiting, in arrival order (`limit`/`offset` page it). Admitted participants only.',
    tag: 'waiting room',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST'],
    response: ok({ meeting_id: 'standup-2024', waiting: [aliceWaiting] }),
  },
  'POST /api/v1/meetings/{meeting_id}/admit': {
    summary: 'Admit one waiting participant',
    tag: 'waiting room',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', 'PARTICIPANT_NOT_FOUND', ...BODY],
    request: { email: 'alice@example.com' },
    response: ok(aliceAdmitted),
  },
  'POST /api/v1/meetings/{meeting_id}/reject': {
    summary: 'Reject one waiting participant',
    tag: 'waiting room',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', 'PARTICIPANT_NOT_FOUND', ...BODY],
    request: { email: 'alice@example.com' },
    response: ok({ ...aliceWaiting, status: 'rejected' }),
  },
  'POST /api/v1/meetings/{meeting_id}/admit-all': {
    summary: 'Admit everyone waiting',
    description: 'Atomic: everyone waiting at that moment is admitted.',
    tag: 'waiting room',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST'],
    response: ok({ admitted_count: 1, admitted: [aliceAdmitted] }),
  },
  'GET /api/v1/meetings/{meeting_id}/status': {
    summary: 'Your status (poll while waiting)',
    description: 'The caller\'s row; while admitted in an active meeting it carries a freshly minted `room_token` for the Media Server.',
    tag: 'participants',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_IN_MEETING'],
    response: ok({ ...aliceAdmitted, room_token: TOKEN }),
  },
  'POST /api/v1/meetings/{meeting_id}/leave': {
    summary: 'Leave',
    description: 'The host leaving (or the last admitted participant) ends the meeting.',
    tag: 'participants',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_IN_MEETING'],
    response: ok({ ...aliceAdmitted, status: 'left' }),
  },
  'GET /api/v1/meetings/{meeting_id}/participants': {
    summary: 'Admitted participants',
    description: 'Everyone admitted, by admission time (`limit`/`offset` page it).',
    tag: 'participants',
    errors: [...ID, 'MEETING_NOT_FOUND'],
    response: ok([host, aliceAdmitted]),
  },
  'GET /login': {
    summary: 'Start sign-in',
    description:
      'With `OIDC_ISSUER`: a redirect to the identity provider (authorization code flow with PKCE S256, state and nonce kept server-side for 10 minutes). Without it, outside production: the development sign-in form. `returnTo` must be a relative path or an origin in `ALLOWED_REDIRECT_URLS`.',
    tag: 'sign-in',
    errors: ['NOT_FOUND', 'RATE_LIMITED'],
    responses: {
      '302': redirect('To the identity provider', 'https://idp.example.com/authorize?response_type=code&client_id=meeting-api&code_challenge_method=S256&…'),
      '200': { description: 'The development sign-in form', content: { 'text/html': { schema: { type: 'string' }, example: '<!doctype html><form method="post" action="/login/dev">…</form>' } } },
    },
  },
  'GET /login/callback': {
    summary: 'Come back from the identity provider',
    description: 'Verifies `state`, exchanges the code, verifies the ID token (issuer, audience, nonce, `email_verified`), creates the session, sets its cookie and redirects to `returnTo`.',
    tag: 'sign-in',
    errors: ['INVALID_REQUEST', 'LOGIN_FAILED', 'LOGIN_EXPIRED', 'EMAIL_NOT_VERIFIED', 'NOT_FOUND', 'RATE_LIMITED'],
    responses: { '302': redirect('Signed in: the session cookie is set', '/meetings') },
  },
  'POST /login/dev': {
    summary: 'Development sign-in',
    description: 'Outside production and without `OIDC_ISSUER` only: a `dev` session for any email. JSON answers like `/session` plus `session_token`; a form post gets 303 to `returnTo`.',
    tag: 'sign-in',
    errors: ['INVALID_REQUEST', 'CSRF_REJECTED', 'NOT_FOUND', 'RATE_LIMITED', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'],
    request: { email: 'alice@example.com', display_name: 'Alice' },
    response: ok({ email: 'alice@example.com', name: 'Alice', kind: 'dev', expires_at: T + 604_800, session_token: SESSION }),
  },
  'GET /session': {
    summary: 'Who you are',
    description: 'The caller\'s identity, how they authenticated (`oidc`, `dev`, `guest`, `email-cookie`, `trusted-header`) and when the session expires.',
    tag: 'sign-in',
    errors: ['UNAUTHORIZED'],
    response: ok({ email: 'alice@example.com', name: 'Alice', kind: 'oidc', expires_at: T + 604_800 }),
  },
  'GET /profile': {
    summary: 'Your email and name',
    tag: 'sign-in',
    errors: ['UNAUTHORIZED'],
    response: ok({ email: 'alice@example.com', name: 'Alice' }),
  },
  'POST /logout': {
    summary: 'Sign out',
    description: 'Revokes the session on every API instance and clears its cookie; idempotent.',
    tag: 'sign-in',
    errors: ['CSRF_REJECTED'],
    response: ok({ message: 'Signed out' }),
  },
  'GET /logout': {
    summary: 'Sign out (GET, for videocall-rs clients)',
    description: 'Same as `POST /logout`.',
    tag: 'sign-in',
    errors: [],
    response: ok({ message: 'Signed out' }),
  },
  'POST /api/v1/guest-session': {
    summary: 'Guest session',
    description: 'A `guest` session (identity `guest-<16 hex>`): guests can knock at meetings that allow guests, never create or host. Rate limited per address.',
    tag: 'sign-in',
    errors: ['INVALID_REQUEST', 'CSRF_REJECTED', 'RATE_LIMITED', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'],
    request: { display_name: 'Visitor' },
    response: ok({ email: 'guest-9f2c4e1ab37d6058', name: 'Visitor', kind: 'guest', expires_at: T + 604_800, session_token: SESSION }),
  },
  'GET /healthz': { summary: 'Liveness', description: 'The process is up.', tag: 'operations', errors: [], response: ok({ status: 'ok' }) },
  'GET /readyz': {
    summary: 'Readiness',
    description: 'The database answers `SELECT 1` (503 `SERVICE_UNAVAILABLE` when it does not).',
    tag: 'operations',
    errors: [],
    response: ok({ status: 'ready' }),
  },
  'GET /version': {
    summary: 'Build and runtime version',
    description: 'Service name, package version, the git commit it was built from (null when unknown) and the Node.js version.',
    tag: 'operations',
    errors: [],
    response: ok({ name: 'meeting-api', version: '1.0.0', commit: '4e79fc3d0c6a2f5b8e1d9a7c3b2f1e0d9c8b7a6f', node: 'v20.20.2' }),
  },
  'PATCH /api/v1/meetings/{meeting_id}': {
    summary: 'Change the meeting settings',
    description: 'Any subset of the settings, and the password (`null` or `""` removes it). Owner, host or co-host.',
    tag: 'meetings',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', ...BODY],
    request: { locked: true, max_participants: 50 },
    response: ok({ meeting_id: 'standup-2024', state: 'active', host: 'host@example.com', host_display_name: 'Host', has_password: false, ...settings, locked: true, max_participants: 50, your_status: { ...host, room_token: null } }),
  },
  'POST /api/v1/meetings/{meeting_id}/end': {
    summary: 'End the meeting for everyone',
    description: 'Every participant leaves and every room token of the meeting is revoked. Owner or host.',
    tag: 'meetings',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST'],
    response: ok({ meeting_id: 'standup-2024', state: 'ended', host: 'host@example.com', host_display_name: 'Host', has_password: false, ...settings, your_status: { ...host, status: 'left' } }),
  },
  'POST /api/v1/meetings/{meeting_id}/remove': {
    summary: 'Remove a participant',
    description: 'Takes an admitted or waiting participant out (`ban: true` also bans them from this meeting); their room tokens are revoked.',
    tag: 'controls',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', 'PARTICIPANT_NOT_FOUND', 'CANNOT_REMOVE_HOST', ...BODY],
    request: { email: 'alice@example.com', ban: true },
    response: ok({ ...aliceAdmitted, status: 'removed', banned: true }),
  },
  'POST /api/v1/meetings/{meeting_id}/unban': {
    summary: 'Lift a ban',
    tag: 'controls',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', 'PARTICIPANT_NOT_FOUND', ...BODY],
    request: { email: 'alice@example.com' },
    response: ok({ ...aliceAdmitted, status: 'removed', banned: false }),
  },
  'POST /api/v1/meetings/{meeting_id}/role': {
    summary: 'Make a participant co-host or attendee',
    description: 'The host role itself moves only with `transfer-host`.',
    tag: 'controls',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', 'PARTICIPANT_NOT_FOUND', ...BODY],
    request: { email: 'alice@example.com', role: 'cohost' },
    response: ok({ ...aliceAdmitted, role: 'cohost' }),
  },
  'POST /api/v1/meetings/{meeting_id}/transfer-host': {
    summary: 'Hand the host role on',
    description: 'To an admitted participant.',
    tag: 'controls',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_HOST', 'PARTICIPANT_NOT_FOUND', ...BODY],
    request: { email: 'alice@example.com' },
    response: ok({ ...aliceAdmitted, role: 'host', is_host: true }),
  },
  'GET /api/v1/meetings/{meeting_id}/events': {
    summary: 'Live meeting events (Server-Sent Events)',
    tag: 'events',
    errors: [...ID, 'MEETING_NOT_FOUND', 'NOT_IN_MEETING', 'INVALID_REQUEST', 'RATE_LIMITED'],
    responseSchema: 'MeetingEvent',
  },
  'GET /api/v1/client-config': {
    summary: 'What a browser client needs to know',
    description: 'The Media Server\'s public address. No authentication.',
    tag: 'operations',
    errors: [],
    response: ok({ media_server_url: 'wss://media.example.com' }),
  },
  'GET /metrics': {
    summary: 'Prometheus metrics',
    description: 'Text exposition format; not authenticated (restrict it at the network edge). `METRICS=false` turns it off. The metric list is in the README.',
    tag: 'operations',
    errors: [],
    response: '# HELP meeting_api_tokens_minted_total Room access tokens signed\n# TYPE meeting_api_tokens_minted_total counter\nmeeting_api_tokens_minted_total 42\n',
  },
};

const ERROR_MESSAGES: Partial<Record<ErrorCode, string>> = {
  UNAUTHORIZED: 'Authentication required. Please provide email cookie.',
  MEETING_NOT_FOUND: 'Meeting not found: standup-2024',
  INVALID_REQUEST: 'body must have required property \'email\'',
  SERVICE_UNAVAILABLE: 'The database is unavailable; try again shortly',
  INTERNAL_ERROR: 'Internal server error',
};

function errorExample(code: ErrorCode) {
  return {
    summary: `${ERROR_STATUS[code]} ${code}`,
    value: { success: false, result: { code, message: ERROR_MESSAGES[code] ?? code.toLowerCase().replace(/_/g, ' ') } },
  };
}

/** A plausible value for a JSON schema: enough for an example when the table has none. */
export function exampleFromSchema(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return null;
  const s = schema as Json;
  if ('example' in s) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = s[key];
    if (Array.isArray(options)) {
      const first: unknown = options.find((o) => (o as Json)?.type !== 'null') ?? options[0];
      return exampleFromSchema(first, depth + 1);
    }
  }
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, exampleFromSchema(v, depth + 1)]));
    }
    case 'array':
      return [exampleFromSchema(s.items, depth + 1)];
    case 'string': {
      if (s.format === 'email') return 'alice@example.com';
      if (s.format === 'uri' || s.format === 'url') return 'https://example.com';
      if (s.format === 'date-time') return '2025-01-01T00:00:00Z';
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
      return 'string'.padEnd(min, 'x').slice(0, max);
    }
    case 'integer':
    case 'number': {
      let value = typeof s.minimum === 'number' ? s.minimum : 0;
      if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) value = Math.floor(s.exclusiveMinimum) + 1;
      if (typeof s.maximum === 'number' && value > s.maximum) value = s.maximum;
      return value;
    }
    case 'boolean':
      return true;
    default:
      return null;
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/**
 * Every way a caller is identified. A route names the ones it accepts in its schema's
 * `security` (see `routes/schemas.ts`: `PUBLIC`, `SIGNED_IN`, `SIGNED_IN_OR_API_KEY`).
 */
export function securitySchemes(sessionCookieName: string): Record<string, Json> {
  return {
    sessionCookie: {
      type: 'apiKey',
      in: 'cookie',
      name: sessionCookieName,
      description: `The session cookie set by sign-in (\`${sessionCookieName}\`, SESSION_COOKIE_NAME). A state change carried by a cookie must come from an allowed origin.`,
    },
    bearerSession: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The `session_token` of `POST /login/dev` or `POST /api/v1/guest-session`, as `Authorization: Bearer <token>`.',
    },
    emailCookie: {
      type: 'apiKey',
      in: 'cookie',
      name: 'email',
      description: 'Development only (EMAIL_COOKIE_AUTH, off by default in production): the `email` cookie names the caller with no proof.',
    },
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'mk_…',
      description: "An app's API key, `Authorization: Bearer mk_…` (told apart from a session token by its `mk_` prefix). Accepted by the routes that list it.",
    },
    metricsToken: {
      type: 'http',
      scheme: 'bearer',
      description: 'Operators only: `METRICS_TOKEN`, as `Authorization: Bearer <token>`. In development without one, `/metrics` is open.',
    },
    decisionFeed: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: '<exp>.<HMAC>',
      description: 'Media Servers only: a short-lived credential derived from JWT_SECRET.',
    },
  };
}

export interface OpenApiBase {
  version: string;
  /** PUBLIC_URL: the document's only server. */
  publicUrl: string;
  sessionCookieName: string;
}

/**
 * The `openapi` option of @fastify/swagger: everything but the paths (those come from the
 * routes' schemas): info, the server, tags, security schemes, the event schemas and the webhooks.
 */
export function openapiBase({ version, publicUrl, sessionCookieName }: OpenApiBase): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Meeting API',
      version,
      description:
        'Meetings, the waiting room and room access tokens for self-hosted video calls. Every response is `{"success": bool, "result": …}`; ' +
        'a failure carries `{"code", "message"}` (each operation lists its codes, with an example of each). ' +
        'Meeting routes take a session (cookie or Bearer) or, in development, the `email` cookie. ' +
        'Every route with examples: docs/api.md in the repository; decisions where the original contract is silent: docs/decisions.md; variables: docs/configuration.md.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: publicUrl, description: 'This deployment (PUBLIC_URL)' }],
    tags: TAGS.map((t) => ({ ...t })),
    components: { securitySchemes: securitySchemes(sessionCookieName), schemas: eventComponents() },
    webhooks: webhooks(),
  };
}

/** Plain JSON of a TypeBox schema. */
function json(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

/** One component per event type, and `MeetingEvent`: any of them, told apart by `type`. */
function eventComponents(): Record<string, Json> {
  const members = eventMembers();
  const components: Record<string, Json> = {};
  for (const { type, schema } of members) components[eventComponentName(type)] = { ...json(schema), title: eventComponentName(type) };
  const ref = (type: string) => `#/components/schemas/${eventComponentName(type)}`;
  components.MeetingEvent = {
    title: 'MeetingEvent',
    description: 'One event of a meeting\'s log: the `data:` line of the event stream, and `data` of a webhook delivery.',
    oneOf: members.map(({ type }) => ({ $ref: ref(type) })),
    discriminator: { propertyName: 'type', mapping: Object.fromEntries(members.map(({ type }) => [type, ref(type)])) },
  };
  const payload = json(WebhookPayloadSchema);
  (payload.properties as Json).data = { $ref: '#/components/schemas/MeetingEvent' };
  components.WebhookPayload = payload;
  return components;
}

/** Named examples, one per event type. */
function eventExamples(wrap: (event: unknown, type: string) => unknown = (e) => e): Record<string, Json> {
  return Object.fromEntries(
    eventMembers().map(({ type, schema }) => [type, { summary: type, value: wrap(eventExample(type, schema), type) }]),
  );
}

/** Webhook deliveries (Standard Webhooks): what your endpoint receives, one POST per event. */
function webhooks(): Json {
  const header = (name: string, description: string, example: string) => ({ name, in: 'header', required: true, description, schema: { type: 'string' }, example });
  return {
    meetingEvent: {
      post: {
        operationId: 'receiveMeetingEvent',
        summary: 'A meeting event, delivered to your endpoint',
        description:
          'One POST per event of the meeting log that the endpoint subscribes to, in order per meeting, at least once. ' +
          '`data` is the event exactly as the event stream carries it. Verify `webhook-signature` with the endpoint\'s secret ' +
          '(Standard Webhooks); `webhook-id` stays the same across retries.',
        tags: ['events'],
        security: [],
        parameters: [
          header('webhook-id', 'Stable across retries: the meeting instance and the event seq', 'msg_standup-2024_2'),
          header('webhook-timestamp', 'When this attempt was sent, Unix seconds', String(T + 61)),
          header('webhook-signature', '`v1,<base64 HMAC-SHA256>` with the endpoint secret', 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='),
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/WebhookPayload' },
              examples: eventExamples((data, type) => ({ type, timestamp: T + 61, data })),
            },
          },
        },
        responses: {
          '200': { description: 'Any 2xx: received. Anything else, or no answer within 10 s, is retried with back-off' },
        },
      },
    },
  };
}

/**
 * `transformObject` for @fastify/swagger: adds the table's summaries, tags, error codes and
 * examples to the generated document, and fills the gaps for routes the table does not know.
 */
export function documentOperations(doc: Json): Json {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      const key = `${method.toUpperCase()} ${path}`;
      const docs = OPERATION_DOCS[key];
      op.summary ??= docs?.summary ?? key;
      if (docs?.description !== undefined) op.description ??= docs.description;
      const responses = (op.responses ?? {}) as Record<string, Json>;
      for (const [code, extra] of Object.entries(docs?.responses ?? {})) responses[code] ??= extra;
      op.responses = responses;

      // Success: the table's example, else one built from the schema (the event stream: one per event type).
      const successCode = Object.keys(responses).find((c) => /^2\d\d$/.test(c));
      const success = successCode === undefined ? undefined : responses[successCode];
      const successMedia = success?.content as Record<string, Json> | undefined;
      for (const media of Object.values(successMedia ?? {})) {
        if (docs?.responseSchema !== undefined) {
          media.schema = { $ref: `#/components/schemas/${docs.responseSchema}` };
          if (docs.responseSchema === 'MeetingEvent') media.examples ??= eventExamples();
        }
        if (media.examples === undefined) media.example ??= docs?.response ?? exampleFromSchema(media.schema);
      }

      // Request body.
      const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
      for (const media of Object.values(body ?? {})) media.example ??= docs?.request ?? exampleFromSchema(media.schema);

      // Errors: one named example per code, under the status class that carries it.
      const codes = [...new Set([...(docs?.errors ?? []), ...(key.startsWith('GET /healthz') ? [] : ALWAYS)])];
      if (codes.length > 0) {
        op.description = `${(op.description as string | undefined) ?? ''}${op.description ? '\n\n' : ''}Errors: ${codes
          .map((c) => `${ERROR_STATUS[c]} \`${c}\``)
          .join(', ')}.`;
      }
      for (const cls of ['4', '5']) {
        const response = responses[`${cls}XX`] ?? responses[`${cls}xx`];
        const media = (response?.content as Record<string, Json> | undefined)?.['application/json'];
        if (media === undefined) continue;
        const mine = codes.filter((c) => String(ERROR_STATUS[c]).startsWith(cls));
        if (mine.length > 0) media.examples ??= Object.fromEntries(mine.map((c) => [c, errorExample(c)]));
      }
    }
  }
  return doc;
}
