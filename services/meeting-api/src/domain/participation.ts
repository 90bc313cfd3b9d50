import {
  PARTICIPANT_LIST_MAX_LIMIT,
  type AdmitAllResponse,
  type ErrorCode,
  type JoinMeetingRequest,
  type MeetingState,
  type ParticipantListQuery,
  type ParticipantListResponse,
  type ParticipantStatusResponse,
  type WaitingRoomResponse,
} from 'meeting-types';
import { ApiError, errors } from './errors';
import { meetingEvent, participantEvent } from './events';
import { assertGuestMayJoin, assertMayCreate, isGuestIdentity } from './guests';
import { parseMeetingId } from './meeting-id';
import {
  admissibleCount,
  chooseSuccessor,
  decideAttendeeJoin,
  hasRoomFor,
  mayManageWaitingRoom,
  mayReceiveToken,
  meetingEndsAfterLeave,
  meetingTransition,
  participantTransition,
} from './meeting-state';
import type { EventHub, StoredMeetingEvent } from '../events/hub';
import type { PasswordHasher } from './passwords';
import type { TokenSigner } from './token-signer';
import { participantFromView, participantView } from './views';
import { checkDisplayName } from './identity';
import { assertMeetingQuota, countCreation } from './meetings';
import type { KeyedRateLimiter } from './rate-window';
import { actorOf, appendAndPosition, runLocked, type LogPosition, type Permission } from './locked-command';
import type { CallerStatusReader, MeetingStore, MeetingTx, PasswordAttemptStore, WaitingRoomReader } from './ports';
import type { JoinView, LiveMeeting, NewMeetingEvent, Page, ParticipantRecord } from './records';

export interface ParticipationLimits {
  /** People in one waiting room; a join beyond → 409 WAITING_ROOM_FULL. */
  maxWaitingPerMeeting: number;
  /** Wrong passwords per meeting and caller in a minute; beyond → 429 RATE_LIMITED. */
  passwordFailuresPerMinute: number;
}

export const DEFAULT_PARTICIPATION_LIMITS: ParticipationLimits = { maxWaitingPerMeeting: 1000, passwordFailuresPerMinute: 10 };

export interface ParticipationDeps {
  meetings: MeetingStore;
  passwordAttempts: PasswordAttemptStore;
  hasher: PasswordHasher;
  signer: TokenSigner;
  limits?: ParticipationLimits;
  /** Status polls (coalesced into shared statements under load on PostgreSQL). */
  statusReads: CallerStatusReader;
  /** Meetings one identity may create a minute (a join that creates one counts). */
  creations?: KeyedRateLimiter;
  /** Meetings one identity may own (`MAX_MEETINGS_PER_OWNER`; a join that creates one counts). */
  maxMeetingsPerOwner?: number;
  /** The host's waiting-room list (one statement; coalesced under load on PostgreSQL). */
  waitingReads: WaitingRoomReader;
}

const readCallerStatus = (deps: ParticipationDeps, roomId: string, email: string) => deps.statusReads.read({ roomId, email });

// A join can race with the meeting being created, ended, deleted or re-protected
// by someone else; each lost race re-reads the meeting. Three rounds settle any real interleaving.
const JOIN_ATTEMPTS = 3;

export function tokenFor(signer: TokenSigner, roomId: string, p: ParticipantRecord, at: LogPosition): string {
  return signer.sign({
    email: p.email,
    room: roomId,
    isHost: p.isHost,
    displayName: p.displayName,
    meetingInstance: at.meetingId,
    eventSeq: at.seq,
  });
}

/** The error a refused lifecycle decision answers with. */
export function refusal(code: ErrorCode, roomId: string, who: string): ApiError {
  switch (code) {
    case 'MEETING_NOT_ACTIVE':
      return errors.meetingNotActive(roomId);
    case 'PARTICIPANT_BANNED':
      return errors.participantBanned(roomId);
    case 'MEETING_LOCKED':
      return errors.meetingLocked(roomId);
    default:
      return new ApiError(code, `Refused for '${who}' in meeting '${roomId}'`);
  }
}

/**
 * Join: creates the meeting (caller = host) when it does not exist; the owner
 * (re)activates it, takes the host role and gets a token; anyone else enters
 * the waiting room (or is admitted at once when it is off), or stays admitted
 * if already admitted. Races are settled by the database.
 */
