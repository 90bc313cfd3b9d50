import type { FrameOrigin, MemberEvent, Relay, RemoteFrameHandler, RemoteMemberHandler } from './relay';

/**
 * An in-process bus. Each relay attached to the same hub acts as one "instance";
 * by default every relay gets its own hub, so it relays to nobody (single instance).
 * Sharing a hub lets tests run several servers in one process without NATS.
 */
export class LocalHub {
  readonly rooms = new Map<string, Set<LocalRelay>>();
}

export class LocalRelay implements Relay {
  readonly kind = 'local' as const;
  private onRemote: RemoteFrameHandler | undefined;
  private onMemberEvent: RemoteMemberHandler | undefined;

  constructor(private readonly hub: LocalHub = new LocalHub()) {}

  start(onRemoteFrame: RemoteFrameHandler, onRemoteMember?: RemoteMemberHandler): void {
    this.onRemote = onRemoteFrame;
    this.onMemberEvent = onRemoteMember;
  }

  join(room: string): void {
    let set = this.hub.rooms.get(room);
    if (set === undefined) {
      set = new Set();
      this.hub.rooms.set(room, set);
    }
    set.add(this);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  leave(room: string): void {
    const set = this.hub.rooms.get(room);
    if (set === undefined) return;
    set.delete(this);
    if (set.size === 0) this.hub.rooms.delete(room);
  }

  publish(room: string, data: Buffer, isBinary: boolean, _connId: number, origin?: FrameOrigin): void {
    const set = this.hub.rooms.get(room);
    if (set === undefined) return;
    for (const peer of set) {
      if (peer !== this) peer.onRemote?.(room, data, isBinary, origin);
    }
  }

  publishMember(room: string, event: MemberEvent): void {
    const set = this.hub.rooms.get(room);
    if (set === undefined) return;
    for (const peer of set) {
      if (peer !== this) peer.onMemberEvent?.(room, event);
    }
  }

  async close(): Promise<void> {
    for (const [room, set] of this.hub.rooms) {
      set.delete(this);
      if (set.size === 0) this.hub.rooms.delete(room);
    }
  }
}

export function createLocalRelay(hub?: LocalHub): LocalRelay {
  return new LocalRelay(hub);
}
