import type { AdmitPolicy, ParticipantRole, ParticipantStatus } from './states';

/**
 * Who may do what in a meeting, as pure functions of the caller's row and the meeting's
 * settings. The Meeting API's domain enforces them; the web app asks the same functions
 * which controls to show, so the two never disagree. No I/O, no schemas: safe to bundle.
 */

/** The caller as the authorization rules see them: their row (if any) and whether they own the meeting. */
export interface Actor {
  status: ParticipantStatus | null;
  role: ParticipantRole | null;
  isOwner: boolean;
}

const isAdmittedAs = (actor: Actor, roles: readonly ParticipantRole[]) =>
  actor.status === 'admitted' && actor.role !== null && roles.includes(actor.role);

/**
 * Who may list the waiting room, admit, reject and admit-all: any admitted
 * participant (the videocall-rs meeting API's rule), or under `hosts` only the host and co-hosts.
 */
export function mayManageWaitingRoom(actor: Actor, policy: AdmitPolicy = 'any_admitted'): boolean {
  return policy === 'any_admitted' ? actor.status === 'admitted' : isAdmittedAs(actor, ['host', 'cohost']);
}

/** PATCH settings and `/end`: the owner, the host or a co-host. */
export function mayControlMeeting(actor: Actor): boolean {
  return actor.isOwner || isAdmittedAs(actor, ['host', 'cohost']);
}

/** `/remove` and `/unban`: the host or a co-host. */
export function mayRemoveParticipants(actor: Actor): boolean {
  return isAdmittedAs(actor, ['host', 'cohost']);
}

/** `/role` and `/transfer-host`: the host, or the owner. */
export function mayAssignRoles(actor: Actor): boolean {
  return actor.isOwner || isAdmittedAs(actor, ['host']);
}

/** Guests never hold the host or co-host role. */
export function mayHoldRole(role: ParticipantRole, isGuest: boolean): boolean {
  return role === 'attendee' || !isGuest;
}

/** Guest identities: `guest-` and 16 lowercase hex digits. No other sign-in may produce one. */
export const GUEST_IDENTITY_PATTERN = /^guest-[0-9a-f]{16}$/;

/** A guest is recognised by its identity (`guest-<16 hex>`), which only the guest-session route hands out. */
export function isGuestIdentity(identity: string): boolean {
  return GUEST_IDENTITY_PATTERN.test(identity);
}
