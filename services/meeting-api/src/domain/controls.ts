import type {
  MeetingInfoResponse,
  ParticipantStatusResponse,
  RemoveRequest,
  SetRoleRequest,
  UpdateMeetingRequest,
} from 'meeting-types';
import type { Queryable } from '../db/database';
import { appendEvents, type NewMeetingEvent } from '../events/db/events-repo';
import * as meetingsRepo from '../db/meetings-repo';
import * as participantsRepo from '../db/participants-repo';
import type { LiveMeeting } from '../db/meetings-repo';
import type { ParticipantRecord } from '../db/rows';
import { errors } from './errors';
import { meetingEvent, participantEvent } from './events';
import { GUEST_IDENTITY_PATTERN } from 'meeting-types';
import { isGuestIdentity, mayHoldHostRole } from './guests';
import { parseMeetingId } from './meeting-id';
import {
  admissibleCount,
  mayAssignRoles,
  mayControlMeeting,
  mayHoldRole,
  mayRemoveParticipants,
  meetingTransition,
  statusesAllowing,
  type Actor,
} from './meeting-state';
import { actorOf, type ParticipationDeps } from './participation';
import { meetingInfoView, participantView } from './views';

/**
 * Meeting controls (the meeting-controls extension). Each runs in one transaction that first
 * locks the meeting row: every check (roles, capacity, bans) and every change
 * hold together, so racing controls see each other.
 */
export type ControlDeps = ParticipationDeps;

interface Locked {
  meeting: LiveMeeting;
  me: ParticipantRecord | null;
  actor: Actor;
}

async function lockWithCaller(
  tx: Queryable,
  roomId: string,
  caller: string,
  may: (actor: Actor) => boolean,
  who: string,
): Promise<Locked> {
  const meeting = await meetingsRepo.lockLiveMeeting(tx, roomId);
  if (!meeting) throw errors.meetingNotFound(roomId);
  const me = await participantsRepo.findParticipant(tx, meeting.id, caller);
  const actor = actorOf(meeting, caller, me);
  if (!may(actor)) throw errors.notManager(roomId, who);
  return { meeting, me, actor };
}

const HOSTS_AND_OWNER = 'the owner, the host or a co-host';
const HOSTS = 'the host or a co-host';
const HOST_OR_OWNER = 'the host or the owner';

/** `PATCH /meetings/{id}`: any subset of the settings; turning the waiting room off admits those waiting. */
export async function updateMeeting(
  deps: ControlDeps,
  caller: string,
  rawId: string,
  body: UpdateMeetingRequest,
): Promise<MeetingInfoResponse> {
  const roomId = parseMeetingId(rawId);
  // Hash before the transaction: no lock is held during the slow part. `""` removes, as on create.
  const passwordHash =
    body.password === undefined ? undefined : body.password === null || body.password === '' ? null : await deps.hasher.hash(body.password);
  return deps.db.transaction(async (tx) => {
    const { meeting, me } = await lockWithCaller(tx, roomId, caller, mayControlMeeting, HOSTS_AND_OWNER);
    const updated = await meetingsRepo.updateSettings(tx, meeting.id, {
      waitingRoomEnabled: body.waiting_room_enabled,
      admitPolicy: body.admit_policy,
      hostLeavePolicy: body.host_leave_policy,
      locked: body.locked,
      maxParticipants: body.max_participants,
      allowGuests: body.allow_guests,
      earlyKnock: body.early_knock,
      passwordHash,
    });
    const events: NewMeetingEvent[] = [meetingEvent('meeting.updated', caller, updated)];
    if (meeting.settings.waitingRoomEnabled && !updated.settings.waitingRoomEnabled) {
      // Guests always go through the waiting room, so they keep waiting.
      const max = updated.settings.maxParticipants;
      const limit = max === null ? null : admissibleCount(await participantsRepo.countAdmitted(tx, meeting.id), max, Number.POSITIVE_INFINITY);
      const admitted = limit === 0 ? [] : await participantsRepo.admitAllWaiting(tx, meeting.id, limit, GUEST_IDENTITY_PATTERN.source);
      events.push(...admitted.map((p) => participantEvent('participant.admitted', caller, p)));
    }
    if (Object.values(body).some((v) => v !== undefined)) await appendEvents(tx, meeting.id, events);
    return meetingInfoView(updated, me);
  });
}

