import {
  PARTICIPANT_LIST_MAX_LIMIT,
  type AdmitAllResponse,
  type JoinMeetingRequest,
  type ParticipantListQuery,
  type ParticipantListResponse,
  type ParticipantStatusResponse,
  type WaitingRoomResponse,
} from 'meeting-types';
import type { Database, Queryable } from '../db/database';
import { appendEvents, type NewMeetingEvent } from '../db/events-repo';
import * as meetingsRepo from '../db/meetings-repo';
import * as participantsRepo from '../db/participants-repo';
import * as passwordFailuresRepo from '../db/password-failures-repo';
import type { MeetingRef, ParticipantRecord } from '../db/rows';
import { errors } from './errors';
import { meetingEvent, participantEvent } from './events';
import { assertGuestMayJoin, assertMayCreate } from './guests';
import { parseMeetingId } from './meeting-id';
import { mayManageWaitingRoom, mayReceiveToken, meetingEndsAfterLeave, meetingTransition } from './meeting-state';
import type { EventHub } from './event-hub';
import type { PasswordHasher } from './passwords';
import type { TokenSigner } from './token-signer';
import { participantView } from './views';

export interface ParticipationLimits {
  /** People in one waiting room; a join beyond → 409 WAITING_ROOM_FULL. */
  maxWaitingPerMeeting: number;
  /** Wrong passwords per meeting and caller in a minute; beyond → 429 RATE_LIMITED. */
  passwordFailuresPerMinute: number;
}

export const DEFAULT_PARTICIPATION_LIMITS: ParticipationLimits = { maxWaitingPerMeeting: 1000, passwordFailuresPerMinute: 10 };

export interface ParticipationDeps {
  db: Database;
  hasher: PasswordHasher;
  signer: TokenSigner;
  limits?: ParticipationLimits;
}


// A join can race with the meeting being created, ended or deleted by someone
// else; each lost race re-reads the meeting. Three rounds settle any real interleaving.
const JOIN_ATTEMPTS = 3;

/** Where in which meeting instance's log a token is minted (its `mid` and `esq` claims). */
export interface LogPosition {
  meetingId: number;
  seq: number;
}

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

/** Appends and returns the log position after it (unchanged when there is nothing to append). */
async function appendAndPosition(tx: Queryable, meetingId: number, seqBefore: number, events: NewMeetingEvent[]): Promise<LogPosition> {
  const seqs = await appendEvents(tx, meetingId, events);
  return { meetingId, seq: seqs.length > 0 ? seqs[seqs.length - 1]! : seqBefore };
}

/**
 * Join: creates the meeting (caller = host) when it does not exist; the host
 * (re)activates it and gets a token; anyone else enters the waiting room, or
 * stays admitted if already admitted. Races are settled by the database.
 */