export async function joinMeeting(
  deps: ParticipationDeps,
  caller: string,
  rawId: string,
  request: JoinMeetingRequest,
): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  const displayName = request.display_name == null ? null : checkDisplayName(request.display_name);

  const oneStatement = deps.meetings.oneStatement;
  for (let attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
    // Where the store joins in one statement, the first read also brings what that join decides on.
    const view = oneStatement ? await oneStatement.findForJoin(roomId, caller) : null;
    const meeting = oneStatement ? (view?.meeting ?? null) : await deps.meetings.findLiveMeeting(roomId);

    if (!meeting) {
      assertMayCreate(caller);
      if (attempt === 0) countCreation(deps.creations, caller);
      if (attempt === 0) await assertMeetingQuota(deps, caller);
      const host = await deps.meetings.inTransaction(async (tx) => {
        const created = await tx.createMeetingWithHost(roomId, caller, displayName);
        if (!created) return null;
        const ref = await tx.findMeetingRefById(created.meetingId);
        const at = await appendAndPosition(tx, created.meetingId, 0, [
          meetingEvent('meeting.activated', caller, ref!),
          participantEvent('participant.admitted', caller, created.host),
        ]);
        return { participant: created.host, at };
      });
      if (host) return participantView(host.participant, tokenFor(deps.signer, roomId, host.participant, host.at));
      continue; // someone else created it first: join what they created
    }

    assertGuestMayJoin(caller, meeting);
    if (meeting.creatorId === caller) {
      const host = await joinAsOwner(deps, meeting.id, caller, displayName);
      if (host) return participantView(host.participant, tokenFor(deps.signer, roomId, host.participant, host.at));
      continue; // deleted meanwhile
    }

    const joined = await joinAsAttendee(deps, meeting, caller, displayName, request.password, view);
    if (joined) return joined;
  }
  throw errors.meetingNotActive(roomId);
}

/**
 * The owner always gets in (lock, capacity and bans do not apply to them) and
 * takes the host role back from whoever holds it, who becomes co-host.
 * `meeting.activated` and their own admission are recorded when they change anything.
 */
async function joinAsOwner(
  deps: ParticipationDeps,
  meetingId: number,
  caller: string,
  displayName: string | null,
): Promise<{ participant: ParticipantRecord; at: LogPosition } | null> {
  return deps.meetings.inTransaction(async (tx) => {
    const before = await tx.lockMeetingWithCallerById(meetingId, caller);
    if (!before) return null;
    const demoted = await tx.demoteOtherHosts(meetingId, caller);
    const host = await tx.activateAsHost(meetingId, caller, displayName);
    if (!host) return null;
    const events: NewMeetingEvent[] = demoted.map((p) => participantEvent('participant.role_changed', caller, p));
    if (before.meeting.state !== 'active') {
      const ref = await tx.findMeetingRefById(meetingId);
      events.push(meetingEvent('meeting.activated', caller, ref!));
    }
    if (before.caller?.status !== 'admitted') events.push(participantEvent('participant.admitted', caller, host));
    else if (before.caller.role !== 'host') events.push(participantEvent('participant.role_changed', caller, host));
    return { participant: host, at: await appendAndPosition(tx, meetingId, before.meeting.eventSeq, events) };
  });
}

