import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { encodeLeave, encodeMediaHeader, encodePresence, MEDIA_SUBPROTOCOL, MediaCloseCode, type PresenceMember } from 'meeting-types';
import type { FrameOrigin, MemberEvent, Relay } from '../relay/relay';
import { RemoteRoster } from './presence';
import type { PresenceSink } from '../presence/presence-reporter';
import { Rooms } from './rooms';
import type { EnforcementCloseReason, MediaMetrics } from '../metrics';

/** Close codes of meeting decisions, as the `reason` of `enforcement_closes_total`. */
const ENFORCEMENT_CLOSE_REASONS: Record<number, EnforcementCloseReason> = {
  [MediaCloseCode.MeetingEnded]: 'meeting_ended',
  [MediaCloseCode.Removed]: 'removed',
  [MediaCloseCode.Left]: 'left',
};

/** Each instance repeats its members' presence this often; remote members unheard for 3 periods expire. */
const PRESENCE_REFRESH_MS = 10_000;

/** A slow consumer's close frame sits behind its backlog; after this it is cut at TCP level. */
const SLOW_CONSUMER_GRACE_MS = 2000;
/** Once over the instance-wide budget, backlogs are cut until the total is back under this share of it. */
const TOTAL_BUDGET_TARGET = 0.9;

const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;

export interface Member {
  readonly id: number;
  /** Null until the handshake completes: the member already holds its room (and subscription). */
  ws: WebSocket | null;
  readonly room: string;
  readonly identity: string;
  /** `videocall.v1` session id: unique across instances (`<instance>.<conn>`). */
  readonly session: string;
  readonly displayName: string;
  readonly isHost: boolean;
  /** Asked for `videocall.v1`: gets stamped frames and presence. */
  v1: boolean;
  /** The MEDIA header stamped before this member's frames for `videocall.v1` receivers (built once). */
  readonly stamp: Buffer;
  /** Presence announced its arrival (so its departure is announced too). */
  announced: boolean;
  readonly openedAt: number;
  alive: boolean;
  /** Removed from its room (slow consumer or closing): receives nothing more. */
  gone: boolean;
  /** From the token: the meeting instance and log position it was issued at (enforcement). */
  readonly grant: { mid: number | undefined; esq: number | undefined };
  /** Cut before its handshake completed: closed with this as soon as it has a socket. */
  pendingClose?: { code: number; reason: string };
  /** Counted as a live connection by the presence reports (until it leaves its room). */
  reported?: boolean;
}

export interface MembershipOptions {
  /** Unsent bytes a receiver may lag behind before it is cut with 1013. */
  maxBufferedBytes: number;
  /** Unsent bytes of all receivers together; beyond it the largest backlogs are cut with 1013. */
  maxTotalBufferedBytes: number;
  /** Ping interval; a member that missed the previous pong is dropped. */
  heartbeatMs: number;
  /** Prefix of session ids, unique per instance. */
  instanceTag: string;
}

/** What presence shows of a member besides its identity (from its token). */
export interface MemberProfile {
  displayName: string;
  isHost: boolean;
}

/**
 * Who is connected to which room on this instance, and the fan-out to them: the first member
 * in a room subscribes it on the relay, the last one out unsubscribes it. Also owns what keeps
 * a membership healthy: the per-receiver backlog cap (slow consumers) and the heartbeat.
 * Knows nothing about HTTP, tokens or the upgrade handshake.
 */
export class Membership {
  private readonly rooms = new Rooms<Member>();
  private readonly bySocket = new Map<WebSocket, Member>();
  private nextConnId = 1;
  private heartbeat: NodeJS.Timeout | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;
  private readonly remoteRoster = new RemoteRoster(3 * PRESENCE_REFRESH_MS);
  private readonly stamps = new Map<string, Buffer>();
  /** Members (pending ones included) per room and identity, for the per-identity limit. */
  private readonly perIdentity = new Map<string, number>();
  /** Members (pending ones included) per identity across every room of this instance. */
  private readonly perIdentityTotal = new Map<string, number>();
  /**
   * An upper bound of the unsent bytes of all receivers: the exact sum at the last count plus
   * everything sent since (draining only lowers it). Counting exactly is O(members), so it is
   * done only when this bound passes the budget.
   */
  private bufferedBound = 0;
  /** `nonMemberFrames`: frames from other instances whose sender is not a member of the room there (dropped). */
  readonly counters = { slowConsumerDisconnects: 0, heartbeatDisconnects: 0, budgetDisconnects: 0, nonMemberFrames: 0 };
  /** Told when a connection starts and stops counting (the Meeting API's presence); none by default. */
  presence: PresenceSink | undefined;

