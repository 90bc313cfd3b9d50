import { isGuestIdentity } from 'meeting-types/permissions';
import { ApiError } from './errors';

/**
 * The guest rules of the sign-in extension, in one place. A guest is recognised by its
 * identity (`guest-<16 hex>`), which only `POST /api/v1/guest-session` hands out, so
 * the rules hold wherever an identity appears (caller, participant rows, targets).
 */
export { isGuestIdentity };

/** The part of a meeting the guest rules read: its id and its settings (column `meetings.allow_guests`). */
export interface GuestRulesMeeting {
  roomId: string;
  settings: { allowGuests: boolean };
}

/** Whether guests may knock at this meeting: the one place that reads its `allow_guests` setting. */
export function meetingAllowsGuests(meeting: GuestRulesMeeting): boolean {
  return meeting.settings.allowGuests;
}

/** Guests never create a meeting (POST /meetings, nor a join that would create one). */
export function assertMayCreate(caller: string): void {
  if (isGuestIdentity(caller)) throw guestErrors.cannotCreate();
}

/** A guest joining `meeting`: refused unless it allows guests. */
export function assertGuestMayJoin(caller: string, meeting: GuestRulesMeeting): void {
  if (isGuestIdentity(caller) && !meetingAllowsGuests(meeting)) throw guestErrors.notAllowed(meeting.roomId);
}

/** Guests always go through the waiting room, even when it is turned off. */
export function mustWait(identity: string, waitingRoomEnabled: boolean): boolean {
  return waitingRoomEnabled || isGuestIdentity(identity);
}

/** Guests never hold the host or co-host role. */
export function mayHoldHostRole(identity: string): boolean {
  return !isGuestIdentity(identity);
}

export const guestErrors = {
  cannotCreate: () => new ApiError('GUESTS_CANNOT_CREATE', 'Guests cannot create meetings; sign in to start one.'),
  notAllowed: (id: string) => new ApiError('GUESTS_NOT_ALLOWED', `Meeting '${id}' does not allow guests; sign in to join it.`),
};