async function joinAsAttendee(
  deps: ParticipationDeps,
  seen: LiveMeeting,
  caller: string,
  displayName: string | null,
  password: string | null | undefined,
  view: JoinView | null,
): Promise<ParticipantStatusResponse | null> {
  const roomId = seen.roomId;
  const allowed = meetingTransition(seen.state, seen.settings.earlyKnock ? 'early-knock' : 'attendee-join');
  if (!allowed.ok && !meetingTransition(seen.state, 'attendee-join').ok) throw errors.meetingNotActive(roomId);
  const limits = deps.limits ?? DEFAULT_PARTICIPATION_LIMITS;
  // The slow hash check runs before the transaction, so no lock is held meanwhile.
  if (seen.passwordHash !== null) {
    // Counted before the (costly) check, in the database, so racing guesses on any instance are all counted.
    const counted = await deps.passwordAttempts.countPasswordAttempt(seen.id, caller);
    // A new window: a good moment to drop this meeting's ended ones (one statement per caller and minute at most).
    if (counted.attempts === 1) await deps.passwordAttempts.pruneEndedWindows(seen.id);
    if (counted.attempts > limits.passwordFailuresPerMinute) {
      throw errors.rateLimited(`wrong passwords for meeting '${roomId}'`, counted.retryAfterSecs);
    }
    const ok = password != null && (await deps.hasher.verify(seen.passwordHash, password));
    if (!ok) throw errors.invalidPassword(roomId);
    await deps.passwordAttempts.clearPasswordAttempts(seen.id, caller);
  }
  if (view) {
    const joined = await joinInOneStatement(deps, view, caller, displayName, limits);
    if (joined) return joined;
  }
  return deps.meetings.inTransaction(async (tx) => {
    const meeting = await tx.lockLiveMeeting(roomId);
    // Deleted and re-created, or the password changed since it was checked: read again.
    if (!meeting || meeting.id !== seen.id || meeting.passwordHash !== seen.passwordHash) return null;
    const me = await tx.findParticipant(meeting.id, caller);
    // Checked again under the lock: `allow_guests` may have been turned off since.
    assertGuestMayJoin(caller, meeting);
    const s = meeting.settings;
    const decision = decideAttendeeJoin({
      meetingState: meeting.state,
      current: me?.status ?? null,
      banned: me?.banned ?? false,
      locked: s.locked,
      waitingRoomEnabled: s.waitingRoomEnabled,
      isGuest: isGuestIdentity(caller),
      admittedCount: s.waitingRoomEnabled ? 0 : await tx.countAdmitted(meeting.id),
      maxParticipants: s.maxParticipants,
      earlyKnock: s.earlyKnock,
    });
    if (!decision.ok) throw refusal(decision.error, roomId, caller);
    // The meeting row is locked, so the waiting-room count in the join is exact under concurrency.
    const cap = limits.maxWaitingPerMeeting;
    const participant = await tx.joinAsAttendee(meeting.id, caller, displayName, cap, decision.event);
    if (!participant) throw errors.waitingRoomFull(roomId, cap);
    const events: NewMeetingEvent[] = [];
    if (participant.status !== me?.status && (participant.status === 'waiting' || participant.status === 'admitted')) {
      events.push(participantEvent(`participant.${participant.status}`, caller, participant));
    }
    const at = await appendAndPosition(tx, meeting.id, meeting.eventSeq, events);
    // Admitted (again, or at once with the waiting room off): a fresh token.
    const token = mayReceiveToken(participant.status, meeting.state) ? tokenFor(deps.signer, roomId, participant, at) : null;
    return participantView(participant, token);
  });
}

/**
 * The join of `joinAsAttendee`'s transaction, decided on `view` (read without a lock) and written
 * in one statement that checks, under the meeting's lock, that everything the decision read is
 * still so. `null` when the decision refuses or anything changed: the locked transaction then
 * decides afresh (and answers any refusal), so this path only commits what that one would have.
 */
async function joinInOneStatement(
  deps: ParticipationDeps,
  view: JoinView,
  caller: string,
  displayName: string | null,
  limits: ParticipationLimits,
): Promise<ParticipantStatusResponse | null> {
  const { meeting, caller: me } = view;
  const s = meeting.settings;
  const isGuest = isGuestIdentity(caller);
  // The decision reads the admitted count only when it could admit at once.
  const countMatters = !s.waitingRoomEnabled && !isGuest;
  const decision = decideAttendeeJoin({
    meetingState: meeting.state,
    current: me?.status ?? null,
    banned: me?.banned ?? false,
    locked: s.locked,
    waitingRoomEnabled: s.waitingRoomEnabled,
    isGuest,
    admittedCount: countMatters ? view.admittedCount : 0,
    maxParticipants: s.maxParticipants,
    earlyKnock: s.earlyKnock,
  });
  if (!decision.ok) return null;
  const moved = participantTransition(me?.status ?? null, decision.event);
  if (!moved.ok) return null;
  const before = me?.status ?? null;
  const emit = moved.next !== before && (moved.next === 'waiting' || moved.next === 'admitted') ? { type: `participant.${moved.next}` as const, actor: caller } : null;
  const written = await deps.meetings.oneStatement!.joinAttendee(view, caller, displayName, limits.maxWaitingPerMeeting, decision.event, countMatters, emit);
  if (!written) return null;
  const participant = written.participant;
  const token = mayReceiveToken(participant.status, meeting.state) ? tokenFor(deps.signer, meeting.roomId, participant, written) : null;
  return participantView(participant, token);
}

