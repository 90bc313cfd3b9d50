/**
 * What `/openapi.json` and the `/docs` page say besides the schemas the routes declare: a
 * summary, the error codes each route can answer (each with an example envelope), and an
 * example request and response. Kept here, in one table, so route files stay a few lines each.
 *
 * A route missing from the table is still documented: its summary is its method and path, and
 * its example is built from its response schema (`exampleFromSchema`). A test lists the
 * routes that rely on that fallback, so a new route gets a real entry.
 */
import { ERROR_STATUS, type ErrorCode } from 'meeting-types';

interface OperationDocs {
  summary: string;
  description?: string;
  tag: 'meetings' | 'waiting room' | 'participants' | 'sign-in' | 'operations';
  errors: ErrorCode[];
  request?: unknown;
  /** Example of the success body (absent for answers without one, e.g. a redirect). */
  response?: unknown;
  /** Answers the route does not declare as schemas (redirects, HTML), added to the document as they are. */
  responses?: Record<string, Json>;
}

type Json = Record<string, unknown>;

const AUTH: ErrorCode[] = ['UNAUTHORIZED'];
const ID: ErrorCode[] = ['UNAUTHORIZED', 'INVALID_MEETING_ID'];
const BODY: ErrorCode[] = ['INVALID_REQUEST', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'REQUEST_TIMEOUT'];
/** Every route can answer these (oversized headers, database down, a bug). */
const ALWAYS: ErrorCode[] = ['HEADERS_TOO_LARGE', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR'];

const T = 1_735_689_600; // 2025-01-01T00:00:00Z
const TOKEN = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsInJvb20iOiJzdGFuZHVwLTIwMjQi…';
const host = { email: 'host@example.com', display_name: 'Host', status: 'admitted', is_host: true, role: 'host', banned: false, joined_at: T, admitted_at: T, room_token: null };
const aliceWaiting = { email: 'alice@example.com', display_name: 'Alice', status: 'waiting', is_host: false, role: 'attendee', banned: false, joined_at: T + 60, admitted_at: null, room_token: null };
/** The settings every meeting answer carries (their defaults reproduce the original contract). */
const settings = { waiting_room_enabled: true, admit_policy: 'any_admitted', host_leave_policy: 'end_meeting', locked: false, max_participants: null, allow_guests: false, early_knock: false };
const aliceAdmitted = { ...aliceWaiting, status: 'admitted', admitted_at: T + 90 };
const ok = (result: unknown) => ({ success: true, result });
const SESSION = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsImtpbmQiOiJkZXYi…';
const redirect = (description: string, location: string): Json => ({
  description,
  headers: { Location: { schema: { type: 'string' }, example: location } },
});

export const OPERATION_DOCS: Record<string, OperationDocs> = {
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
      const first = options.find((o) => (o as Json)?.type !== 'null') ?? options[0];
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
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

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
      if (docs !== undefined) op.tags ??= [docs.tag];
      const responses = (op.responses ?? {}) as Record<string, Json>;
      for (const [code, extra] of Object.entries(docs?.responses ?? {})) responses[code] ??= extra;
      op.responses = responses;

      // Success: the table's example, else one built from the schema.
      const successCode = Object.keys(responses).find((c) => /^2\d\d$/.test(c));
      const success = successCode === undefined ? undefined : responses[successCode];
      const successMedia = success?.content as Record<string, Json> | undefined;
      for (const media of Object.values(successMedia ?? {})) media.example ??= docs?.response ?? exampleFromSchema(media.schema);
      // Meeting routes take any of the three callers' credentials (see README, Signing in).
      if (path.startsWith('/api/') && docs?.tag !== 'sign-in') op.security ??= [{ sessionCookie: [] }, { bearerSession: [] }, { emailCookie: [] }];

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