/** `POST /end`: every waiting and admitted row becomes `left` and the meeting ends; idempotent. */
export async function endMeetingForAll(deps: ControlDeps, caller: string, rawId: string): Promise<MeetingInfoResponse> {
  const roomId = parseMeetingId(rawId);
  return deps.db.transaction(async (tx) => {
    const { meeting } = await lockWithCaller(tx, roomId, caller, mayControlMeeting, HOSTS_AND_OWNER);
    const next = meetingTransition(meeting.state, 'end-for-all');
    let ends = false;
    if (next.ok && next.next !== meeting.state) {
      await participantsRepo.endForAll(tx, meeting.id);
      await meetingsRepo.endMeeting(tx, meeting.id);
      ends = true;
    } else if (meeting.state === 'ended') {
      // Ended by the host leaving (the videocall-rs meeting API keeps the others' rows): now everyone is out.
      await participantsRepo.endForAll(tx, meeting.id);
    }
    const after = await meetingsRepo.readMeeting(tx, meeting.id);
    if (ends) await appendEvents(tx, meeting.id, [meetingEvent('meeting.ended', caller, after)]);
    return meetingInfoView(after, await participantsRepo.findParticipant(tx, meeting.id, caller));
  });
}

/** `POST /remove`: an admitted or waiting participant becomes `removed` (and `banned` with `ban`). */
export async function removeParticipant(
  deps: ControlDeps,
  caller: string,
  rawId: string,
  body: RemoveRequest,
): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  return deps.db.transaction(async (tx) => {
    const { meeting } = await lockWithCaller(tx, roomId, caller, mayRemoveParticipants, HOSTS);
    const target = await participantsRepo.findParticipant(tx, meeting.id, body.email);
    if (!target || !statusesAllowing('remove').includes(target.status)) throw errors.notPresent(body.email, roomId);
    // The owner can always take the host role back, so removing them would not stick either.
    if (target.role === 'host' || target.email === meeting.creatorId) throw errors.cannotRemoveHost(roomId);
    if (target.email === caller) throw errors.invalidRequest('You cannot remove yourself: leave the meeting instead');
    const removed = await participantsRepo.transitionParticipant(tx, meeting.id, body.email, 'remove', body.ban === true);
    if (!removed) throw errors.notPresent(body.email, roomId);
    await appendEvents(tx, meeting.id, [participantEvent('participant.removed', caller, removed)]);
    return participantView(removed);
  });
}

/** `POST /unban`: clears `banned`; the row stays `removed`/`rejected`, so the person may knock again. */
export async function unbanParticipant(deps: ControlDeps, caller: string, rawId: string, email: string): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  return deps.db.transaction(async (tx) => {
    const { meeting } = await lockWithCaller(tx, roomId, caller, mayRemoveParticipants, HOSTS);
    const cleared = await participantsRepo.clearBan(tx, meeting.id, email);
    if (!cleared) throw errors.unknownParticipant(email, roomId);
    return participantView(cleared);
  });
}

/** `POST /role`: an admitted participant becomes co-host or attendee. */
export async function setParticipantRole(
  deps: ControlDeps,
  caller: string,
  rawId: string,
  body: SetRoleRequest,
): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  return deps.db.transaction(async (tx) => {
    const { meeting } = await lockWithCaller(tx, roomId, caller, mayAssignRoles, HOST_OR_OWNER);
    const target = await participantsRepo.findParticipant(tx, meeting.id, body.email);
    if (target?.status !== 'admitted') throw errors.notAdmitted(body.email, roomId);
    if (target.role === 'host') throw errors.invalidRequest('The host role moves only with transfer-host');
    if (!mayHoldRole(body.role, isGuestIdentity(target.email))) {
      throw errors.guestsNotAllowed('Guests cannot be co-hosts');
    }
    if (target.role === body.role) return participantView(target);
    const changed = await participantsRepo.setRole(tx, meeting.id, body.email, body.role);
    await appendEvents(tx, meeting.id, [participantEvent('participant.role_changed', caller, changed!)]);
    return participantView(changed!);
  });
}

/** `POST /transfer-host`: the target becomes host and the previous host co-host, atomically. */
export async function transferHost(deps: ControlDeps, caller: string, rawId: string, email: string): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  return deps.db.transaction(async (tx) => {
    const { meeting } = await lockWithCaller(tx, roomId, caller, mayAssignRoles, HOST_OR_OWNER);
    const target = await participantsRepo.findParticipant(tx, meeting.id, email);
    if (target?.status !== 'admitted') throw errors.notAdmitted(email, roomId);
    if (!mayHoldHostRole(target.email)) throw errors.guestsNotAllowed('Guests cannot be hosts');
    if (target.role === 'host') return participantView(target);
    const demoted = await participantsRepo.demoteOtherHosts(tx, meeting.id, email);
    const host = await participantsRepo.setRole(tx, meeting.id, email, 'host');
    await appendEvents(tx, meeting.id, [...demoted, host!].map((p) => participantEvent('participant.role_changed', caller, p)));
    return participantView(host!);
  });
}
