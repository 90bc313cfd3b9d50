import type {
  MeetingInfoResponse,
  ParticipantStatusResponse,
  RemoveRequest,
  SetRoleRequest,
  UpdateMeetingRequest,
} from 'meeting-types';
import { errors } from './errors';
import { meetingEvent, participantEvent } from './events';
import { GUEST_IDENTITY_PATTERN } from 'meeting-types';
import { isGuestIdentity, mayHoldHostRole } from './guests';
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
import { runLocked, type Locked, type Outcome, type Permission } from './locked-command';
import type { ParticipationDeps } from './participation';
import type { NewMeetingEvent } from './records';
import { meetingInfoView, participantView } from './views';

/**
 * Meeting controls (the meeting-controls extension). Each is a locked command (`runLocked`):
 * one transaction that first locks the meeting row, so every check (roles, capacity, bans)
 * and every change hold together, and racing controls see each other.
 */
export type ControlDeps = ParticipationDeps;

/** Those `may` allows; everyone else gets 403 NOT_HOST naming `who`. */
function managers(may: (actor: Actor) => boolean, who: string): Permission {
  return { allows: (actor) => may(actor), refusal: (roomId) => errors.notManager(roomId, who) };
}

const CONTROLS_MEETING = managers(mayControlMeeting, 'the owner, the host or a co-host');
const REMOVES_PARTICIPANTS = managers(mayRemoveParticipants, 'the host or a co-host');
const ASSIGNS_ROLES = managers(mayAssignRoles, 'the host or the owner');

/** `PATCH /meetings/{id}`: any subset of the settings; turning the waiting room off admits those waiting. */
export async function updateMeeting(
  deps: ControlDeps,
  caller: string,
  rawId: string,
  body: UpdateMeetingRequest,
): Promise<MeetingInfoResponse> {
  // Hashed before the transaction: no lock is held during the slow part. `""` removes, as on create.
  const hashPassword = async () =>
    body.password === undefined ? undefined : body.password === null || body.password === '' ? null : await deps.hasher.hash(body.password);
  const command = async ({ tx, meeting, me }: Locked, passwordHash: string | null | undefined): Promise<Outcome<MeetingInfoResponse>> => {
    const updated = await tx.updateSettings(meeting.id, {
      waitingRoomEnabled: body.waiting_room_enabled,
      admitPolicy: body.admit_policy,
      hostLeavePolicy: body.host_leave_policy,
      locked: body.locked,
      maxParticipants: body.max_participants,
      allowGuests: body.allow_guests,
      earlyKnock: body.early_knock,
      multipleScreenShares: body.multiple_screen_shares,
      passwordHash,
    });
    const events: NewMeetingEvent[] = [meetingEvent('meeting.updated', caller, updated)];
    if (meeting.settings.waitingRoomEnabled && !updated.settings.waitingRoomEnabled) {
      // Guests always go through the waiting room, so they keep waiting.
      const max = updated.settings.maxParticipants;
      const limit = max === null ? null : admissibleCount(await tx.countAdmitted(meeting.id), max, Number.POSITIVE_INFINITY);
      const admitted = limit === 0 ? [] : await tx.admitAllWaiting(meeting.id, limit, GUEST_IDENTITY_PATTERN.source);
      events.push(...admitted.map((p) => participantEvent('participant.admitted', caller, p)));
    }
    // An empty change changes nothing and tells nobody.
    return { events: Object.values(body).some((v) => v !== undefined) ? events : [], result: meetingInfoView(updated, me) };
  };
  return runLocked(deps.meetings, caller, rawId, CONTROLS_MEETING, command, hashPassword);
}

/** `POST /end`: every waiting and admitted row becomes `left` and the meeting ends; idempotent. */
export async function endMeetingForAll(deps: ControlDeps, caller: string, rawId: string): Promise<MeetingInfoResponse> {
  return runLocked(deps.meetings, caller, rawId, CONTROLS_MEETING, async ({ tx, meeting }) => {
    const next = meetingTransition(meeting.state, 'end-for-all');
    let ends = false;
    if (next.ok && next.next !== meeting.state) {
      await tx.endForAll(meeting.id);
      await tx.endMeeting(meeting.id);
      ends = true;
    } else if (meeting.state === 'ended') {
      // Ended by the host leaving (the videocall-rs meeting API keeps the others' rows): now everyone is out.
      await tx.endForAll(meeting.id);
    }
    const after = await tx.readMeeting(meeting.id);
    return {
      events: ends ? [meetingEvent('meeting.ended', caller, after)] : [],
      // The caller's own row as the end left it.
      reply: async () => meetingInfoView(after, await tx.findParticipant(meeting.id, caller)),
    };
  });
}

