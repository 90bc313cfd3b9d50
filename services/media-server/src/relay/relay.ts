import type { PresenceMember } from 'meeting-types';

/** Who sent a frame, from their token: the `videocall.v1` stamp. */
export interface FrameOrigin {
  session: string;
  identity: string;
}

/** Frames from other instances land here; the app fans them out to its local members. */
export type RemoteFrameHandler = (room: string, data: Buffer, isBinary: boolean, origin: FrameOrigin | undefined) => void;

/**
 * Presence between instances. `join`: a member arrived (receivers answer with `here` for
 * their own members, so the newcomer's instance learns the whole room); `here`: a member that
 * is present (also repeated periodically, so a crashed instance's members expire); `leave`.
 */
export type MemberEvent =
  | { type: 'join' | 'here'; member: PresenceMember }
  | { type: 'leave'; session: string };
export type RemoteMemberHandler = (room: string, event: MemberEvent) => void;
/** This instance's announced members of a room (told to an instance that arrives in it). */
export type LocalMembersSource = (room: string) => PresenceMember[];

/**
 * Carries frames between Media Server instances. Local delivery is the app's job and
 * never depends on the relay; the relay only reaches the room's members elsewhere.
 */
export interface Relay {
  readonly kind: 'local' | 'nats';
  /** Called once by the app before any join/publish. */
  start(onRemoteFrame: RemoteFrameHandler, onRemoteMember?: RemoteMemberHandler, localMembers?: LocalMembersSource): void;
  /** This instance got its first member in `room`: start receiving the room's frames. */
  join(room: string): void;
  /**
   * Resolves once frames published to `room` by other instances are sure to reach this one
   * (the subscription is active at the broker), so a client whose handshake has completed
   * misses nothing, exactly as on a single instance. Never blocks on a broker outage.
   */
  ready(room: string): Promise<void>;
  /** This instance's last member left `room`: stop receiving them. */
  leave(room: string): void;
  /** Sends one frame of connection `connId` in `room` to the other instances, once (not per receiver). */
  publish(room: string, data: Buffer, isBinary: boolean, connId: number, origin?: FrameOrigin): void;
  /** Tells the other instances about a member of `room` on this one. */
  publishMember(room: string, event: MemberEvent): void;
  /** Flushes what is pending and disconnects. */
  close(): Promise<void>;
  /** Broker connection state, for metrics; absent on the local relay. */
  health?(): { connected: boolean; reconnects: number; rejectedMemberMessages: number };
}
