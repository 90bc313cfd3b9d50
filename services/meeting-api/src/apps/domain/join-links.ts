import { hkdfSync, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import {
  APP_IDENTITY_PREFIX,
  JOIN_LINK_AUDIENCE,
  JOIN_LINK_DEFAULT_TTL_SECS,
  JoinLinkClaimsSchema,
  SESSION_ALGORITHM,
  SESSION_ISSUER,
  type CreateJoinLinkRequest,
  type JoinLink,
  type JoinLinkClaims,
  type ParticipantStatusResponse,
} from 'meeting-types';
import { Compile } from 'typebox/compile';
import type { Database } from '../../db/database';
import { meetingTx } from '../../db/meeting-store';
import * as meetingsRepo from '../../db/meetings-repo';
import * as participantsRepo from '../../db/participants-repo';
import { errors } from '../../domain/errors';
import { meetingEvent, participantEvent } from '../../domain/events';
import { parseMeetingId } from '../../domain/meeting-id';
import { appendAndPosition } from '../../domain/locked-command';
import { decideAttendeeJoin, mayReceiveToken } from '../../domain/meeting-state';
import { DEFAULT_PARTICIPATION_LIMITS, refusal, tokenFor, type ParticipationLimits } from '../../domain/participation';
import type { NewMeetingEvent, ParticipantRecord } from '../../domain/records';
import type { TokenSigner } from '../../domain/token-signer';
import { participantView } from '../../domain/views';
import * as appsRepo from '../db/apps-repo';
import { appsErrors } from './apps-errors';

const claimsValidator = Compile(JoinLinkClaimsSchema);
/** The fixed HKDF label of the link-signing key (derived from the session key; changing it voids every link). */
const LINK_KEY_INFO = 'videocall-meeting-backend join link key v1';

export function deriveLinkKey(sessionKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', sessionKey, Buffer.alloc(0), LINK_KEY_INFO, 32));
}

export interface JoinLinkDeps {
  db: Database;
  signer: TokenSigner;
  linkKey: Uint8Array;
  /** `PUBLIC_URL`: links are `<publicUrl>/j/<token>`. */
  publicUrl: string;
  limits?: ParticipationLimits;
  now?: () => number;
}

// Control, bidi and zero-width characters: an identity must read as what it is.
const UNSAFE_IDENTITY_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The identity a link names: 1–255 characters, none unsafe, not a reserved prefix. */
export function checkLinkIdentity(identity: string): string {
  if (identity.length < 1 || identity.length > 255 || UNSAFE_IDENTITY_CHARACTERS.test(identity) || identity.trim() !== identity) {
    throw errors.invalidRequest('identity must be 1–255 characters, without control, bidi or zero-width characters or surrounding spaces');
  }
  if (identity.toLowerCase().startsWith('guest-') || identity.toLowerCase().startsWith(APP_IDENTITY_PREFIX)) {
    throw errors.invalidRequest(`identity must not start with "guest-" or "${APP_IDENTITY_PREFIX}" (reserved)`);
  }
  return identity;
}

/**
 * Mints a link. Allowed: the meeting's owner (which the key that created it acts as) and its
 * admitted host, for any role; an admitted co-host, for `cohost` and `attendee` only.
 */
export async function createJoinLink(deps: JoinLinkDeps, caller: string, rawId: string, request: CreateJoinLinkRequest): Promise<JoinLink> {
  const roomId = parseMeetingId(rawId);
  const identity = checkLinkIdentity(request.identity);
  const displayName = request.display_name.trim();
  if (displayName === '' || CONTROL_CHARACTERS.test(displayName)) {
    throw errors.invalidRequest('display_name must be 1–255 characters, without control characters');
  }
  const role = request.role ?? 'attendee';
  const meeting = await meetingsRepo.findLiveMeeting(deps.db, roomId);
  if (!meeting) throw errors.meetingNotFound(roomId);
  const me = meeting.creatorId === caller ? null : await participantsRepo.findParticipant(deps.db, meeting.id, caller);
  const admittedAs = me?.status === 'admitted' ? me.role : null;
  const mayAnyRole = meeting.creatorId === caller || admittedAs === 'host';
  if (!mayAnyRole) {
    if (admittedAs !== 'cohost') throw appsErrors.notLinkMinter(roomId, 'the owner, the host or a co-host');
    if (role === 'host') throw appsErrors.notLinkMinter(roomId, 'the owner or the host');
  }
  const now = Math.floor((deps.now ?? Date.now)() / 1000);
  const expiresAt = now + (request.expires_in_secs ?? JOIN_LINK_DEFAULT_TTL_SECS);
  const link = await appsRepo.insertJoinLink(deps.db, {
    id: randomBytes(8).toString('hex'),
    meetingId: meeting.id,
    identity,
    displayName,
    role,
    skipWaitingRoom: request.skip_waiting_room ?? false,
    expiresAt,
    createdBy: caller,
  });
  const token = await new SignJWT({ lid: link.id, room: roomId, mid: meeting.id })
    .setProtectedHeader({ alg: SESSION_ALGORITHM, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .setIssuer(SESSION_ISSUER)
    .setAudience(JOIN_LINK_AUDIENCE)
    .sign(deps.linkKey);
  return { id: link.id, url: `${deps.publicUrl}/j/${token}`, token, expires_at: expiresAt };
}

/** Revokes a link of this meeting and the sessions redeemed from it; returns those session ids. */
export async function revokeJoinLink(deps: JoinLinkDeps, caller: string, rawId: string, linkId: string): Promise<string[]> {
  const roomId = parseMeetingId(rawId);
  const meeting = await meetingsRepo.findLiveMeeting(deps.db, roomId);
  if (!meeting) throw errors.meetingNotFound(roomId);
  const link = await appsRepo.findJoinLink(deps.db, linkId);
  if (!link || link.meetingId !== meeting.id) throw appsErrors.linkNotFound(linkId);
  // Whoever could have minted it may revoke it.
  if (meeting.creatorId !== caller) {
    const me = await participantsRepo.findParticipant(deps.db, meeting.id, caller);
    const admittedAs = me?.status === 'admitted' ? me.role : null;
    if (admittedAs !== 'host' && !(admittedAs === 'cohost' && link.role !== 'host')) {
      throw appsErrors.notLinkMinter(roomId, 'the owner, the host or a co-host');
    }
  }
  await deps.db.transaction((tx) => appsRepo.revokeJoinLink(tx, meeting.id, linkId));
  return appsRepo.listLinkSessions(deps.db, linkId);
}

/** What a valid, current link grants: checked signature, row, expiry and meeting instance; else 401 INVALID_LINK. */
export async function verifyJoinLink(deps: JoinLinkDeps, token: string): Promise<{ claims: JoinLinkClaims; link: appsRepo.JoinLinkRecord }> {
  const nowMs = (deps.now ?? Date.now)();
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, deps.linkKey, {
      algorithms: [SESSION_ALGORITHM],
      issuer: SESSION_ISSUER,
      audience: JOIN_LINK_AUDIENCE,
      currentDate: new Date(nowMs),
      clockTolerance: 0,
    }));
  } catch {
    throw appsErrors.invalidLink();
  }
  if (!claimsValidator.Check(payload)) throw appsErrors.invalidLink();
  const claims = payload as JoinLinkClaims;
  const link = await appsRepo.findJoinLink(deps.db, claims.lid);
  if (!link || link.revoked || link.meetingId !== claims.mid || link.expiresAt <= Math.floor(nowMs / 1000)) throw appsErrors.invalidLink();
  const meeting = await appsRepo.findMeetingScope(deps.db, claims.room);
  // Deleted (and perhaps re-created under the same id): the link was for the old instance.
  if (!meeting || meeting.id !== claims.mid) throw appsErrors.invalidLink();
  return { claims, link };
}