export async function joinMeeting(
  deps: ParticipationDeps,
  caller: string,
  rawId: string,
  request: JoinMeetingRequest,
): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  const displayName = request.display_name ?? null;

  for (let attempt = 0; attempt < JOIN_ATTEMPTS; attempt++) {
    const meeting = await meetingsRepo.findLiveMeeting(deps.db, roomId);

    if (!meeting) {
      assertMayCreate(caller);
      const host = await deps.db.transaction(async (tx) => {
        const created = await participantsRepo.createMeetingWithHost(tx, roomId, caller, displayName);
        if (!created) return null;
        const ref = await meetingsRepo.findMeetingRefById(tx, created.meetingId);
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
      const host = await deps.db.transaction((tx) => activateAsHost(tx, meeting.id, caller, displayName));
      if (host) return participantView(host.participant, tokenFor(deps.signer, roomId, host.participant, host.at));
      continue; // deleted meanwhile
    }

    const joined = await joinAsAttendee(deps, meeting, caller, displayName, request.password);
    if (joined) return joined;
  }
  throw errors.meetingNotActive(roomId);
}

/** The host (re)activates the meeting; `meeting.activated` and its own admission when they change anything. */
async function activateAsHost(
  tx: Queryable,
  meetingId: number,
  caller: string,
  displayName: string | null,
): Promise<{ participant: ParticipantRecord; at: LogPosition } | null> {
  const before = await meetingsRepo.lockMeetingWithCallerById(tx, meetingId, caller);
  if (!before) return null;
  const host = await participantsRepo.activateAsHost(tx, meetingId, caller, displayName);
  if (!host) return null;
  const events: NewMeetingEvent[] = [];
  if (before.meeting.state !== 'active') {
    const ref = await meetingsRepo.findMeetingRefById(tx, meetingId);
    events.push(meetingEvent('meeting.activated', caller, ref!));
  }
  if (before.caller?.status !== 'admitted') events.push(participantEvent('participant.admitted', caller, host));
  return { participant: host, at: await appendAndPosition(tx, meetingId, before.meeting.eventSeq, events) };
}

async function joinAsAttendee(
  deps: ParticipationDeps,
  meeting: meetingsRepo.LiveMeeting,
  caller: string,
  displayName: string | null,
  password: string | null | undefined,
): Promise<ParticipantStatusResponse | null> {
  const allowed = meetingTransition(meeting.state, 'attendee-join');
  if (!allowed.ok) throw errors.meetingNotActive(meeting.roomId);
  const limits = deps.limits ?? DEFAULT_PARTICIPATION_LIMITS;
  // The slow password check runs before the transaction: no lock is held meanwhile.
  if (meeting.passwordHash !== null) {
    // Counted before the (costly) check, in the database, so racing guesses on any instance are all counted.
    const counted = await passwordFailuresRepo.countPasswordAttempt(deps.db, meeting.id, caller);
    // A new window: a good moment to drop this meeting's ended ones (one statement per caller and minute at most).
    if (counted.attempts === 1) await passwordFailuresRepo.pruneEndedWindows(deps.db, meeting.id);
    if (counted.attempts > limits.passwordFailuresPerMinute) {
      throw errors.rateLimited(`wrong passwords for meeting '${meeting.roomId}'`, counted.retryAfterSecs);
    }
    const ok = password != null && (await deps.hasher.verify(meeting.passwordHash, password));
    if (!ok) throw errors.invalidPassword(meeting.roomId);
    await passwordFailuresRepo.clearPasswordAttempts(deps.db, meeting.id, caller);
  }
  const participant = await deps.db.transaction(async (tx) => {
    const before = await meetingsRepo.lockMeetingWithCallerById(tx, meeting.id, caller);
    if (!before) return null;
    // The meeting row is locked, so the waiting-room count in the join is exact under concurrency.
    const cap = limits.maxWaitingPerMeeting;
    const joined = await participantsRepo.joinAsAttendee(tx, meeting.id, caller, displayName, cap);
    if (!joined) {
      if (meetingTransition(before.meeting.state, 'attendee-join').ok) throw errors.waitingRoomFull(meeting.roomId, cap);
      return null;
    }
    const events: NewMeetingEvent[] = [];
    if (joined.status !== before.caller?.status && (joined.status === 'waiting' || joined.status === 'admitted')) {
      events.push(participantEvent(`participant.${joined.status}`, caller, joined));
    }
    return { joined, at: await appendAndPosition(tx, meeting.id, before.meeting.eventSeq, events) };
  });
  if (!participant) return null;
  const { joined, at } = participant;
  // An admitted attendee joining again keeps admission and gets a fresh token.
  const token = mayReceiveToken(joined.status, 'active') ? tokenFor(deps.signer, meeting.roomId, joined, at) : null;
  return participantView(joined, token);
}

/** `limit` absent → everyone (bounded by the waiting-room cap); else clamped like `/meetings`. */
export function participantPage(query: ParticipantListQuery | undefined): participantsRepo.Page {
  const limit = query?.limit === undefined ? null : Math.min(PARTICIPANT_LIST_MAX_LIMIT, Math.max(1, query.limit));
  const offset = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, query?.offset ?? 0));
  return { limit, offset };
}

/** The caller's own row, with a fresh token while admitted to an active meeting. */
export async function getMyStatus(deps: ParticipationDeps, caller: string, rawId: string): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  const found = await meetingsRepo.findCallerStatus(deps.db, roomId, caller);
  if (!found) throw errors.meetingNotFound(roomId);
  const me = found.caller;
  if (!me) throw errors.notInMeeting(roomId);
  const token = mayReceiveToken(me.status, found.meetingState)
    ? tokenFor(deps.signer, roomId, me, { meetingId: found.meetingId, seq: found.eventSeq })
    : null;
  return participantView(me, token);
}

/**
 * `GET /status?wait=N`: while the caller is waiting, holds the answer until one of their
 * own events (or the meeting's deletion) is committed, `waitSecs` pass, or `cancelled`
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
  const found = await meetingsRepo.findCallerStatus(deps.db, roomId, caller);
  if (!found) throw errors.meetingNotFound(roomId);
  if (!found.caller) throw errors.notInMeeting(roomId);
  if (found.caller.status !== 'waiting' || waitSecs === 0) return getMyStatus(deps, caller, rawId);
  await new Promise<void>((resolve) => {
    const follower = hub.follow(
      found.meetingId,
      found.eventSeq,
      (events) => {
        if (events.some((e) => e.subject === caller || e.type === 'meeting.deleted')) done();
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
  return getMyStatus(deps, caller, rawId);
}

/**
 * Leave from `admitted` or `waiting`. The meeting row is locked so that two
 * last participants leaving at once still end the meeting.
 */