/** `POST /remove`: an admitted or waiting participant becomes `removed` (and `banned` with `ban`). */
export async function removeParticipant(
  deps: ControlDeps,
  caller: string,
  rawId: string,
  body: RemoveRequest,
): Promise<ParticipantStatusResponse> {
  return runLocked(deps.meetings, caller, rawId, REMOVES_PARTICIPANTS, async ({ tx, meeting, roomId }) => {
    const target = await tx.findParticipant(meeting.id, body.email);
    if (!target || !statusesAllowing('remove').includes(target.status)) throw errors.notPresent(body.email, roomId);
    // The owner can always take the host role back, so removing them would not stick either.
    if (target.role === 'host' || target.email === meeting.creatorId) throw errors.cannotRemoveHost(roomId);
    if (target.email === caller) throw errors.invalidRequest('You cannot remove yourself: leave the meeting instead');
    const removed = await tx.transitionParticipant(meeting.id, body.email, 'remove', body.ban === true);
    if (!removed) throw errors.notPresent(body.email, roomId);
    return { events: [participantEvent('participant.removed', caller, removed)], result: participantView(removed) };
  });
}

/** `POST /unban`: clears `banned`; the row stays `removed`/`rejected`, so the person may knock again. */
export async function unbanParticipant(deps: ControlDeps, caller: string, rawId: string, email: string): Promise<ParticipantStatusResponse> {
  return runLocked(deps.meetings, caller, rawId, REMOVES_PARTICIPANTS, async ({ tx, meeting, roomId }) => {
    const cleared = await tx.clearBan(meeting.id, email);
    if (!cleared) throw errors.unknownParticipant(email, roomId);
    return { events: [], result: participantView(cleared) };
  });
}

/** `POST /role`: an admitted participant becomes co-host or attendee. */
export async function setParticipantRole(
  deps: ControlDeps,
  caller: string,
  rawId: string,
  body: SetRoleRequest,
): Promise<ParticipantStatusResponse> {
  return runLocked(deps.meetings, caller, rawId, ASSIGNS_ROLES, async ({ tx, meeting, roomId }) => {
    const target = await tx.findParticipant(meeting.id, body.email);
    if (target?.status !== 'admitted') throw errors.notAdmitted(body.email, roomId);
    if (target.role === 'host') throw errors.invalidRequest('The host role moves only with transfer-host');
    if (!mayHoldRole(body.role, isGuestIdentity(target.email))) {
      throw errors.guestsNotAllowed('Guests cannot be co-hosts');
    }
    if (target.role === body.role) return { events: [], result: participantView(target) };
    const changed = await tx.setRole(meeting.id, body.email, body.role);
    return { events: [participantEvent('participant.role_changed', caller, changed!)], result: participantView(changed!) };
  });
}

/** `POST /transfer-host`: the target becomes host and the previous host co-host, atomically. */
export async function transferHost(deps: ControlDeps, caller: string, rawId: string, email: string): Promise<ParticipantStatusResponse> {
  return runLocked(deps.meetings, caller, rawId, ASSIGNS_ROLES, async ({ tx, meeting, roomId }) => {
    const target = await tx.findParticipant(meeting.id, email);
    if (target?.status !== 'admitted') throw errors.notAdmitted(email, roomId);
    if (!mayHoldHostRole(target.email)) throw errors.guestsNotAllowed('Guests cannot be hosts');
    if (target.role === 'host') return { events: [], result: participantView(target) };
    const demoted = await tx.demoteOtherHosts(meeting.id, email);
    const host = await tx.setRole(meeting.id, email, 'host');
    return { events: [...demoted, host!].map((p) => participantEvent('participant.role_changed', caller, p)), result: participantView(host!) };
  });
}