/** The link a session was redeemed from, as the caller seam resolved it. */
export interface LinkGrant {
  linkId: string;
  roomId: string;
  meetingId: number;
}

/**
 * `/join` by a link session: what the link says, with its display name. `host` activates the
 * meeting and takes the host role if no admitted person holds it (else co-host); `cohost` is
 * admitted as co-host; `attendee` waits unless `skip_waiting_room` (or the meeting's waiting room
 * is off). Non-host links need an active meeting. A ban always holds; the meeting password is
 * not asked (the link is the invitation).
 */
export async function joinByLink(deps: JoinLinkDeps, identity: string, grant: LinkGrant, rawId: string): Promise<ParticipantStatusResponse> {
  const roomId = parseMeetingId(rawId);
  const link = await appsRepo.findJoinLink(deps.db, grant.linkId);
  if (!link || link.revoked) throw appsErrors.invalidLink();
  return deps.db.transaction(async (tx) => {
    const meeting = await meetingsRepo.lockLiveMeeting(tx, roomId);
    if (!meeting || meeting.id !== link.meetingId) throw errors.meetingNotFound(roomId);
    const me = await participantsRepo.findParticipant(tx, meeting.id, identity);
    if (me?.banned) throw errors.participantBanned(roomId);
    const events: NewMeetingEvent[] = [];
    let participant: ParticipantRecord | null;
    let state = meeting.state;

    if (link.role === 'host') {
      if (await appsRepo.activateMeeting(tx, meeting.id)) {
        state = 'active';
        const ref = await meetingsRepo.findMeetingRefById(tx, meeting.id);
        events.push(meetingEvent('meeting.activated', identity, ref!));
      }
      const holder = await appsRepo.findAdmittedHost(tx, meeting.id);
      const role = holder === null || holder.email === identity ? 'host' : 'cohost';
      if (role === 'host') await appsRepo.releaseIdleHostRole(tx, meeting.id);
      participant = await appsRepo.admitWithRole(tx, meeting.id, identity, link.displayName, role);
    } else if (state !== 'active') {
      throw errors.meetingNotActive(roomId);
    } else if (link.role === 'cohost') {
      // Already the host (through another link or the owner's join): keep the higher role.
      const role = me?.status === 'admitted' && me.role === 'host' ? 'host' : 'cohost';
      participant = await appsRepo.admitWithRole(tx, meeting.id, identity, link.displayName, role);
    } else {
      const s = meeting.settings;
      const decision = decideAttendeeJoin({
        meetingState: state,
        current: me?.status ?? null,
        banned: false,
        locked: s.locked,
        waitingRoomEnabled: s.waitingRoomEnabled && !link.skipWaitingRoom,
        isGuest: false,
        admittedCount: await participantsRepo.countAdmitted(tx, meeting.id),
        maxParticipants: s.maxParticipants,
      });
      if (!decision.ok) throw refusal(decision.error, roomId, identity);
      const cap = (deps.limits ?? DEFAULT_PARTICIPATION_LIMITS).maxWaitingPerMeeting;
      participant = await participantsRepo.joinAsAttendee(tx, meeting.id, identity, link.displayName, cap, decision.event);
      if (!participant) throw errors.waitingRoomFull(roomId, cap);
    }
    if (!participant) throw errors.participantBanned(roomId);
    if (participant.status !== me?.status && (participant.status === 'waiting' || participant.status === 'admitted')) {
      events.push(participantEvent(`participant.${participant.status}`, identity, participant));
    } else if (me !== null && participant.role !== me.role) {
      events.push(participantEvent('participant.role_changed', identity, participant));
    }
    const at = await appendAndPosition(meetingTx(tx), meeting.id, meeting.eventSeq, events);
    const token = mayReceiveToken(participant.status, state) ? tokenFor(deps.signer, roomId, participant, at) : null;
    return participantView(participant, token);
  });
}
