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
import { MEETING_API_OPERATIONS, operationPath, type MeetingApiOperationId } from './operations';
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
    return this.call('listMeetings', {}, undefined, query);
  }
  createMeeting(body: CreateMeetingRequest & UpdateMeetingRequest = {}): Promise<CreateMeetingResponse> {
    return this.call('createMeeting', {}, body);
  }
  getMeeting(id: string): Promise<MeetingInfo> {
    return this.call('getMeeting', { meeting_id: id });
  }
  deleteMeeting(id: string): Promise<DeleteMeetingResponse> {
    return this.call('deleteMeeting', { meeting_id: id });
  }

  // Joining and the waiting room
  /** `joinMeeting`. */
  join(id: string, body: JoinMeetingRequest = {}): Promise<Participant> {
    return this.call('joinMeeting', { meeting_id: id }, body);
  }
  /** `getMyStatus`: the caller's row; with `wait` (0–60 s) held while waiting, where the server supports the long-poll. */
  status(id: string, options: { wait?: number; signal?: AbortSignal } = {}): Promise<Participant> {
    return this.call('getMyStatus', { meeting_id: id }, undefined, options.wait === undefined ? {} : { wait: options.wait }, options.signal);
  }
  /** `leaveMeeting`. */
  leave(id: string): Promise<Participant> {
    return this.call('leaveMeeting', { meeting_id: id });
  }
  /** `getWaitingRoom`. */
  waiting(id: string): Promise<WaitingRoomResponse> {
    return this.call('getWaitingRoom', { meeting_id: id });
  }
  /** `admitParticipant`. */
  admit(id: string, email: string): Promise<Participant> {
    return this.call('admitParticipant', { meeting_id: id }, { email });
  }
  /** `rejectParticipant`; `ban` needs the meeting controls on the server. */
  reject(id: string, email: string, options: { ban?: boolean } = {}): Promise<Participant> {
    return this.call('rejectParticipant', { meeting_id: id }, options.ban ? { email, ban: true } : { email });
  }
  admitAll(id: string): Promise<AdmitAllResponse> {
    return this.call('admitAll', { meeting_id: id });
  }
  /** `listParticipants`. */
  participants(id: string): Promise<ParticipantListResponse> {
    return this.call('listParticipants', { meeting_id: id });
  }

  // Meeting controls (the meeting-controls extension)
  updateMeeting(id: string, patch: UpdateMeetingRequest): Promise<MeetingInfo> {
    return this.call('updateMeeting', { meeting_id: id }, patch);
  }
  endMeeting(id: string): Promise<MeetingInfo> {
    return this.call('endMeeting', { meeting_id: id });
  }
  /** `removeParticipant`. */
  remove(id: string, email: string, options: { ban?: boolean } = {}): Promise<Participant> {
    return this.call('removeParticipant', { meeting_id: id }, options.ban ? { email, ban: true } : { email });
  }
  /** `unbanParticipant`. */
  unban(id: string, email: string): Promise<Participant> {
    return this.call('unbanParticipant', { meeting_id: id }, { email });
  }
  /** `setParticipantRole`. */
  setRole(id: string, email: string, role: Exclude<ParticipantRole, 'host'>): Promise<Participant> {
    return this.call('setParticipantRole', { meeting_id: id }, { email, role });
  }
  transferHost(id: string, email: string): Promise<Participant> {
    return this.call('transferHost', { meeting_id: id }, { email });
  }

  // Live events (the live-events extension)
  /** `streamMeetingEvents`: opens the meeting's event stream; resumes with `Last-Event-ID` after a drop. */
  events(id: string, handlers: EventStreamHandlers, options: { after?: number } = {}): EventStream {
    return openEventStream({
      url: `${this.baseUrl}${operationPath('streamMeetingEvents', { meeting_id: id })}`,
      headers: this.headers,
      fetch: this.fetchImpl,
      after: options.after,
      handlers,
    });
  }

  // Sign-in (the sign-in extension)
  /** `getSession`. */
  session(): Promise<SessionInfo> {
    return this.call('getSession');
  }
  /** `devLogin`. */
  loginDev(body: DevLoginRequest): Promise<SessionGrant> {
    return this.call('devLogin', {}, body);
  }
  /** `createGuestSession`. */
  guestSession(body: GuestSessionRequest): Promise<SessionGrant> {
    return this.call('createGuestSession', {}, body);
  }
  /** `getProfile`. */
  profile(): Promise<ProfileResponse> {
    return this.call('getProfile');
  }
  logout(): Promise<LogoutResponse> {
    return this.call('logout');
  }

  // Apps: API keys (admins) and join links
  createApiKey(name: string): Promise<CreatedApiKey> {
    return this.call('createApiKey', {}, { name });
  }
  listApiKeys(): Promise<{ keys: ApiKey[] }> {
    return this.call('listApiKeys');
  }
  revokeApiKey(keyId: string): Promise<MessageResponse> {
    return this.call('revokeApiKey', { key_id: keyId });
  }
  /** A link that puts one person into this meeting with a role: give them `url`. */
  createJoinLink(id: string, body: CreateJoinLinkRequest): Promise<JoinLink> {
    return this.call('createJoinLink', { meeting_id: id }, body);
  }
  revokeJoinLink(id: string, linkId: string): Promise<MessageResponse> {
    return this.call('revokeJoinLink', { meeting_id: id, link_id: linkId });
  }
  /** Trades a link's token for a session usable only for its meeting. */
  redeemJoinLink(token: string): Promise<SessionTokenResponse> {
    return this.call('redeemJoinLink', {}, { token });
  }

  /** `getClientConfig`: what a browser client needs to know, the Media Server's public address. */
  clientConfig(): Promise<ClientConfigResponse> {
    return this.call('getClientConfig');
  }

  /** Calls an operation by its `operationId` (the names of `/openapi.json`). */
  private call<T>(
    operationId: MeetingApiOperationId,
    params: Record<string, string> = {},
    body?: unknown,
    query: Record<string, string | number | undefined> = {},
    signal?: AbortSignal,
  ): Promise<T> {
    return this.request(MEETING_API_OPERATIONS[operationId].method, operationPath(operationId, params), body, query, signal);
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