  constructor(
    private readonly options: MembershipOptions,
    private readonly relay: Relay,
    private readonly logger: Logger,
    /** Frame and byte counters bumped per delivery; enforcement records its closes here too. */
    readonly metrics: Pick<MediaMetrics, 'frames' | 'bytes' | 'enforcementCloses'>,
  ) {}

  /** Connected members (handshake complete). */
  get size(): number {
    return this.bySocket.size;
  }

  get roomCount(): number {
    return this.rooms.roomCount;
  }

  /** Sockets of connected members (a snapshot is the caller's job if it closes them). */
  sockets(): IterableIterator<WebSocket> {
    return this.bySocket.keys();
  }

  memberOf(ws: WebSocket): Member | undefined {
    return this.bySocket.get(ws);
  }

  /**
   * Puts a new member in `room` before its handshake completes (so it misses no frame sent after
   * its 101); the relay subscribes when it is the room's first member here.
   */
  reserve(
    room: string,
    identity: string,
    profile: MemberProfile = { displayName: identity, isHost: false },
    grant: Member['grant'] = { mid: undefined, esq: undefined },
  ): Member {
    const id = this.nextConnId++;
    const session = `${this.options.instanceTag}.${id}`;
    const m: Member = {
      id,
      ws: null,
      room,
      identity,
      session,
      displayName: profile.displayName || identity,
      isHost: profile.isHost,
      v1: false,
      stamp: Buffer.from(encodeMediaHeader(session, identity)),
      announced: false,
      openedAt: Date.now(),
      alive: true,
      gone: false,
      grant,
    };
    if (this.rooms.join(room, m)) this.relay.join(room);
    const key = identityKey(room, identity);
    this.perIdentity.set(key, (this.perIdentity.get(key) ?? 0) + 1);
    this.perIdentityTotal.set(identity, (this.perIdentityTotal.get(identity) ?? 0) + 1);
    return m;
  }

  /** Members of `room` holding `identity`, including handshakes in progress. */
  connectionsOf(room: string, identity: string): number {
    return this.perIdentity.get(identityKey(room, identity)) ?? 0;
  }

  /** Members holding `identity` in any room of this instance, including handshakes in progress. */
  connectionsOfIdentity(identity: string): number {
    return this.perIdentityTotal.get(identity) ?? 0;
  }

  /** The handshake completed: `m` now has its socket; presence announces it. */
  attach(m: Member, ws: WebSocket): void {
    m.ws = ws;
    m.v1 = ws.protocol === MEDIA_SUBPROTOCOL;
    this.bySocket.set(ws, m);
    // Cut before its handshake completed (a decision arrived meanwhile): closed, never announced.
    if (m.pendingClose) {
      ws.close(m.pendingClose.code, m.pendingClose.reason);
      return;
    }
    this.announce(m);
    m.reported = true;
    this.presence?.opened(m);
  }

  private presenceOf(m: Member): PresenceMember {
    return { session: m.session, identity: m.identity, displayName: m.displayName, isHost: m.isHost };
  }

  /** Welcomes a `videocall.v1` member with the roster; tells the room here and on other instances. */
  private announce(m: Member): void {
    if (m.v1 && m.ws !== null) {
      const ws = m.ws;
      ws.send(encodePresence('welcome', this.presenceOf(m)), BINARY);
      for (const other of this.rooms.members(m.room) ?? []) {
        if (other !== m && other.announced) ws.send(encodePresence('join', this.presenceOf(other)), BINARY);
      }
      for (const remote of this.remoteRoster.members(m.room)) ws.send(encodePresence('join', remote), BINARY);
    }
    this.tellRoom(m.room, encodePresence('join', this.presenceOf(m)), m);
    m.announced = true;
    this.relay.publishMember(m.room, { type: 'join', member: this.presenceOf(m) });
  }

  /** Sends a server message (presence) to the room's announced `videocall.v1` members, except `except`. */
  private tellRoom(room: string, message: Uint8Array, except?: Member): void {
    const set = this.rooms.members(room);
    if (set === undefined) return;
    const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    for (const m of set) if (m !== except && m.v1 && m.announced) this.deliver(m, buf, true);
  }