export async function leaveMeeting(deps: ParticipationDeps, caller: string, rawId: string): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  return deps.db.transaction(async (tx) => {
    const meeting = await meetingsRepo.lockLiveMeeting(tx, roomId);
    if (!meeting) throw errors.meetingNotFound(roomId);
    const left = await participantsRepo.transitionParticipant(tx, meeting.id, caller, 'leave');
    if (!left) throw errors.notInMeeting(roomId);
    const events = [participantEvent('participant.left', caller, left)];
    const remaining = await participantsRepo.countAdmitted(tx, meeting.id);
    if (meeting.state === 'active' && meetingEndsAfterLeave(left.isHost, remaining)) {
      await meetingsRepo.endMeeting(tx, meeting.id);
      events.push(meetingEvent('meeting.ended', caller, { ...meeting, state: 'ended' }));
    }
    await appendEvents(tx, meeting.id, events);
    return participantView(left);
  });
}

/** Meeting exists (404) → caller admitted (403 NOT_HOST). */
async function authorizeManager(deps: ParticipationDeps, caller: string, roomId: string): Promise<MeetingRef> {
  const found = await meetingsRepo.findMeetingWithCaller(deps.db, roomId, caller);
  if (!found) throw errors.meetingNotFound(roomId);
  if (!mayManageWaitingRoom(found.caller?.status ?? null)) throw errors.notHost(roomId);
  return found.meeting;
}

export async function getWaitingRoom(
  deps: ParticipationDeps,
  caller: string,
  rawId: string,
  query?: ParticipantListQuery,
): Promise<WaitingRoomResponse> {
  const roomId = parseMeetingId(rawId);
  const meeting = await authorizeManager(deps, caller, roomId);
  const waiting = await participantsRepo.listWaiting(deps.db, meeting.id, participantPage(query));
  return { meeting_id: roomId, waiting: waiting.map((p) => participantView(p)) };
}

/** Inside a transaction: locks the meeting, then checks it exists (404) and the caller may manage (403 NOT_HOST). */
async function lockAsManager(tx: Queryable, caller: string, roomId: string): Promise<MeetingRef> {
  const found = await meetingsRepo.lockMeetingWithCaller(tx, roomId, caller);
  if (!found) throw errors.meetingNotFound(roomId);
  if (!mayManageWaitingRoom(found.caller?.status ?? null)) throw errors.notHost(roomId);
  return found.meeting;
}

export async function decideOnParticipant(
  deps: ParticipationDeps,
  caller: string,
  rawId: string,
  target: string,
  decision: 'admit' | 'reject',
): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  return deps.db.transaction(async (tx) => {
    const meeting = await lockAsManager(tx, caller, roomId);
    const moved = await participantsRepo.transitionParticipant(tx, meeting.id, target, decision);
    if (!moved) throw errors.participantNotFound(target, roomId);
    await appendEvents(tx, meeting.id, [participantEvent(decision === 'admit' ? 'participant.admitted' : 'participant.rejected', caller, moved)]);
    return participantView(moved);
  });
}

export async function admitAll(deps: ParticipationDeps, caller: string, rawId: string): Promise<AdmitAllResponse> {
  const roomId = parseMeetingId(rawId);
  return deps.db.transaction(async (tx) => {
    const meeting = await lockAsManager(tx, caller, roomId);
    const admitted = await participantsRepo.admitAllWaiting(tx, meeting.id);
    await appendEvents(tx, meeting.id, admitted.map((p) => participantEvent('participant.admitted', caller, p)));
    return { admitted_count: admitted.length, admitted: admitted.map((p) => participantView(p)) };
  });
}

export async function listParticipants(
  deps: ParticipationDeps,
  rawId: string,
  query?: ParticipantListQuery,
): Promise<ParticipantListResponse> {
  const roomId = parseMeetingId(rawId);
  const meeting = await meetingsRepo.findLiveMeeting(deps.db, roomId);
  if (!meeting) throw errors.meetingNotFound(roomId);
  const admitted = await participantsRepo.listAdmitted(deps.db, meeting.id, participantPage(query));
  return admitted.map((p) => participantView(p));
}
