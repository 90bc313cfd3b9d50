import type {
  ApiKey,
  CreatedApiKey,
  CreateJoinLinkRequest,
  JoinLink,
  MessageResponse,
  SessionTokenResponse,
  AdmitAllResponse,
  CreateMeetingRequest,
  CreateMeetingResponse,
  ClientConfigResponse,
  DeleteMeetingResponse,
  DevLoginRequest,
  GuestSessionRequest,
  LogoutResponse,
  ProfileResponse,
  JoinMeetingRequest,
  ListMeetingsQuery,
  ListMeetingsResponse,
  ParticipantListResponse,
  WaitingRoomResponse,
} from 'meeting-types';
import { MeetingApiError, parseEnvelope } from './errors';
import { openEventStream, type EventStream, type EventStreamHandlers } from './events';
import type { MeetingInfo, Participant, ParticipantRole, SessionGrant, SessionInfo, UpdateMeetingRequest } from './extensions';

export interface MeetingClientOptions {
  /** Origin of the Meeting API, e.g. `http://127.0.0.1:8081`; `''` (default) is the page's own origin. */
  baseUrl?: string;
  /** Headers sent with every request: `{ cookie: 'email=…' }` from Node, `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** A server's API key (`mk_…`), sent as `Authorization: Bearer`: a backend calling as `app:<key id>`. */
  apiKey?: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * A typed client for the whole Meeting API. Every method resolves with the
 * envelope's `result` or rejects with a {@link MeetingApiError} carrying its `code`.
 */
export class MeetingClient {
  readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;