/** `limit` absent → everyone (bounded by the waiting-room cap); else clamped like `/meetings`. */
export function participantPage(query: ParticipantListQuery | undefined): Page {
  const limit = query?.limit === undefined ? null : Math.min(PARTICIPANT_LIST_MAX_LIMIT, Math.max(1, query.limit));
  const offset = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, query?.offset ?? 0));
  return { limit, offset };
}

/** The caller's own row, with a fresh token while admitted to an active meeting. */
export async function getMyStatus(deps: ParticipationDeps, caller: string, rawId: string): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  const found = await readCallerStatus(deps, roomId, caller);
  if (!found) throw errors.meetingNotFound(roomId);
  const me = found.caller;
  if (!me) throw errors.notInMeeting(roomId);
  return statusAnswer(deps.signer, roomId, me, found.meetingState, { meetingId: found.meetingId, seq: found.eventSeq });
}

/** `/status`'s answer for `me` as of log position `at`: their row, with a fresh token while admitted to an active meeting. */
function statusAnswer(signer: TokenSigner, roomId: string, me: ParticipantRecord, meetingState: MeetingState, at: LogPosition): ParticipantStatusResponse {
  return participantView(me, mayReceiveToken(me.status, meetingState) ? tokenFor(signer, roomId, me, at) : null);
}

/** What a held wait looks for in a batch of its meeting's events. */
interface BatchSummary {
  /** A `meeting.*` event is in it. */
  meetingMoved: boolean;
  /** It ends or deletes the meeting. */
  meetingGone: boolean;
  /** Each subject's last event in it. */
  lastBySubject: Map<string, StoredMeetingEvent>;
}

/**
 * Made once per batch: the hub hands every follower of a meeting the same batch, and after an
 * admit-all a thousand held waits each look for their own event in the same thousand.
 */
const batchSummaries = new WeakMap<readonly StoredMeetingEvent[], BatchSummary>();

function summaryOf(events: readonly StoredMeetingEvent[]): BatchSummary {
  let summary = batchSummaries.get(events);
  if (summary !== undefined) return summary;
  summary = { meetingMoved: false, meetingGone: false, lastBySubject: new Map() };
  for (const e of events) {
    if (e.type.startsWith('meeting.')) summary.meetingMoved = true;
    if (e.type === 'meeting.ended' || e.type === 'meeting.deleted') summary.meetingGone = true;
    if (e.subject !== null) summary.lastBySubject.set(e.subject, e);
  }
  batchSummaries.set(events, summary);
  return summary;
}

/**
 * `GET /status?wait=N`: while the caller is waiting, holds the answer until one of their
 * own events (or the meeting's end or deletion) is committed, `waitSecs` pass, or `cancelled`
 * resolves (the client went away); then answers exactly as `/status` does.
 */
export async function waitForMyStatus(
  deps: ParticipationDeps,
  hub: EventHub,
  caller: string,
  rawId: string,
  waitSecs: number,
  cancelled: Promise<void>,
): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  const found = await readCallerStatus(deps, roomId, caller);
  if (!found) throw errors.meetingNotFound(roomId);
  if (!found.caller) throw errors.notInMeeting(roomId);
  if (found.caller.status !== 'waiting' || waitSecs === 0) return getMyStatus(deps, caller, rawId);
  // The caller's own event carries their row as it committed: the answer is made from it, as
  // `/status` would make it at that point of the log, without reading it again (after an
  // admit-all, a thousand waiters are answered at once). Once the meeting itself has moved (its
  // state, a deletion) since the wait began, the answer is read as `/status` reads it.
  let answer: ParticipantStatusResponse | null = null;
  let meetingMoved = false;
  await new Promise<void>((resolve) => {
    const follower = hub.follow(
      found.meetingId,
      found.eventSeq,
      (events) => {
        const batch = summaryOf(events);
        if (batch.meetingMoved) meetingMoved = true;
        const mine = batch.lastBySubject.get(caller);
        // The meeting's end can move those waiting to `left` without an event of their own: read again.
        if (mine === undefined && !batch.meetingGone) return;
        const participant = (mine?.payload as { participant?: ParticipantStatusResponse } | undefined)?.participant;
        if (!meetingMoved && participant?.email === caller) {
          const at = { meetingId: found.meetingId, seq: events[events.length - 1]!.seq };
          answer = statusAnswer(deps.signer, roomId, participantFromView(participant), found.meetingState, at);
        }
        done();
      },
      () => done(),
    );
    const timer = setTimeout(() => done(), waitSecs * 1000);
    void cancelled.then(() => done());
    function done() {
      clearTimeout(timer);
      follower.close();
      resolve();
    }
  });
  return answer ?? getMyStatus(deps, caller, rawId);
}

