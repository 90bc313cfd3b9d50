import type { PresenceMember } from 'meeting-types';

/**
 * The members of each room that live on *other* instances, as their presence messages told
 * us. Pure bookkeeping: the app decides what to send. Entries not refreshed by a `here` within
 * `ttlMs` expire (their instance crashed or lost NATS without saying goodbye).
 */
export class RemoteRoster {
  private readonly rooms = new Map<string, Map<string, { member: PresenceMember; seenAt: number }>>();

  constructor(private readonly ttlMs: number) {}

  /** Adds or refreshes a member; true when it is new (announce it). */
  upsert(room: string, member: PresenceMember, now: number): boolean {
    let set = this.rooms.get(room);
    if (set === undefined) {
      set = new Map();
      this.rooms.set(room, set);
    }
    const had = set.has(member.session);
    set.set(member.session, { member, seenAt: now });
    return !had;
  }

  /** Removes a member; true when it was known (announce the leave). */
  remove(room: string, session: string): boolean {
    const set = this.rooms.get(room);
    if (set === undefined || !set.delete(session)) return false;
    if (set.size === 0) this.rooms.delete(room);
    return true;
  }

  /** Whether `session` is a known member of `room` holding `identity`. */
  has(room: string, session: string, identity: string): boolean {
    return this.rooms.get(room)?.get(session)?.member.identity === identity;
  }

  members(room: string): PresenceMember[] {
    return [...(this.rooms.get(room)?.values() ?? [])].map((e) => e.member);
  }

  /** This instance has nobody left in `room`: forget its remote members. */
  dropRoom(room: string): void {
    this.rooms.delete(room);
  }

  /** Removes and returns the entries older than the TTL. */
  expire(now: number): Array<{ room: string; session: string }> {
    const gone: Array<{ room: string; session: string }> = [];
    for (const [room, set] of this.rooms) {
      for (const [session, e] of set) {
        if (now - e.seenAt > this.ttlMs) {
          set.delete(session);
          gone.push({ room, session });
        }
      }
      if (set.size === 0) this.rooms.delete(room);
    }
    return gone;
  }
}