  constructor(options: MeetingClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
    this.headers = { ...options.headers };
    if (options.apiKey !== undefined) this.headers.authorization = `Bearer ${options.apiKey}`;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** A client with extra headers (another user in a test, a Bearer token). */
  with(headers: Record<string, string>): MeetingClient {
    return new MeetingClient({ baseUrl: this.baseUrl, headers: { ...this.headers, ...headers }, fetch: this.fetchImpl });
  }

  // Meetings
  listMeetings(query: ListMeetingsQuery = {}): Promise<ListMeetingsResponse> {
    return this.request('GET', '/api/v1/meetings', undefined, query);
  }
  createMeeting(body: CreateMeetingRequest & UpdateMeetingRequest = {}): Promise<CreateMeetingResponse> {
    return this.request('POST', '/api/v1/meetings', body);
  }
  getMeeting(id: string): Promise<MeetingInfo> {
    return this.request('GET', meeting(id));
  }
  deleteMeeting(id: string): Promise<DeleteMeetingResponse> {
    return this.request('DELETE', meeting(id));
  }

  // Joining and the waiting room
  join(id: string, body: JoinMeetingRequest = {}): Promise<Participant> {
    return this.request('POST', `${meeting(id)}/join`, body);
  }
  /** The caller's row; with `wait` (0–60 s) held while waiting, where the server supports the long-poll. */
  status(id: string, options: { wait?: number; signal?: AbortSignal } = {}): Promise<Participant> {
    return this.request('GET', `${meeting(id)}/status`, undefined, options.wait === undefined ? {} : { wait: options.wait }, options.signal);
  }
  leave(id: string): Promise<Participant> {
    return this.request('POST', `${meeting(id)}/leave`);
  }
  waiting(id: string): Promise<WaitingRoomResponse> {
    return this.request('GET', `${meeting(id)}/waiting`);
  }
  admit(id: string, email: string): Promise<Participant> {
    return this.request('POST', `${meeting(id)}/admit`, { email });
  }
  /** `ban` needs the meeting controls on the server. */
  reject(id: string, email: string, options: { ban?: boolean } = {}): Promise<Participant> {
    return this.request('POST', `${meeting(id)}/reject`, options.ban ? { email, ban: true } : { email });
  }
  admitAll(id: string): Promise<AdmitAllResponse> {
    return this.request('POST', `${meeting(id)}/admit-all`);
  }
  participants(id: string): Promise<ParticipantListResponse> {
    return this.request('GET', `${meeting(id)}/participants`);
  }

  // Meeting controls (EXTENSIONS.md §C)
  updateMeeting(id: string, patch: UpdateMeetingRequest): Promise<MeetingInfo> {
    return this.request('PATCH', meeting(id), patch);
  }
  endMeeting(id: string): Promise<MeetingInfo> {
    return this.request('POST', `${meeting(id)}/end`);
  }
  remove(id: string, email: string, options: { ban?: boolean } = {}): Promise<Participant> {
    return this.request('POST', `${meeting(id)}/remove`, options.ban ? { email, ban: true } : { email });
  }
  unban(id: string, email: string): Promise<Participant> {
    return this.request('POST', `${meeting(id)}/unban`, { email });
  }
  setRole(id: string, email: string, role: Exclude<ParticipantRole, 'host'>): Promise<Participant> {
    return this.request('POST', `${meeting(id)}/role`, { email, role });
  }
  transferHost(id: string, email: string): Promise<Participant> {
    return this.request('POST', `${meeting(id)}/transfer-host`, { email });
  }

  // Live events (EXTENSIONS.md §B)
  /** Opens the meeting's event stream; resumes with `Last-Event-ID` after a drop. */
  events(id: string, handlers: EventStreamHandlers, options: { after?: number } = {}): EventStream {
    return openEventStream({
      url: `${this.baseUrl}${meeting(id)}/events`,
      headers: this.headers,
      fetch: this.fetchImpl,
      after: options.after,
      handlers,
    });
  }

  // Sign-in (EXTENSIONS.md §A)
  session(): Promise<SessionInfo> {
    return this.request('GET', '/session');
  }
  loginDev(body: DevLoginRequest): Promise<SessionGrant> {
    return this.request('POST', '/login/dev', body);
  }
  guestSession(body: GuestSessionRequest): Promise<SessionGrant> {
    return this.request('POST', '/api/v1/guest-session', body);
  }
  profile(): Promise<ProfileResponse> {
    return this.request('GET', '/profile');
  }
  logout(): Promise<LogoutResponse> {
    return this.request('POST', '/logout');
  }

  // Apps: API keys (admins) and join links
  createApiKey(name: string): Promise<CreatedApiKey> {
    return this.request('POST', '/api/v1/api-keys', { name });
  }
  listApiKeys(): Promise<{ keys: ApiKey[] }> {
    return this.request('GET', '/api/v1/api-keys');
  }
  revokeApiKey(keyId: string): Promise<MessageResponse> {
    return this.request('DELETE', `/api/v1/api-keys/${encodeURIComponent(keyId)}`);
  }
  /** A link that puts one person into this meeting with a role: give them `url`. */
  createJoinLink(id: string, body: CreateJoinLinkRequest): Promise<JoinLink> {
    return this.request('POST', `${meeting(id)}/join-links`, body);
  }
  revokeJoinLink(id: string, linkId: string): Promise<MessageResponse> {
    return this.request('DELETE', `${meeting(id)}/join-links/${encodeURIComponent(linkId)}`);
  }
  /** Trades a link's token for a session usable only for its meeting. */
  redeemJoinLink(token: string): Promise<SessionTokenResponse> {
    return this.request('POST', '/api/v1/join-links/redeem', { token });
  }

  /** What a browser client needs to know: the Media Server's public address. */
  clientConfig(): Promise<ClientConfigResponse> {
    return this.request('GET', '/api/v1/client-config');
  }

  private async request<T>(
    method: Method,
    path: string,
    body?: unknown,
    query: Record<string, string | number | undefined> = {},
    signal?: AbortSignal,
  ): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const qs = search.size > 0 ? `?${search}` : '';
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}${qs}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new MeetingApiError('NETWORK_ERROR', 'Could not reach the server', 0);
    }
    return parseEnvelope<T>(res);
  }
}

function meeting(id: string): string {
  return `/api/v1/meetings/${encodeURIComponent(id)}`;
}
