import {
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  MAX_ATTENDEES,
  type CreateMeetingRequest,
  type CreateMeetingResponse,
  type DeleteMeetingResponse,
  type ListMeetingsQuery,
  type ListMeetingsResponse,
  type MeetingInfoResponse,
} from 'meeting-types';
import { ConflictError, errors } from './errors';
import { meetingEvent } from './events';
import { assertMayCreate, isGuestIdentity } from './guests';
import { generateMeetingId, parseMeetingId } from './meeting-id';
import type { PasswordHasher } from './passwords';
import type { KeyedRateLimiter } from './rate-window';
import type { MeetingStore, OwnedMeetingsReader } from './ports';
import type { MeetingSettingsRecord } from './records';
import { createdMeetingView, meetingInfoView, meetingSummaryView } from './views';

export interface MeetingDeps {
  meetings: MeetingStore;
  hasher: PasswordHasher;
  /** Meeting lists (coalesced into shared statements under load on PostgreSQL). */
  listReads: OwnedMeetingsReader;
  /** Meetings one identity may create a minute (`MEETING_CREATES_PER_MINUTE`); absent → no limit. */
  creations?: KeyedRateLimiter;
  /** Meetings (not deleted) one identity may own (`MAX_MEETINGS_PER_OWNER`); absent or 0 → no cap. */
  maxMeetingsPerOwner?: number;
}

/** Counts one meeting creation by `caller`; over its budget → 429 RATE_LIMITED. */
export function countCreation(creations: KeyedRateLimiter | undefined, caller: string): void {
  if (creations === undefined) return;
  const retryAfter = creations.take(caller);
  if (retryAfter > 0) throw errors.rateLimited(`meetings created (at most ${creations.perMinute} a minute)`, retryAfter);
}

/**
 * Refuses a new meeting once `owner` owns `maxMeetingsPerOwner` (403 MEETING_QUOTA_EXCEEDED).
 * Counted before the insert: creations of one owner racing each other may pass it by the number
 * in flight, which the per-minute creation rate bounds.
 */
export async function assertMeetingQuota(deps: { meetings: MeetingStore; maxMeetingsPerOwner?: number }, owner: string): Promise<void> {
  const max = deps.maxMeetingsPerOwner ?? 0;
  if (max <= 0) return;
  if ((await deps.meetings.countOwnedMeetings(owner)) >= max) throw errors.meetingQuotaExceeded(max);
}

const GENERATED_ID_ATTEMPTS = 5;

/**
 * `owner` is the caller's own identity unless an API key names another (`createdByKeyId`
 * is then that key, which may manage the meeting as its owner).
 */
export async function createMeeting(
  deps: MeetingDeps,
  caller: string,
  request: CreateMeetingRequest,
  createdByKeyId: string | null = null,
): Promise<CreateMeetingResponse> {
  assertMayCreate(caller);
  countCreation(deps.creations, caller);
  await assertMeetingQuota(deps, caller);
  const requestedId = request.meeting_id == null ? undefined : parseMeetingId(request.meeting_id);
  const attendees = request.attendees ?? [];
  if (attendees.length > MAX_ATTENDEES) throw errors.tooManyAttendees(attendees.length);
  // Hash before touching the database: no connection is held during the slow part.
  const passwordHash = request.password ? await deps.hasher.hash(request.password) : null;
  const settings = settingsFromCreate(request);

  for (let attempt = 0; attempt < GENERATED_ID_ATTEMPTS; attempt++) {
    const roomId = requestedId ?? generateMeetingId();
    let created;
    try {
      created = await deps.meetings.insertMeeting({ roomId, creatorId: caller, passwordHash, attendees, settings, createdByKeyId });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      created = null;
    }
    if (created) return createdMeetingView(created);
    if (requestedId !== undefined) throw errors.meetingExists(requestedId);
  }
  throw errors.meetingExists('(generated)');
}

export async function getMeeting(deps: MeetingDeps, caller: string, rawId: string): Promise<MeetingInfoResponse> {
  const roomId = parseMeetingId(rawId);
  const found = await deps.meetings.findMeetingWithCaller(roomId, caller);
  if (!found) throw errors.meetingNotFound(roomId);
  const info = meetingInfoView(found.meeting, found.caller);
  return mayKnowHost(found.meeting, caller, found.caller) ? info : { ...info, host: '' };
}

/**
 * The owner's email is for the owner, those admitted, and signed-in people waiting to be let in
 * (who knocked, so the host sees them too); strangers probing ids and guests get an empty `host`.
 */
export function mayKnowHost(meeting: { creatorId: string }, caller: string, row: { status: string } | null): boolean {
  if (meeting.creatorId === caller) return true;
  if (row?.status === 'admitted') return true;
  return row?.status === 'waiting' && !isGuestIdentity(caller);
}

/** The defaults reproduce the videocall-rs meeting API; `null` means "not given". */
export const DEFAULT_SETTINGS: MeetingSettingsRecord = {
  waitingRoomEnabled: true,
  admitPolicy: 'any_admitted',
  hostLeavePolicy: 'end_meeting',
  locked: false,
  maxParticipants: null,
  allowGuests: false,
  earlyKnock: false,
};

export function settingsFromCreate(request: CreateMeetingRequest): MeetingSettingsRecord {
  const d = DEFAULT_SETTINGS;
  return {
    waitingRoomEnabled: request.waiting_room_enabled ?? d.waitingRoomEnabled,
    admitPolicy: request.admit_policy ?? d.admitPolicy,
    hostLeavePolicy: request.host_leave_policy ?? d.hostLeavePolicy,
    locked: request.locked ?? d.locked,
    maxParticipants: request.max_participants ?? d.maxParticipants,
    allowGuests: request.allow_guests ?? d.allowGuests,
    earlyKnock: request.early_knock ?? d.earlyKnock,
  };
}

/** Out-of-range paging is clamped, never an error (DECISIONS). */
export function clampPaging(query: ListMeetingsQuery): { limit: number; offset: number } {
  const limit = Math.min(LIST_MAX_LIMIT, Math.max(1, query.limit ?? LIST_DEFAULT_LIMIT));
  // Past the last meeting is an empty page, however far (and within what PostgreSQL's bigint holds).
  const offset = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, query.offset ?? 0));
  return { limit, offset };
}

export async function listMeetings(deps: MeetingDeps, caller: string, query: ListMeetingsQuery): Promise<ListMeetingsResponse> {
  const { limit, offset } = clampPaging(query);
  const page = await deps.listReads.read({ owner: caller, limit, offset });
  return { meetings: page.meetings.map(meetingSummaryView), total: page.total, limit, offset };
}

export async function deleteMeeting(deps: MeetingDeps, caller: string, rawId: string): Promise<DeleteMeetingResponse> {
  const roomId = parseMeetingId(rawId);
  const meeting = await deps.meetings.findLiveMeeting(roomId);
  if (!meeting) throw errors.meetingNotFound(roomId);
  if (meeting.creatorId !== caller) throw errors.notOwner(roomId);
  // A concurrent delete may win; either way the meeting is gone, as the caller asked
  // (and only the winner records `meeting.deleted`).
  await deps.meetings.inTransaction(async (tx) => {
    if (await tx.softDeleteMeeting(meeting.id)) {
      await tx.appendEvents(meeting.id, [meetingEvent('meeting.deleted', caller, meeting)]);
    }
  });
  return { message: `Meeting '${roomId}' has been deleted` };
}