  /** Presence from another instance. */
  onRemoteMember(room: string, event: MemberEvent): void {
    const set = this.rooms.members(room);
    if (set === undefined) return;
    if (event.type === 'leave') {
      if (this.remoteRoster.remove(room, event.session)) this.tellRoom(room, encodeLeave(event.session));
      return;
    }
    if (this.remoteRoster.upsert(room, event.member, Date.now())) this.tellRoom(room, encodePresence('join', event.member));
    if (event.type === 'join') {
      // A newcomer's instance learns who is here.
      for (const m of set) if (m.announced) this.relay.publishMember(room, { type: 'here', member: this.presenceOf(m) });
    }
  }

  /** This instance's announced members of `room`, as presence tells them to other instances. */
  announcedMembers(room: string): PresenceMember[] {
    const out: PresenceMember[] = [];
    for (const m of this.rooms.members(room) ?? []) if (m.announced && !m.gone) out.push(this.presenceOf(m));
    return out;
  }

  /**
   * A frame from another instance: delivered only when its sender is a member of the room that
   * an instance announced (signed presence), with the identity it was announced with. Anything
   * else (no stamp, an unknown session, another identity) is dropped and counted: a client of
   * NATS cannot put frames in a room under a made-up or borrowed identity.
   */
  deliverRemote(room: string, data: Buffer, isBinary: boolean, origin: FrameOrigin | undefined): void {
    if (this.rooms.members(room) === undefined) return;
    if (origin === undefined || !this.remoteRoster.has(room, origin.session, origin.identity)) {
      this.counters.nonMemberFrames++;
      if (this.counters.nonMemberFrames % 1000 === 1) {
        this.logger.warn({ room, dropped: this.counters.nonMemberFrames }, 'frame from NATS dropped: its sender is not a member of the room');
      }
      return;
    }
    this.deliverToRoom(room, data, isBinary, undefined, this.stampOf(origin));
  }

  /** The MEDIA header of a remote sender (cached; the cache is bounded). */
  stampOf(origin: FrameOrigin): Buffer {
    let h = this.stamps.get(origin.session);
    if (h === undefined) {
      if (this.stamps.size > 10_000) this.stamps.clear();
      h = Buffer.from(encodeMediaHeader(origin.session, origin.identity));
      this.stamps.set(origin.session, h);
    }
    return h;
  }

  /** Repeats local presence to other instances and expires remote members that went silent. */
  startPresence(): void {
    this.presenceTimer = setInterval(() => {
      for (const { room, session } of this.remoteRoster.expire(Date.now())) this.tellRoom(room, encodeLeave(session));
      for (const m of this.bySocket.values()) {
        if (m.announced && !m.gone) this.relay.publishMember(m.room, { type: 'here', member: this.presenceOf(m) });
      }
    }, PRESENCE_REFRESH_MS);
    this.presenceTimer.unref();
  }

  stopPresence(): void {
    clearInterval(this.presenceTimer);
  }

  /** Members of `room` on this instance, handshakes in progress included (a snapshot). */
  membersOf(room: string): Member[] {
    return [...(this.rooms.members(room) ?? [])];
  }

