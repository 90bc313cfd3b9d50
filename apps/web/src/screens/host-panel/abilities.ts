import type { MeetingInfo, Participant } from 'meeting-client';
import { mayAssignRoles, mayControlMeeting, mayManageWaitingRoom, mayRemoveParticipants, type Actor } from 'meeting-types/permissions';

/** What the person may do in this meeting: the Meeting API's own rules (meeting-types/permissions), asked here. */
export interface Abilities {
  /** See the waiting room, admit and deny. */
  manageWaiting: boolean;
  /** Host or co-host: knocks alert them (toast, chime, title, desktop notification). */
  hostLike: boolean;
  /** Settings and ending the meeting for everyone. */
  control: boolean;
  /** Remove and ban. */
  remove: boolean;
  /** Co-host and host roles. */
  assignRoles: boolean;
}

export function abilitiesOf(info: MeetingInfo, me: Participant, myEmail: string): Abilities {
  const actor: Actor = {
    status: me.status,
    role: me.role ?? (me.is_host ? 'host' : 'attendee'),
    isOwner: info.host === myEmail,
  };
  // Without the meeting controls on this server, only the videocall-rs meeting API's rules apply.
  const controls = info.waiting_room_enabled !== undefined;
  return {
    manageWaiting: mayManageWaitingRoom(actor, info.admit_policy ?? 'any_admitted'),
    hostLike: me.status === 'admitted' && (actor.role === 'host' || actor.role === 'cohost'),
    control: controls && mayControlMeeting(actor),
    remove: controls && mayRemoveParticipants(actor),
    assignRoles: controls && mayAssignRoles(actor),
  };
}