/**
 * Leave from `admitted` or `waiting`. The meeting row is locked so that two
 * last participants leaving at once still end the meeting, and a host role
 * handed on under `transfer` lands on exactly one person.
 */
export async function leaveMeeting(deps: ParticipationDeps, caller: string, rawId: string): Promise<ParticipantStatusResponse> {
  return runLocked(deps.meetings, caller, rawId, null, async ({ tx, meeting, roomId }) => {
    const left = await leaveLocked(tx, meeting, caller, caller);
    if (!left) throw errors.notInMeeting(roomId);
    return { events: left.events, result: participantView(left.participant) };
  });
}

/**
 * `/leave` inside a unit of work that holds the meeting row's lock: the participant leaves,
 * the host role is handed on under `transfer`, and the meeting ends under its rules; the
 * events to append (which revoke the leaver's tokens) are returned with the row. `actor` null
 * with a `reason` when the service does it (auto-leave). `null` when `email` is not admitted or waiting.
 */
export async function leaveLocked(
  tx: MeetingTx,
  meeting: LiveMeeting,
  email: string,
  actor: string | null,
  reason?: string,
): Promise<{ participant: ParticipantRecord; events: NewMeetingEvent[] } | null> {
  let left = await tx.transitionParticipant(meeting.id, email, 'leave');
  if (!left) return null;
  const wasHost = left.role === 'host';
  const policy = meeting.settings.hostLeavePolicy;
  const events: NewMeetingEvent[] = [];
  let successor: ParticipantRecord | null = null;
  if (wasHost && policy === 'transfer') {
    left = (await tx.setRole(meeting.id, email, 'attendee')) ?? left;
    successor = await handHostRoleOn(tx, meeting.id);
  }
  events.push(participantEvent('participant.left', actor, left));
  if (successor) events.push(participantEvent('participant.role_changed', actor, successor));
  const remaining = await tx.countAdmitted(meeting.id);
  if (meeting.state === 'active' && meetingEndsAfterLeave(wasHost, remaining, policy)) {
    await tx.endMeeting(meeting.id);
    events.push(meetingEvent('meeting.ended', actor, { ...meeting, state: 'ended' }));
  }
  return { participant: left, events: reason === undefined ? events : events.map((e) => ({ ...e, payload: { ...e.payload, reason } })) };
}

/** `transfer`: the co-host admitted longest ago, else the attendee admitted longest ago, becomes host. */
async function handHostRoleOn(tx: MeetingTx, meetingId: number): Promise<ParticipantRecord | null> {
  const admitted = await tx.listAdmitted(meetingId);
  const successor = chooseSuccessor(
    admitted.map((p) => ({ email: p.email, role: p.role, isGuest: isGuestIdentity(p.email), admittedAt: p.admittedAt ?? 0 })),
  );
  return successor === null ? null : tx.setRole(meetingId, successor, 'host');
}

/** Who may see the waiting room, admit and reject: the meeting's admit policy decides (403 NOT_HOST). */
const MANAGES_WAITING_ROOM: Permission = {
  allows: (actor, meeting) => mayManageWaitingRoom(actor, meeting.settings.admitPolicy),
  refusal: errors.notHost,
};

export async function getWaitingRoom(
  deps: ParticipationDeps,
  caller: string,
  rawId: string,
  query?: ParticipantListQuery,
): Promise<WaitingRoomResponse> {
  const roomId = parseMeetingId(rawId);
  const found = await deps.waitingReads.read({ roomId, email: caller, page: participantPage(query) });
  if (!found) throw errors.meetingNotFound(roomId);
  if (!MANAGES_WAITING_ROOM.allows(actorOf(found.meeting, caller, found.caller), found.meeting)) throw MANAGES_WAITING_ROOM.refusal(roomId);
  // A page the store kept is the same array until the room changes: its view is made once, and
  // the same object comes back for every host who reads it (callers treat it as read-only).
  let view = waitingRoomViews.get(found.waiting);
  if (view?.meeting_id !== roomId) {
    view = { meeting_id: roomId, waiting: found.waiting.map((p) => participantView(p)) };
    waitingRoomViews.set(found.waiting, view);
  }
  return view;
}

