/**
 * Who is connected to which room on this instance. Pure bookkeeping: the first
 * member in and the last member out are reported so the caller can subscribe
 * to and unsubscribe from the room on the relay.
 */
export class Rooms<M> {
  private readonly rooms = new Map<string, Set<M>>();

  /** Adds `member`; true when it is the first member of `room` on this instance. */
  join(room: string, member: M): boolean {
    let set = this.rooms.get(room);
    if (set === undefined) {
      set = new Set();
      this.rooms.set(room, set);
    }
    set.add(member);
    return set.size === 1;
  }

  /** Removes `member`; true when `room` became empty (the room is then forgotten). Idempotent. */
  leave(room: string, member: M): boolean {
    const set = this.rooms.get(room);
    if (set === undefined || !set.delete(member)) return false;
    if (set.size > 0) return false;
    this.rooms.delete(room);
    return true;
  }

  /** Members of `room` on this instance (live view; deleting while iterating is safe). */
  members(room: string): ReadonlySet<M> | undefined {
    return this.rooms.get(room);
  }

  has(room: string, member: M): boolean {
    return this.rooms.get(room)?.has(member) ?? false;
  }

  get roomCount(): number {
    return this.rooms.size;
  }
}