  /** Cuts `m` with a close code (a decision on its token): it receives nothing more. */
  cut(m: Member, code: number, reason: string): void {
    const counted = ENFORCEMENT_CLOSE_REASONS[code];
    if (counted !== undefined && !m.gone) this.metrics.enforcementCloses.inc({ reason: counted });
    this.removeFromRoom(m);
    if (m.ws === null) {
      m.pendingClose = { code, reason };
      return;
    }
    if (m.ws.readyState === WebSocket.OPEN || m.ws.readyState === WebSocket.CONNECTING) m.ws.close(code, reason);
    const ws = m.ws;
    // A peer that never answers the close frame is cut at TCP level.
    setTimeout(() => ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  /** The socket closed: forgets it; returns its member if it had one. */
  detach(ws: WebSocket): Member | undefined {
    const m = this.bySocket.get(ws);
    if (m === undefined) return undefined;
    this.bySocket.delete(ws);
    this.removeFromRoom(m);
    return m;
  }

  /** Takes `m` out of its room (it receives nothing more). Idempotent. */
  removeFromRoom(m: Member): void {
    if (m.gone) return;
    m.gone = true;
    if (m.reported) this.presence?.closed(m);
    const wasLast = this.rooms.leave(m.room, m);
    if (m.announced) {
      this.tellRoom(m.room, encodeLeave(m.session));
      this.relay.publishMember(m.room, { type: 'leave', session: m.session });
    }
    if (wasLast) {
      this.remoteRoster.dropRoom(m.room);
      this.relay.leave(m.room);
    }
    const key = identityKey(m.room, m.identity);
    const n = (this.perIdentity.get(key) ?? 1) - 1;
    if (n > 0) this.perIdentity.set(key, n);
    else this.perIdentity.delete(key);
    const total = (this.perIdentityTotal.get(m.identity) ?? 1) - 1;
    if (total > 0) this.perIdentityTotal.set(m.identity, total);
    else this.perIdentityTotal.delete(m.identity);
  }

  /**
   * Sends one frame to every member of `room` but `sender`: as sent to opaque members; behind
   * the sender's `stamp` to `videocall.v1` members (built at most once per frame, only if one is here).
   */
  deliverToRoom(room: string, data: Buffer, isBinary: boolean, sender: Member | undefined, stamp?: Buffer): void {
    const set = this.rooms.members(room);
    if (set === undefined) return;
    let stamped: Buffer | undefined;
    for (const m of set) {
      if (m === sender) continue;
      if (!m.v1) this.deliver(m, data, isBinary);
      else if (stamp !== undefined) this.deliver(m, (stamped ??= Buffer.concat([stamp, data])), true);
    }
  }

  /** Sends one frame to one receiver, cutting it if its backlog would pass the cap. */
  private deliver(to: Member, data: Buffer, isBinary: boolean): void {
    if (to.gone || to.ws === null || to.ws.readyState !== WebSocket.OPEN) return;
    if (to.ws.bufferedAmount + data.length > this.options.maxBufferedBytes) {
      this.cutSlowConsumer(to as Member & { ws: WebSocket });
      return;
    }
    to.ws.send(data, isBinary ? BINARY : TEXT);
    this.metrics.frames.out++;
    this.metrics.bytes.out += data.length;
    this.bufferedBound += data.length;
    if (this.bufferedBound > this.options.maxTotalBufferedBytes) this.enforceTotalBudget();
  }

  /** Unsent bytes of every socket, including those already cut and waiting for their close. */
  totalBufferedBytes(): number {
    let total = 0;
    for (const ws of this.bySocket.keys()) total += ws.bufferedAmount;
    return total;
  }

  /**
   * Counts the instance's unsent bytes exactly; over the budget, frees the largest backlogs
   * first (the receivers furthest behind; freeing them frees the most) until the total is back
   * under TOTAL_BUDGET_TARGET of the budget. Sockets already cut (closed with 1013, in their
   * grace period) are dropped at once; members still in a room are cut with 1013.
   */
  private enforceTotalBudget(): void {
    let total = 0;
    const backlogged: Array<{ m: Member; ws: WebSocket; bytes: number }> = [];
    for (const [ws, m] of this.bySocket) {
      const bytes = ws.bufferedAmount;
      if (bytes === 0) continue;
      total += bytes;
      backlogged.push({ m, ws, bytes });
    }
    if (total > this.options.maxTotalBufferedBytes) {
      const target = this.options.maxTotalBufferedBytes * TOTAL_BUDGET_TARGET;
      // Already-cut sockets first: their close frame sits behind a backlog nobody reads.
      backlogged.sort((a, b) => Number(b.m.gone) - Number(a.m.gone) || b.bytes - a.bytes);
      for (const { m, ws, bytes } of backlogged) {
        if (total <= target) break;
        if (m.gone) {
          ws.terminate();
        } else {
          this.counters.budgetDisconnects++;
          this.cutSlowConsumer(m as Member & { ws: WebSocket }, 'instance buffer budget exceeded');
          // Its backlog stays until the grace period ends or the budget is passed again.
        }
        total -= bytes;
      }
    }
    this.bufferedBound = total;
  }

  private cutSlowConsumer(m: Member & { ws: WebSocket }, why = 'receiver backlog over its cap'): void {
    this.counters.slowConsumerDisconnects++;
    this.logger.warn(
      { conn: m.id, room: m.room, identity: m.identity, bufferedBytes: m.ws.bufferedAmount, why },
      'slow consumer disconnected',
    );
    this.removeFromRoom(m);
    m.ws.close(MediaCloseCode.SlowConsumer, 'slow consumer');
    setTimeout(() => m.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  /** The member answered a ping. */
  markAlive(ws: WebSocket): void {
    const m = this.bySocket.get(ws);
    if (m !== undefined) m.alive = true;
  }

  startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      for (const [ws, m] of this.bySocket) {
        if (!m.alive) {
          this.counters.heartbeatDisconnects++;
          this.logger.info({ conn: m.id, room: m.room, identity: m.identity }, 'no pong since the last ping; dropping peer');
          this.removeFromRoom(m);
          ws.terminate();
          continue;
        }
        m.alive = false;
        ws.ping();
      }
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
  }
}

function identityKey(room: string, identity: string): string {
  return `${room}\n${identity}`;
}