const waitingRoomViews = new WeakMap<readonly ParticipantRecord[], WaitingRoomResponse>();

/**
 * Admit or reject one waiting person (`ban` also bans). The meeting row is
 * locked, so the capacity check and a racing ban or admit see each other.
 */
export async function decideOnParticipant(
  deps: ParticipationDeps,
  caller: string,
  rawId: string,
  target: string,
  decision: 'admit' | 'reject',
  ban = false,
): Promise<ParticipantStatusResponse> {
  const decided = await decideInOneStatement(deps, caller, rawId, target, decision, ban);
  if (decided) return decided;
  return runLocked(deps.meetings, caller, rawId, MANAGES_WAITING_ROOM, async ({ tx, meeting, roomId }) => {
    if (decision === 'admit') {
      const row = await tx.findParticipant(meeting.id, target);
      if (row?.status !== 'waiting') throw errors.participantNotFound(target, roomId);
      const max = meeting.settings.maxParticipants;
      if (max !== null && !hasRoomFor(await tx.countAdmitted(meeting.id), max, 1)) {
        throw errors.meetingFull(roomId, max);
      }
    }
    const moved = await tx.transitionParticipant(meeting.id, target, decision, decision === 'reject' && ban);
    if (!moved) throw errors.participantNotFound(target, roomId);
    return {
      events: [participantEvent(decision === 'admit' ? 'participant.admitted' : 'participant.rejected', caller, moved)],
      result: participantView(moved),
    };
  });
}

/**
 * `decideOnParticipant` in one statement where the store can: the caller's permission is decided
 * on a read without a lock, and the statement admits or rejects only while the meeting and the
 * caller's row are still as read (and, for an admit, the room holds one more). `null` otherwise:
 * the locked transaction then decides afresh and answers any refusal.
 */
async function decideInOneStatement(
  deps: ParticipationDeps,
  caller: string,
  rawId: string,
  target: string,
  decision: 'admit' | 'reject',
  ban: boolean,
): Promise<ParticipantStatusResponse | null> {
  const oneStatement = deps.meetings.oneStatement;
  if (!oneStatement) return null;
  const seen = await deps.meetings.findMeetingWithCaller(parseMeetingId(rawId), caller);
  const me = seen?.caller ?? null;
  if (!seen || !me || !MANAGES_WAITING_ROOM.allows(actorOf(seen.meeting, caller, me), seen.meeting)) return null;
  const type = decision === 'admit' ? 'participant.admitted' : 'participant.rejected';
  const written = await oneStatement.decide({ meeting: seen.meeting, caller: me }, target, decision, decision === 'reject' && ban, { type, actor: caller });
  return written ? participantView(written.participant) : null;
}

/** Admits everyone waiting, or the earliest up to `max_participants`; the rest keep waiting. */
export async function admitAll(deps: ParticipationDeps, caller: string, rawId: string): Promise<AdmitAllResponse> {
  return runLocked(deps.meetings, caller, rawId, MANAGES_WAITING_ROOM, async ({ tx, meeting }) => {
    const max = meeting.settings.maxParticipants;
    const limit = max === null ? null : admissibleCount(await tx.countAdmitted(meeting.id), max, Number.POSITIVE_INFINITY);
    const admitted = limit === 0 ? [] : await tx.admitAllWaiting(meeting.id, limit);
    return {
      events: admitted.map((p) => participantEvent('participant.admitted', caller, p)),
      result: { admitted_count: admitted.length, admitted: admitted.map((p) => participantView(p)) },
    };
  });
}

export async function listParticipants(
  deps: ParticipationDeps,
  caller: string,
  rawId: string,
  query?: ParticipantListQuery,
): Promise<ParticipantListResponse> {
  const roomId = parseMeetingId(rawId);
  const found = await deps.meetings.findMeetingWithCaller(roomId, caller);
  if (!found) throw errors.meetingNotFound(roomId);
  const meeting = found.meeting;
  // Who is in (emails, names, roles) is for the owner and those admitted, nobody else.
  if (meeting.creatorId !== caller && found.caller?.status !== 'admitted') throw errors.notInMeeting(roomId);
  const admitted = await deps.meetings.listAdmitted(meeting.id, participantPage(query));
  return admitted.map((p) => participantView(p));
}
